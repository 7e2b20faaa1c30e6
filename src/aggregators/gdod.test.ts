// GDOD (ALGORITHMS §1.2): golden K = 2 cases, the non-conflict guarantee on random Jacobians,
// K = 1, β = 1 ≡ sum, the all-conflict case, zero gradients, scale and permutation behaviour.
import * as tf from '@tensorflow/tfjs';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import type { Gramian, TaskJacobian } from '../core/types.js';
import { defaultRegistry } from '../registry/index.js';
import { matrixArb, type HostMatrix } from '../testing/arbitraries.js';
import { gdodDecompose, gdodWeighting } from '../weightings/gdod.js';
import { stepContext } from '../../test/helpers/step-context.js';
import { gdod } from './gdod.js';

/** Host Gramian of a row-major K×D matrix (float64). */
function hostGramian(m: HostMatrix): Gramian {
  const { rows: k, cols: d, data } = m;
  const g = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let p = 0; p < d; p++) s += data[i * d + p]! * data[j * d + p]!;
      g[i * k + j] = s;
    }
  return { k, data: g };
}

/** d = Jᵀw on the host. */
function hostCombine(m: HostMatrix, w: ArrayLike<number>): Float64Array {
  const d = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++)
    for (let p = 0; p < m.cols; p++) d[p]! += w[i]! * m.data[i * m.cols + p]!;
  return d;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>, off = 0): number => {
  let s = 0;
  for (let p = 0; p < b.length; p++) s += a[off + p]! * b[p]!;
  return s;
};

function weigh(m: HostMatrix, options: Parameters<typeof gdodWeighting>[0] = {}) {
  const w = gdodWeighting(options);
  return w.weigh(hostGramian(m), w.init(m.rows), stepContext(new Array<number>(m.rows).fill(1)));
}

const mat = (rows: number[][]): HostMatrix => ({
  rows: rows.length,
  cols: rows[0]!.length,
  data: Float64Array.from(rows.flat()),
});

/** Runs the device aggregator on J and returns d (checks that nothing leaks). */
function aggregate(rows: number[][], options: Parameters<typeof gdod>[0] = {}): number[] {
  const before = tf.memory().numTensors;
  const j: TaskJacobian = {
    tasks: rows.map((_, i) => `t${i}`),
    blocks: { a: tf.tensor2d(rows) },
  };
  const agg = gdod(options);
  const r = agg.update(j, agg.init({ tasks: j.tasks, blocks: { a: [rows[0]!.length] } }), {
    ...stepContext(new Array<number>(rows.length).fill(1)),
  });
  const d = Array.from(r.direction['a']!.dataSync());
  tf.dispose([r.direction['a']!, j.blocks['a']!]);
  expect(tf.memory().numTensors).toBe(before);
  return d;
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tol);
};

describe('gdod: golden values and the K = 2 cases of ALGORITHMS §1.2', () => {
  it('g1 = (1,0), g2 = (1,1): d ≈ (1.894, 1.171), the projection of the sum on u_1', () => {
    close(
      aggregate([
        [1, 0],
        [1, 1],
      ]),
      [1.894, 1.171],
      1e-3,
    );
    // Independent check: top eigenvector of G = [[1,1],[1,2]] is the shared direction.
    const m = mat([
      [1, 0],
      [1, 1],
    ]);
    const dec = gdodDecompose(hostGramian(m));
    expect(dec.shared).toEqual([true, false]);
    const s = [2, 1];
    const u = [1.894, 1.171];
    const nu = Math.hypot(u[0]!, u[1]!);
    // d is parallel to u_1 and its length is ⟨g1 + g2, u_1⟩.
    const d = hostCombine(m, weigh(m).weights);
    expect(Math.abs(d[0]! * u[1]! - d[1]! * u[0]!)).toBeLessThan(1e-3);
    expect(Math.abs(Math.hypot(d[0]!, d[1]!) - dot(s, u) / nu)).toBeLessThan(1e-3);
  });

  it('g1 = (1,0), g2 = (−1,1): the smaller singular direction is shared, d ≈ (0.447, 0.724)', () => {
    close(
      aggregate([
        [1, 0],
        [-1, 1],
      ]),
      [0.447, 0.724],
      1e-3,
    );
    const dec = gdodDecompose(
      hostGramian(
        mat([
          [1, 0],
          [-1, 1],
        ]),
      ),
    );
    expect(dec.shared).toEqual([false, true]);
  });

  it('orthogonal gradients give the sum (both directions shared)', () => {
    close(
      aggregate([
        [2, 0, 0],
        [0, 0, 3],
      ]),
      [2, 0, 3],
      1e-6,
    );
  });

  it('positively parallel gradients give the sum; exactly opposite ones give 0', () => {
    close(
      aggregate([
        [1, 2],
        [2, 4],
      ]),
      [3, 6],
      1e-5,
    );
    close(
      aggregate([
        [1, 2],
        [-1, -2],
      ]),
      [0, 0],
      1e-6,
    );
  });

  it('one zero gradient: d = g_1', () => {
    close(
      aggregate([
        [1, 0, 0],
        [0, 0, 0],
      ]),
      [1, 0, 0],
      1e-6,
    );
  });

  it('K = 1 returns the gradient exactly', () => {
    close(aggregate([[0.3, -1.5, 2]]), [0.3, -1.5, 2], 1e-7);
  });

  it('three gradients at 120°: every direction conflicts, d = 0 and gdodAllConflict = 1', () => {
    const m = mat([
      [1, 0],
      [-0.5, Math.sqrt(3) / 2],
      [-0.5, -Math.sqrt(3) / 2],
    ]);
    const r = weigh(m);
    close(r.weights, [0, 0, 0], 1e-9);
    expect(r.diagnostics).toMatchObject({ gdodAllConflict: 1, gdodShared: 0, gdodRank: 2 });
  });
});

const jacobians = matrixArb({ rows: { min: 1, max: 5 }, cols: 20 });
/** Dense Gaussian Jacobians (fast-check's shrinking favours sparse, tie-heavy matrices). */
const gaussian = fc
  .tuple(fc.integer({ min: 2, max: 5 }), fc.integer())
  .map(([rows, seed]): HostMatrix => {
    const rng = createRng(seed);
    return { rows, cols: 20, data: Float64Array.from({ length: rows * 20 }, () => rng.normal()) };
  });
const lowRank = fc
  .integer({ min: 1, max: 3 })
  .chain((r) => matrixArb({ rows: { min: 2, max: 5 }, cols: 20, rank: r }));

/**
 * The rule is discontinuous where a coordinate crosses 0, and the basis is not unique when G has a
 * repeated eigenvalue: there a rounding-level change (rescaling, reordering) may change the split.
 * Exact-arithmetic properties are stated for J clear of both.
 */
function generic(m: HostMatrix): boolean {
  const dec = gdodDecompose(hostGramian(m));
  const c = dec.coordinates;
  const maxC = Math.max(...c.map(Math.abs));
  const lam = Array.from(dec.values);
  return (
    c.every((x) => Math.abs(x) > 1e-6 * maxC) &&
    lam.every((l, i) => i === 0 || lam[i - 1]! - l > 1e-3 * lam[0]!)
  );
}

describe('gdod: properties on random Jacobians', () => {
  test.prop([fc.oneof(jacobians, lowRank)], { numRuns: 300 })(
    'no task loss increases to first order: ⟨g_i, d⟩ ≥ −1e-9‖J‖‖d‖',
    (m) => {
      const d = hostCombine(m, weigh(m).weights);
      const nd = Math.sqrt(dot(d, d));
      // Relative to ‖J‖ (as the conformance suite): a row far below the others' scale is a zero
      // gradient for the rank and tie rules (library policy §0.3.2).
      const nj = Math.sqrt(dot(m.data, m.data));
      for (let i = 0; i < m.rows; i++) {
        const gi = m.data.subarray(i * m.cols, (i + 1) * m.cols);
        expect(dot(gi, d)).toBeGreaterThanOrEqual(-1e-9 * nj * nd);
      }
    },
  );

  test.prop(
    [
      jacobians.chain((m) =>
        fc.tuple(
          fc.constant(m),
          fc.array(fc.double({ min: 0, max: 3, noNaN: true }), {
            minLength: m.rows,
            maxLength: m.rows,
          }),
        ),
      ),
    ],
    { numRuns: 200 },
  )('conflictKeep = 1 reproduces the plain (π-weighted) sum', ([m, pi]) => {
    const d = hostCombine(m, weigh(m, { conflictKeep: 1, taskWeights: pi }).weights);
    const sum = hostCombine(m, pi);
    const scale = Math.sqrt(dot(sum, sum)) + Math.max(...m.data.map(Math.abs));
    close(d, sum, 1e-9 * scale);
  });

  test.prop([gaussian, fc.double({ min: 1e-3, max: 1e3, noNaN: true })], { numRuns: 100 })(
    'degree-1 homogeneous: A(λJ) = λ·A(J) (away from sign ties and repeated eigenvalues)',
    (m, lambda) => {
      fc.pre(generic(m));
      const d = hostCombine(m, weigh(m).weights);
      const scaled = { ...m, data: m.data.map((x) => x * lambda) };
      const ds = hostCombine(scaled, weigh(scaled).weights);
      const n = Math.sqrt(dot(d, d));
      close(
        ds.map((x) => x / lambda),
        d,
        1e-8 * (n + 1),
      );
    },
  );

  test.prop([gaussian, fc.nat()], { numRuns: 100 })(
    'permuting the tasks permutes w (and leaves d unchanged)',
    (m, seed) => {
      fc.pre(generic(m));
      const k = m.rows;
      const perm = Array.from({ length: k }, (_, i) => i).sort(
        (a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13) || a - b,
      );
      const pm: HostMatrix = {
        ...m,
        data: Float64Array.from(
          perm.flatMap((p) => Array.from(m.data.subarray(p * m.cols, (p + 1) * m.cols))),
        ),
      };
      const w = weigh(m).weights;
      const wp = weigh(pm).weights;
      // Full-rank random J (K ≤ 5 < D): w is unique, so it permutes exactly.
      close(
        wp,
        perm.map((p) => w[p]!),
        1e-9,
      );
    },
  );
});

describe('gdod: options and registry', () => {
  it('validates options at construction and the taskWeights length at update time', () => {
    expect(() => gdod({ conflictKeep: -0.1 })).toThrow(ConfigError);
    expect(() => gdod({ conflictKeep: 2 })).toThrow(/conflictKeep/);
    expect(() => gdod({ taskWeights: [1, -1] })).toThrow(/non-negative/);
    expect(() => gdod({ nope: 1 } as never)).toThrow(/unknown option/);
    expect(() =>
      weigh(
        mat([
          [1, 0],
          [0, 1],
        ]),
        { taskWeights: [1, 2, 3] },
      ),
    ).toThrow(ShapeError);
  });

  it('declares its traits from the options', () => {
    expect(gdod().traits.nonConflicting).toBe('always');
    expect(gdod({ conflictKeep: 0.5 }).traits.nonConflicting).toBe('never-claimed');
    expect(gdod({ taskWeights: [1, 2] }).traits.permutationInvariant).toBe(false);
  });

  it('is registered and rebuilds from its config', () => {
    const agg = defaultRegistry.create<ReturnType<typeof gdod>>('gdod', { conflictKeep: 0.25 });
    expect(agg.config).toMatchObject({ conflictKeep: 0.25 });
    const again = defaultRegistry.create<ReturnType<typeof gdod>>('gdod', agg.config);
    expect(again.config).toEqual(agg.config);
    expect(defaultRegistry.get('gdod').evidence).toBe('recon');
  });

  it('taskWeights weight the shared coordinates: π = (1, 0) on orthogonal rows keeps only g_1', () => {
    close(
      aggregate(
        [
          [2, 0],
          [0, 3],
        ],
        { taskWeights: [1, 0] },
      ),
      [2, 0],
      1e-6,
    );
  });
});

describe('gdod: device path (float32 Gramian, several blocks)', () => {
  it('keeps ⟨g_i, d⟩ ≥ −4e-4‖J‖‖d‖ on random K = 4 Jacobians split into two blocks', () => {
    const rng = createRng(7);
    for (let trial = 0; trial < 20; trial++) {
      const k = 4;
      const rows = Array.from({ length: k }, () => Array.from({ length: 12 }, () => rng.normal()));
      const before = tf.memory().numTensors;
      const j: TaskJacobian = {
        tasks: rows.map((_, i) => `t${i}`),
        blocks: {
          w: tf.tensor3d(rows.map((r) => [r.slice(0, 4), r.slice(4, 8)])),
          b: tf.tensor2d(rows.map((r) => r.slice(8))),
        },
      };
      const agg = gdod();
      const r = agg.update(j, agg.init({ tasks: j.tasks, blocks: { w: [2, 4], b: [4] } }), {
        ...stepContext([1, 1, 1, 1]),
      });
      const d = [...r.direction['w']!.dataSync(), ...r.direction['b']!.dataSync()];
      expect(r.direction['w']!.shape).toEqual([2, 4]);
      tf.dispose([...Object.values(r.direction), ...Object.values(j.blocks)]);
      expect(tf.memory().numTensors).toBe(before);
      const nd = Math.sqrt(dot(d, d));
      const nj = Math.sqrt(rows.flat().reduce((s, x) => s + x * x, 0));
      for (const g of rows) expect(dot(g, d)).toBeGreaterThanOrEqual(-4e-4 * nj * nd);
      expect(r.diagnostics?.['gdodRank']).toBe(4);
    }
  });
});
