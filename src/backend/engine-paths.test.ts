// The engine's per-task Jacobians on every backend path equal the reference computed by the same
// engine path on the pure-JS cpu backend: both the one-forward `tape` engine and the `naive`
// engine (K separate tf.variableGrads calls). Backend paths: wasm with the kernel overrides, and
// wasm with the native BLAS matmul when a BLAS loads here.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { recordForward, type EnginePath, type JacobianMode } from '../autodiff/jacobian.js';
import type { ArchitectureBuilder, Batch, MtlModel, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import { defaultRegistry } from '../registry/index.js';
import { loadBlas } from './blas.js';
import { initBackend } from './init.js';
import { relDiff } from './reference.js';

const blasOk = (await loadBlas()).ok;

const tasks: TaskSpec[] = [
  { id: 'a', kind: 'regression' },
  { id: 'b', kind: 'binary' },
  { id: 'c', kind: 'multiclass', numClasses: 3 },
];
const ARCHS: [string, Record<string, unknown>][] = [
  ['shared-bottom', { hidden: [24, 16], towerHidden: [8] }],
  ['mmoe', { numExperts: 3, expertHidden: [16, 12], towerHidden: [8] }],
];
const B = 48;
const D = 10;

function build(id: string, options: Record<string, unknown>): { model: MtlModel; batch: Batch } {
  const rng = createRng(21);
  const model = defaultRegistry
    .create<ArchitectureBuilder>(id, options, 'architecture')
    .build({ numeric: D, categorical: [] }, tasks, rng.split());
  const data = rng.split();
  const n = (len: number): number[] => Array.from({ length: len }, () => data.normal());
  const batch: Batch = {
    inputs: { numeric: tf.tensor2d(n(B * D), [B, D]) },
    targets: {
      a: tf.tensor1d(n(B)),
      b: tf.tensor1d(n(B).map((v) => (v > 0 ? 1 : 0))),
      c: tf.tensor1d(
        n(B).map((v) => (v < -0.4 ? 0 : v < 0.4 ? 1 : 2)),
        'int32',
      ),
    },
    size: B,
  };
  return { model, batch };
}

/** Losses, Jacobian blocks and head gradients as host arrays. */
function jacobian(
  model: MtlModel,
  batch: Batch,
  mode: JacobianMode,
  engine: EnginePath,
): Record<string, Float32Array> {
  // A fresh handle on the input: the session disposes trunk features that are the input itself
  // (MMoE with a numeric-only encoder), and this batch is reused.
  const numeric = tf.clone(batch.inputs.numeric!);
  const s = recordForward(
    model,
    { ...batch, inputs: { numeric } },
    { forward: { training: true, rng: createRng(5), step: 0 }, engine },
  );
  const { jacobian: j, heads, extra } = s.taskJacobian(mode);
  const out: Record<string, Float32Array> = { losses: s.lossVector.dataSync() as Float32Array };
  for (const [k, t] of Object.entries({ ...j.blocks, ...heads, ...extra }))
    out[k] = t.dataSync() as Float32Array;
  tf.dispose([...Object.values(j.blocks), ...Object.values(heads), ...Object.values(extra)]);
  s.dispose();
  numeric.dispose();
  return out;
}

afterAll(async () => {
  await initBackend({ prefer: 'wasm', blas: 'off', quiet: true });
  await tf.setBackend('cpu');
});

describe.each(ARCHS)('%s: engine Jacobians per backend path', (id, options) => {
  it.each([
    ['params', 'tape'],
    ['params', 'naive'],
    ['features', 'tape'],
    ['features', 'naive'],
  ] as const)(
    '%s mode, %s engine: wasm (and BLAS when it loads) equals cpu',
    async (mode, engine) => {
      await tf.setBackend('cpu');
      const { model, batch } = build(id, options);
      const ref = jacobian(model, batch, mode, engine);
      const paths: [string, Parameters<typeof initBackend>[0]][] = [
        ['wasm', { prefer: 'wasm', blas: 'off', quiet: true }],
      ];
      if (blasOk) paths.push(['wasm+blas', { prefer: 'wasm', blas: 'auto', quiet: true }]);
      for (const [name, o] of paths) {
        await initBackend(o);
        const got = jacobian(model, batch, mode, engine);
        expect(Object.keys(got).sort()).toEqual(Object.keys(ref).sort());
        for (const key of Object.keys(ref))
          expect(relDiff(got[key]!, ref[key]!), `${name} ${key}`).toBeLessThan(2e-5);
      }
      model.dispose();
      tf.dispose([batch.inputs.numeric!, ...Object.values(batch.targets)]);
    },
  );
});
