/**
 * Worker entry of {@link createShardPool} (`./data-parallel.ts`): its own tfjs instance, its own
 * copy of the model (rebuilt from the recipe), and one shard of every step: the main thread sends
 * the parameters, the shard's rows and the forward rng, then gradient requests, each answered on
 * the message channel and signalled through shared memory (the main thread blocks on it).
 */
import * as tf from '@tensorflow/tfjs';
import type { MessagePort } from 'node:worker_threads';
import { buildModel } from '../architectures/io.js';
import { relativeName } from '../architectures/params.js';
import {
  modelVariables,
  recordForward,
  type GradientSession,
  type ModelVariables,
} from '../autodiff/jacobian.js';
import type { Batch, MtlModel } from '../core/model.js';
import { rngFromState } from '../core/rng.js';
import { initBackend } from '../backend/init.js';
import { parentPortOf } from '../backend/worker-entry.js';
import { disposeBatch } from '../data/batches.js';
import { batchFromHost } from './batch-rows.js';
import type {
  FromShard,
  FromShardWorker,
  ToShard,
  ToShardWorker,
  WorkerInit,
} from './data-parallel.js';
import { serveShard, type ShardRequest } from './shard.js';

const control = parentPortOf('data-parallel-worker.js', 'createShardPool');
const answerPool = (m: FromShardWorker): void => control.postMessage(m);

let port: MessagePort | undefined;
let signal: Int32Array<ArrayBufferLike> = new Int32Array(1);
let slot = 0;
let model: MtlModel | undefined;
let vars: ModelVariables | undefined;
let order: tf.Variable[] = [];
let engine: 'tape' | 'naive' = 'tape';
let session: GradientSession | undefined;
let batch: Batch | undefined;

function reply(m: FromShard, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(m, transfer);
  Atomics.add(signal, slot, 1);
  Atomics.notify(signal, slot);
}

function release(): void {
  session?.dispose();
  session = undefined;
  if (batch !== undefined) disposeBatch(batch);
  batch = undefined;
}

function handle(m: ToShard): void {
  switch (m.type) {
    case 'forward': {
      release();
      let off = 0;
      tf.tidy(() => {
        for (const v of order) {
          v.assign(tf.tensor(m.params.subarray(off, off + v.size), v.shape, 'float32'));
          off += v.size;
        }
      });
      batch = batchFromHost(m.batch);
      session = recordForward(model!, batch, {
        forward: { training: true, rng: rngFromState(m.rng), step: m.step },
        engine,
        epoch: m.epoch,
        variables: vars!,
      });
      const losses = Float64Array.from(session.lossVector.dataSync());
      const labelled = Float64Array.from(session.labelled.dataSync());
      reply({ type: 'forward', losses, labelled }, [losses.buffer, labelled.buffer]);
      return;
    }
    case 'serve': {
      const req = m.request;
      let request: ShardRequest;
      let features: Record<string, tf.Tensor> | undefined;
      if (req.op === 'backward') {
        const { features: host, ...rest } = req;
        features =
          host === undefined
            ? undefined
            : Object.fromEntries(
                Object.entries(host).map(([k, a]) => [
                  k,
                  tf.tensor(a.data, [...a.shape], 'float32'),
                ]),
              );
        request = { ...rest, ...(features !== undefined ? { features } : {}) };
      } else {
        request = req;
      }
      try {
        const out = serveShard(session!, request, m.share, relativeName);
        const results = Object.entries(out).map(([key, t]) => {
          const data = t.dataSync() as Float32Array;
          return { key, shape: [...t.shape], data: data.slice() };
        });
        tf.dispose(Object.values(out));
        reply(
          { type: 'serve', results },
          results.map((r) => r.data.buffer as ArrayBuffer),
        );
      } finally {
        if (features !== undefined) tf.dispose(Object.values(features));
      }
      return;
    }
    case 'release':
      release();
      return;
  }
}

async function init(m: WorkerInit): Promise<void> {
  await initBackend({ quiet: true, ...m.backend });
  port = m.port;
  signal = new Int32Array(m.signal);
  slot = m.slot;
  engine = m.engine;
  model = buildModel(m.recipe);
  vars = modelVariables(model);
  const byCanon = new Map([...vars.byName.values()].map((v) => [relativeName(v.name), v]));
  order = m.names.map((n) => {
    const v = byCanon.get(n);
    if (v === undefined) throw new Error(`the rebuilt model has no variable '${n}'`);
    return v;
  });
  port.on('message', (msg: ToShard) => {
    try {
      handle(msg);
    } catch (err) {
      if (msg.type === 'release') return;
      reply({
        type: 'error',
        name: err instanceof Error ? err.name : 'Error',
        message: err instanceof Error ? err.message : String(err),
      });
    }
  });
  answerPool({ type: 'ready', backend: tf.getBackend() });
}

control.on('message', (m: ToShardWorker) => {
  if (m.type === 'close') {
    release();
    model?.dispose();
    port?.close();
    control.close();
    return;
  }
  init(m).catch((err: unknown) =>
    answerPool({
      type: 'error',
      message: err instanceof Error ? err.message : String(err),
    }),
  );
});
