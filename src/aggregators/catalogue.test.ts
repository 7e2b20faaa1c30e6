// Golden values and certificates of the catalogue aggregators (fairgrad, krum, trimmed-mean,
// modo, sdmgrad, gradnorm, cr-mogm, db-mtl, moco, excess-mtl) on the device path.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { Aggregator, AggregatorResult, ParamTree, TaskJacobian } from '../core/types.js';
import { stepContext } from '../../test/helpers/step-context.js';
import { crMogm } from './cr-mogm.js';
import { dbMtl } from './db-mtl.js';
import { excessMtl } from './excess-mtl.js';
import { fairgrad } from './fairgrad.js';
import { gradnorm } from './gradnorm.js';
import { krum } from './krum.js';
import { moco } from './moco.js';
import { modo } from './modo.js';
import { sdmgrad } from './sdmgrad.js';
import { trimmedMean } from './trimmed-mean.js';

function jac(rows: number[][], split?: number): TaskJacobian {
  const k = rows.length;
  const d = rows[0]!.length;
  if (split === undefined)
    return { tasks: rows.map((_, i) => `t${i}`), blocks: { x: tf.tensor2d(rows) } };
  return {
    tasks: rows.map((_, i) => `t${i}`),
    blocks: {
      a: tf.tensor2d(
        rows.map((r) => r.slice(0, split)),
        [k, split],
      ),
      b: tf.tensor2d(
        rows.map((r) => r.slice(split)),
        [k, d - split],
      ),
    },
  };
}
const spec = (j: TaskJacobian): { tasks: readonly string[]; blocks: Record<string, number[]> } => ({
  tasks: j.tasks,
  blocks: Object.fromEntries(Object.entries(j.blocks).map(([n, b]) => [n, b.shape.slice(1)])),
});
function disposeTree(t: ParamTree | null | undefined): void {
  if (t) tf.dispose(Object.values(t));
}
/** Runs `steps` updates and returns every result's direction values; checks for leaks. */
function run<S>(
  agg: Aggregator<S>,
  js: TaskJacobian[],
  losses: number[],
  epoch = 0,
): { d: number[][]; results: AggregatorResult<S>[] } {
  // The Jacobians were created by the caller and are disposed below.
  const before = tf.memory().numTensors - js.reduce((n, j) => n + Object.keys(j.blocks).length, 0);
  let state = agg.init(spec(js[0]!));
  const d: number[][] = [];
  const results: AggregatorResult<S>[] = [];
  js.forEach((j, t) => {
    const r = agg.update(j, state, stepContext(losses, { step: t, epoch }));
    d.push(Object.values(r.direction).flatMap((x) => Array.from(x.dataSync())));
    disposeTree(r.direction);
    // Tensor states: the caller owns and disposes the previous state.
    for (const v of Object.values(state as object))
      if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) disposeTree(v as ParamTree);
    state = r.state;
    results.push(r);
  });
  for (const v of Object.values(state as object))
    if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) disposeTree(v as ParamTree);
  js.forEach((j) => disposeTree(j.blocks));
  expect(tf.memory().numTensors).toBe(before);
  return { d, results };
}
const close = (a: ArrayLike<number>, b: number[], tol = 1e-4): void => {
  expect(a.length).toBe(b.length);
  b.forEach((v, i) => expect(Math.abs(a[i]! - v)).toBeLessThan(tol));
};
const J_BASE = [
  [-4, 1, 1],
  [6, 1, 1],
];

describe('torchjd golden rows (REFERENCES §5, atol 1e-4)', () => {
  it('fairgrad (α = 1): [0.0766, 0.9985, 0.9985], weights [0.5915, 0.4071]', () => {
    const { d, results } = run(fairgrad(), [jac(J_BASE)], [1, 1]);
    close(d[0]!, [0.0766, 0.9985, 0.9985]);
    close(results[0]!.weights!, [0.5915, 0.4071]);
  });
  it('krum(f = 1, m = 4) on J_Krum: [1.25, 0.75, 1.5]', () => {
    const J_KRUM = [
      [1, 1, 1],
      [1, 0, 1],
      [75, -666, 23],
      [1, 2, 3],
      [2, 0, 1],
    ];
    close(
      run(krum({ nByzantine: 1, nSelected: 4 }), [jac(J_KRUM, 1)], [1, 1, 1, 1, 1]).d[0]!,
      [1.25, 0.75, 1.5],
    );
  });
  it('trimmed-mean(1) on J_TrimmedMean: [1.5, 2.5]; too few rows is a ShapeError', () => {
    const J_TM = [
      [1e11, 3],
      [1, -1e11],
      [-1e10, 1e10],
      [2, 2],
    ];
    close(run(trimmedMean({ trim: 1 }), [jac(J_TM)], [1, 1, 1, 1]).d[0]!, [1.5, 2.5]);
    const j = jac(J_BASE);
    expect(() => trimmedMean().update(j, {}, stepContext([1, 1]))).toThrow(
      /trimmed-mean: needs at least 2·trim \+ 1 = 3 tasks/,
    );
    disposeTree(j.blocks);
  });
});

/**
 * GradNorm's first weight update on `j` (then disposed), losses [1, 1]: one epoch-0 step records
 * L(0), the epoch-1 step updates the logits.
 */
function firstEpochOneStep<S>(agg: Aggregator<S>, j: TaskJacobian): AggregatorResult<S> {
  const r0 = agg.update(j, agg.init(spec(j)), stepContext([1, 1], { epoch: 0 }));
  disposeTree(r0.direction);
  const r1 = agg.update(j, r0.state, stepContext([1, 1], { epoch: 1 }));
  disposeTree(r1.direction);
  disposeTree(j.blocks);
  return r1;
}

describe('weighting-based catalogue aggregators', () => {
  it('modo and sdmgrad: d = Jᵀw with the weighting’s weights, state carried between steps', () => {
    for (const agg of [modo(), sdmgrad()] as Aggregator<unknown>[]) {
      const { d, results } = run(agg, [jac(J_BASE, 1), jac(J_BASE, 1)], [1, 1]);
      const w = results[1]!.weights!;
      close(d[1]!, [w[0]! * -4 + w[1]! * 6, w[0]! + w[1]!, w[0]! + w[1]!], 1e-5);
      expect(agg.weighting).toBeDefined();
    }
  });

  it('gradnorm: EW in epoch 0; from epoch 1 the lagging task gains weight (hand-derived step)', () => {
    const agg = gradnorm();
    // Epoch 0 collects L(0) = mean of [2, 1] and [2, 1].
    let state = agg.init(spec(jac(J_BASE)));
    for (let t = 0; t < 2; t++) {
      const j = jac(J_BASE);
      const r = agg.update(j, state, stepContext([2, 1], { epoch: 0 }));
      expect(Array.from(r.weights!)).toEqual([1, 1]);
      disposeTree(r.direction);
      disposeTree(j.blocks);
      state = r.state;
    }
    // Epoch 1, L = [1, 1]: L̃ = [0.5, 1], r = [2/3, 4/3]; n = [√18, √38]; Ḡ = mean(n).
    // Task 1 is above its target (+n₁), task 2 below (−n₂): ∂ξ = (+, −), so Adam moves ξ by ∓lr.
    const j = jac(J_BASE);
    const r = agg.update(j, state, stepContext([1, 1], { epoch: 1 }));
    disposeTree(r.direction);
    disposeTree(j.blocks);
    expect(Array.from(r.weights!)).toEqual([1, 1]);
    expect(r.state.logits[0]).toBeCloseTo(1 - 1e-3, 9);
    expect(r.state.logits[1]).toBeCloseTo(1 + 1e-3, 9);
    expect(r.state.initial![0]).toBe(2);
    const n = [Math.sqrt(18), Math.sqrt(38)];
    const gbar = (n[0]! + n[1]!) / 2;
    const lgrad = Math.abs(n[0]! - gbar * (2 / 3) ** 1.5) + Math.abs(n[1]! - gbar * (4 / 3) ** 1.5);
    expect(r.diagnostics!['gradnormLoss']).toBeCloseTo(lgrad, 9);
  });

  it("gradnorm normsFrom 'last-block' reads only the last block's norms", () => {
    const rows = [
      [3, 0, 1],
      [0, 4, 2],
    ];
    const agg = gradnorm({ normsFrom: 'last-block' });
    expect(agg.weighting).toBeUndefined();
    const r1 = firstEpochOneStep(agg, jac(rows, 2));
    // Last-block norms [1, 2] (not [√10, √20]): Ḡ = 1.5 and r = 1, so task 1 is below target.
    expect(r1.diagnostics!['gradnormLoss']).toBeCloseTo(1, 9);
    expect(r1.state.logits[0]).toBeGreaterThan(1);
  });

  it("gradnorm 'last-block' prefers the last weight matrix over a trailing bias", () => {
    const agg = gradnorm({ normsFrom: 'last-block' });
    const j = {
      tasks: ['t0', 't1'],
      blocks: {
        w: tf.tensor3d([
          [
            [3, 0],
            [0, 0],
          ],
          [
            [0, 6],
            [0, 0],
          ],
        ]),
        bias: tf.tensor2d([
          [100, 0],
          [0, 1],
        ]),
      },
    };
    const r1 = firstEpochOneStep(agg, j);
    // Norms [3, 6] from w (the bias would give [100, 1]): Ḡ = 4.5, L_grad = 1.5 + 1.5.
    expect(r1.diagnostics!['gradnormLoss']).toBeCloseTo(3, 5);
  });

  it('cr-mogm smooths the inner weights: λ₁ = 0.9·(1/K) + 0.1·ŵ₁', () => {
    const agg = crMogm({ inner: 'fairgrad' }, () => fairgrad());
    const { results } = run(agg, [jac(J_BASE)], [1, 1]);
    close(results[0]!.weights!, [0.45 + 0.1 * 0.5915, 0.45 + 0.1 * 0.4071]);
    expect(() =>
      crMogm({ inner: 'trimmed-mean' }, () => trimmedMean() as Aggregator<unknown>),
    ).toThrow(/cr-mogm: option `inner` = 'trimmed-mean' is not a Gramian weighting/);
  });
});

describe('tensor-state catalogue aggregators (hand-derived two-step traces)', () => {
  const rows = [
    [2, 0],
    [0, 1],
  ];
  it('db-mtl: m = (1−β)ĝ then ĝ + β(m − ĝ); each task rescaled to the largest ‖m‖', () => {
    // ĝ = g/L = [(1, 0), (0, 2)]; step 1: m = 0.1ĝ, u = [0.1, 0.2], α = [2, 1] → d = (0.2, 0.2);
    // step 2: m = 0.19ĝ → d = (0.38, 0.38).
    const { d, results } = run(dbMtl(), [jac(rows), jac(rows)], [2, 0.5]);
    close(d[0]!, [0.2, 0.2], 1e-6);
    close(d[1]!, [0.38, 0.38], 1e-6);
    expect(results[0]!.diagnostics!['dbMtlAlpha0']).toBeCloseTo(2, 5);
  });
  it('moco: y = βĝ with ĝ = L·g/‖g‖, λ = softmax(λ − γ·YYᵀλ), d = Yᵀλ', () => {
    // ĝ = [(2, 0), (0, 0.5)]; y = 0.5ĝ = [(1, 0), (0, 0.25)]; YYᵀ = diag(1, 0.0625).
    const { d } = run(moco(), [jac(rows)], [2, 0.5]);
    const z = [0.5 - 0.1 * 0.5, 0.5 - 0.1 * 0.0625 * 0.5];
    const e = z.map(Math.exp);
    const l = e.map((v) => v / (e[0]! + e[1]!));
    close(d[0]!, [l[0]!, 0.25 * l[1]!], 1e-6);
    // Degree 0: scaling J by 1000 leaves d unchanged.
    const big = run(moco(), [jac(rows.map((r) => r.map((v) => v * 1000)))], [2, 0.5]).d[0]!;
    close(big, d[0]!, 1e-6);
  });
  it('excess-mtl: step 1 sets the baseline (w = 1); step 2 w ∝ exp(η·e/e⁽⁰⁾), sum K', () => {
    const rows2 = [
      [4, 0],
      [0, 1],
    ];
    const { results } = run(excessMtl(), [jac(rows), jac(rows2)], [1, 1]);
    expect(Array.from(results[0]!.weights!)).toEqual([1, 1]);
    // e⁽⁰⁾ ≈ [2, 1]; step 2: S = [4+16, 1+1] → e = [16/√20, 1/√2]; ratio = [1.7889, 0.7071].
    const r = [16 / Math.sqrt(20) / 2, 1 / Math.sqrt(2)];
    const w = r.map((v) => Math.exp(0.01 * v));
    const s = w[0]! + w[1]!;
    close(results[1]!.weights!, [(2 * w[0]!) / s, (2 * w[1]!) / s], 1e-6);
  });
});
