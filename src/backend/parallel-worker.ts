/**
 * Worker entry of {@link createDataParallel} (`./parallel.ts`): one tfjs wasm instance per
 * thread, one program, gradients written into this worker's slot of the shared buffer.
 */
import { readFileSync } from 'node:fs';
import { initBackend } from './init.js';
import { parentPortOf } from './worker-entry.js';
import {
  reduceSlots,
  shardRanges,
  type FromWorker,
  type ShardBatch,
  type ShardProgram,
  type ShardProgramFactory,
  type ToWorker,
} from './parallel.js';

const port = parentPortOf('parallel-worker.js', 'createDataParallel');

let program: ShardProgram | undefined;
let index = 0;
let paramViews: Float32Array[] = [];
let workers = 1;
let slots: Float32Array[] = [];
let lossSlots: Float64Array[] = [];
let reduced: Float32Array = new Float32Array(0);
let reducedLosses: Float64Array = new Float64Array(0);
let barrier: Int32Array = new Int32Array(1);
let cpu: Float64Array = new Float64Array(1);

/** This thread's CPU time (user + system) in ms, from Linux procfs; NaN elsewhere. */
function threadCpuMs(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5) (utime, stime), in clock ticks of 10 ms (USER_HZ = 100).
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}
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
      workers = m.workers;
      const n = off * p.rows;
      slots = Array.from({ length: workers }, (_, w) => new Float32Array(m.grad, 4 * n * w, n));
      lossSlots = Array.from(
        { length: workers },
        (_, w) => new Float64Array(m.losses, 8 * p.tasks * w, p.tasks),
      );
      reduced = new Float32Array(m.reduced);
      reducedLosses = new Float64Array(m.reducedLosses);
      barrier = new Int32Array(m.barrier);
      cpu = new Float64Array(m.cpu);
      cpu[index] = threadCpuMs();
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
      let failure: unknown;
      try {
        p.setParams(paramViews);
        p.compute(batch, m.lo, m.hi, slots[index]!, lossSlots[index]!);
      } catch (err) {
        failure = err;
      }
      // Barrier (reached even after a failure, so that no other worker waits forever): every slot
      // is written once the counter reaches workers × generation.
      const target = workers * m.generation;
      if (Atomics.add(barrier, 0, 1) + 1 >= target) Atomics.notify(barrier, 0);
      for (let cur = Atomics.load(barrier, 0); cur < target; cur = Atomics.load(barrier, 0))
        Atomics.wait(barrier, 0, cur);
      if (failure !== undefined) throw failure;
      const [lo, hi] = shardRanges(reduced.length, workers)[index]!;
      reduceSlots(slots, m.scale, reduced, lo, hi);
      if (index === 0)
        for (let t = 0; t < p.tasks; t++) {
          let sum = 0;
          for (let w = 0; w < workers; w++)
            sum += (m.scale[w] as number) * (lossSlots[w]![t] as number);
          reducedLosses[t] = sum;
        }
      cpu[index] = threadCpuMs();
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
