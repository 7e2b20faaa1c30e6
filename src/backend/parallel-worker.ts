/**
 * Worker entry of {@link createDataParallel} (`./parallel.ts`): one tfjs wasm instance per
 * thread, one program, gradients written into this worker's slot of the shared buffer.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { initBackend } from './init.js';
import type {
  FromWorker,
  ShardBatch,
  ShardProgram,
  ShardProgramFactory,
  ToWorker,
} from './parallel.js';

function workerPort(): MessagePort {
  if (parentPort === null)
    throw new Error('parallel-worker.js must run in a worker thread (see createDataParallel)');
  return parentPort;
}
const port = workerPort();

let program: ShardProgram | undefined;
let index = 0;
let paramViews: Float32Array[] = [];
let gradView: Float32Array = new Float32Array(0);
let lossView: Float64Array = new Float64Array(0);
let batch: ShardBatch = {};

const reply = (m: FromWorker): void => port.postMessage(m);

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init': {
      index = m.index;
      await initBackend({ prefer: 'wasm', quiet: true, ...m.backend });
      const mod = (await import(m.module)) as Record<string, unknown>;
      const factory = mod[m.exportName];
      if (typeof factory !== 'function')
        throw new Error(`program module ${m.module} has no function export '${m.exportName}'`);
      program = (factory as ShardProgramFactory)(m.options);
      reply({
        type: 'ready',
        shapes: program.shapes.map((s) => [...s]),
        tasks: program.tasks,
        rows: program.rows,
      });
      return;
    }
    case 'buffers': {
      const p = program!;
      let off = 0;
      paramViews = p.shapes.map((shape) => {
        const n = shape.reduce((a, d) => a * d, 1);
        const v = new Float32Array(m.params, 4 * off, n);
        off += n;
        return v;
      });
      gradView = new Float32Array(m.grad, 4 * off * p.rows * index, off * p.rows);
      lossView = new Float64Array(m.losses, 8 * p.tasks * index, p.tasks);
      reply({ type: 'ok' });
      return;
    }
    case 'batch': {
      batch = Object.fromEntries(
        Object.entries(m.arrays).map(([k, a]) => [
          k,
          { data: new Float32Array(a.sab), shape: a.shape },
        ]),
      );
      reply({ type: 'ok' });
      return;
    }
    case 'step': {
      const p = program!;
      p.setParams(paramViews);
      p.compute(batch, m.lo, m.hi, gradView, lossView);
      reply({ type: 'ok' });
      return;
    }
    case 'close':
      program?.dispose();
      program = undefined;
      port.close();
      return;
  }
}

port.on('message', (m: ToWorker) => {
  handle(m).catch((err: unknown) =>
    reply({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
});
