// CoGrad (ALGORITHMS §2.3–§2.7): golden 'diag' values, γ = 0 ⇒ EW for every variant, the −log
// oracle where 'diag' is exact ('hvp' and 'fd' must agree), the derivation check against a
// finite difference of the measured transference, the sign check, edge cases and options.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import type { Direction, TaskJacobian } from '../core/types.js';
import { defaultRegistry } from '../registry/index.js';
import { stepContext } from '../../test/helpers/step-context.js';
import {
  cograd,
  cogradOuterWeights,
  cogradSecondOrder,
  measureTransference,
  type CogradOptions,
  type TaskLossesFn,
} from './cograd.js';

const ctx = (k: number) => stepContext(new Array<number>(k).fill(1));

function jac(rows: number[][]): TaskJacobian {
  return { tasks: rows.map((_, i) => `t${i}`), blocks: { a: tf.tensor2d(rows) } };
}

/** Runs the registered aggregator; returns d and the aux ratio, checking for leaks. */
function run(rows: number[][], options: CogradOptions = {}): { d: number[]; ratio: number } {
  const j = jac(rows);
  const before = tf.memory().numTensors;
  const agg = cograd(options);
  const r = agg.update(
    j,
    agg.init({ tasks: j.tasks, blocks: { a: [rows[0]!.length] } }),
    ctx(rows.length),
  );
  const d = Array.from(r.direction['a']!.dataSync());
  tf.dispose(Object.values(r.direction));
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose(Object.values(j.blocks));
  return { d, ratio: r.diagnostics!['cogradAuxRatio']! };
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol);
};

/** Reads a tensor made for the purpose and frees it. */
function read(t: tf.Tensor): number[] {
  const out = Array.from(t.dataSync());
  t.dispose();
  return out;
}

const flat = (d: Direction, keys: readonly string[]): number[] =>
  keys.flatMap((k) => Array.from(d[k]!.dataSync()));

describe("cograd 'diag' and 'outer' (registered aggregator)", () => {
  it('golden: J = [[1,2],[3,−1]], γ = 0.01 → d = [3.88, 1.02]', () => {
    const { d, ratio } = run(
      [
        [1, 2],
        [3, -1],
      ],
      { gamma: 0.01 },
    );
    close(d, [3.88, 1.02], 1e-5);
    // ‖d − Σg‖ / ‖Σg‖ = ‖(0.12, 0.02)‖ / ‖(4, 1)‖
    expect(ratio).toBeCloseTo(Math.hypot(0.12, 0.02) / Math.hypot(4, 1), 5);
  });

  it('per-source γ: ĝ_1 = g_1 − γ_2 g_1⊙g_1⊙g_2 (γ indexed by the source task)', () => {
    const rows = [
      [1, 2],
      [3, -1],
    ];
    const { d } = run(rows, { gamma: [0.1, 0.01] });
    // ĝ_1 = [1, 2] − 0.01·[1·3, 4·(−1)] = [0.97, 2.04]; ĝ_2 = [3, −1] − 0.1·[9·1, 1·2] = [2.1, −1.2]
    close(d, [3.07, 0.84], 1e-5);
  });

  it('γ = 0 and λ = 0 reproduce EW (Σ π_i g_i)', () => {
    const rng = createRng(3);
    const rows = Array.from({ length: 3 }, () => Array.from({ length: 5 }, () => rng.normal()));
    const sum = rows[0]!.map((_, p) => rows.reduce((s, r) => s + r[p]!, 0));
    close(run(rows, { gamma: 0 }).d, sum, 1e-5);
    close(run(rows, { hessian: 'outer', lambda: 0 }).d, sum, 1e-5);
    const pi = [0.5, 2, 1];
    const wsum = rows[0]!.map((_, p) => rows.reduce((s, r, i) => s + pi[i]! * r[p]!, 0));
    close(run(rows, { gamma: 0, taskWeights: pi }).d, wsum, 1e-5);
  });

  it('K = 1 returns the gradient; a zero gradient contributes nothing', () => {
    close(run([[0.5, -2, 3]], { gamma: 0.5 }).d, [0.5, -2, 3], 1e-6);
    close(run([[0.5, -2, 3]], { hessian: 'outer', lambda: 0.5 }).d, [0.5, -2, 3], 1e-6);
    close(
      run(
        [
          [1, 2],
          [0, 0],
        ],
        { gamma: 0.3 },
      ).d,
      [1, 2],
      1e-6,
    );
    close(
      run(
        [
          [1, 2],
          [0, 0],
        ],
        { hessian: 'outer', lambda: 0.5 },
      ).d,
      [1, 2],
      1e-6,
    );
  });

  it('g_2 = −c·g_1: d = (1 − c)(g_1 + γc·g_1³); c = 1 gives 0 for both variants', () => {
    const g1 = [0.5, -1, 2];
    const gamma = 0.05;
    for (const c of [1, 2]) {
      const rows = [g1, g1.map((x) => -c * x)];
      const expected = g1.map((x) => (1 - c) * (x + gamma * c * x ** 3));
      close(run(rows, { gamma }).d, expected, 1e-5);
    }
    close(run([g1, g1.map((x) => -x)], { hessian: 'outer', lambda: 0.3 }).d, [0, 0, 0], 1e-6);
  });

  it("'outer' weights: w_i = π_i(1 − λ Σ_{j≠i} cos_ij), degree-1 homogeneous", () => {
    const rows = [
      [1, 0],
      [1, 1],
      [0, -2],
    ];
    const gram = { k: 3, data: Float64Array.from([1, 1, 0, 1, 2, -2, 0, -2, 4]) };
    const cos01 = 1 / Math.SQRT2;
    const cos12 = -2 / (Math.SQRT2 * 2);
    const w = cogradOuterWeights(gram, 0.2, Float64Array.from([1, 1, 1]));
    close(w, [1 - 0.2 * cos01, 1 - 0.2 * (cos01 + cos12), 1 - 0.2 * cos12], 1e-12);
    const d1 = run(rows, { hessian: 'outer', lambda: 0.2 }).d;
    const d7 = run(
      rows.map((r) => r.map((x) => 7 * x)),
      { hessian: 'outer', lambda: 0.2 },
    ).d;
    close(
      d7,
      d1.map((x) => 7 * x),
      1e-5,
    );
  });

  it('validates options at construction and array lengths at update time', () => {
    expect(() => cograd({ gamma: -1 })).toThrow(ConfigError);
    expect(() => cograd({ gamma: [] })).toThrow(/gamma/);
    expect(() => cograd({ lambda: -0.1, hessian: 'outer' })).toThrow(/lambda/);
    expect(() => cograd({ hessian: 'hvp' as never })).toThrow(/'diag', 'outer'/);
    expect(() => cograd({ taskWeights: [1, -2] })).toThrow(/non-negative/);
    expect(() =>
      run(
        [
          [1, 2],
          [3, 4],
        ],
        { gamma: [0.1, 0.2, 0.3] },
      ),
    ).toThrow(ShapeError);
  });

  it('declares traits from the options and is registered', () => {
    expect(cograd().traits.homogeneity).toBeUndefined();
    expect(cograd({ hessian: 'outer' }).traits.homogeneity).toBe(1);
    expect(cograd({ gamma: [0.1, 0.2] }).traits.permutationInvariant).toBe(false);
    const agg = defaultRegistry.create<ReturnType<typeof cograd>>('cograd', { gamma: 0.02 });
    expect(agg.config).toMatchObject({ hessian: 'diag', gamma: 0.02 });
    expect(defaultRegistry.get('cograd').evidence).toBe('recon');
  });
});

// ---------------------------------------------------------------------------------------------
// Second-order variants on closures.
// ---------------------------------------------------------------------------------------------

/**
 * The −log fixture (ALGORITHMS §2.7): L_i(θ) = −Σ_k log(θ_k + b_ik) over two variables; its
 * Hessian is exactly diag(g_i⊙g_i), so 'diag' is exact there.
 */
function logFixture(k: number, seed: number) {
  const rng = createRng(seed);
  const a = tf.variable(
    tf.tensor1d(Array.from({ length: 3 }, () => 1 + rng.uniform())),
    true,
    `cg_a_${seed}`,
  );
  const b = tf.variable(
    tf.tensor2d([[0.5 + rng.uniform(), 1 + rng.uniform()]]),
    true,
    `cg_b_${seed}`,
  );
  const offsets = Array.from({ length: k }, () =>
    Array.from({ length: 5 }, () => 0.2 + rng.uniform()),
  );
  const losses: TaskLossesFn = () =>
    offsets.map((o) => {
      const x = tf.concat([a, b.reshape([2])]);
      return tf.neg(tf.sum(tf.log(tf.add(x, tf.tensor1d(o))))) as tf.Scalar;
    });
  const vars: tf.Variable[] = [a, b];
  return { vars, losses, dispose: () => tf.dispose(vars) };
}

/** Params-mode Jacobian of a loss closure (blocks keyed by variable name). */
function jacobianOf(losses: TaskLossesFn, vars: readonly tf.Variable[]): TaskJacobian {
  const k = tf.tidy(() => losses().length);
  const rows = Array.from({ length: k }, (_, i) => {
    const { value, grads } = tf.variableGrads(() => losses()[i]!, [...vars]);
    value.dispose();
    return grads;
  });
  const blocks = Object.fromEntries(
    vars.map((v) => [v.name, tf.stack(rows.map((r) => r[v.name]!))]),
  );
  for (const r of rows) tf.dispose(Object.values(r));
  return { tasks: rows.map((_, i) => `t${i}`), blocks };
}

describe("cograd 'hvp' / 'fd' and the −log oracle", () => {
  it("'diag' equals the exact 'hvp' on the −log fixture (per-source γ array), and 'fd' is close", () => {
    const f = logFixture(3, 1);
    const before = tf.memory().numTensors;
    const j = jacobianOf(f.losses, f.vars);
    const keys = f.vars.map((v) => v.name);
    const gamma = [0.05, 0.1, 0.2];
    const agg = cograd({ gamma });
    const diag = agg.update(j, agg.init({ tasks: j.tasks, blocks: {} }), ctx(3));
    const hvp = cogradSecondOrder(j, f.losses, f.vars, { hessian: 'hvp', gamma });
    const fd = cogradSecondOrder(j, f.losses, f.vars, { hessian: 'fd', gamma });
    const dd = flat(diag.direction, keys);
    const dh = flat(hvp.direction, keys);
    const df = flat(fd.direction, keys);
    const scale = Math.max(...dd.map(Math.abs));
    close(dh, dd, 2e-5 * scale);
    close(df, dd, 2e-3 * scale);
    // The correction is not negligible, so the agreement is informative.
    expect(diag.diagnostics!['cogradAuxRatio']!).toBeGreaterThan(0.01);
    expect(hvp.diagnostics.cogradAuxRatio).toBeCloseTo(diag.diagnostics!['cogradAuxRatio']!, 4);
    for (const r of [
      diag.direction,
      hvp.direction,
      fd.direction,
      ...hvp.auxiliary,
      ...fd.auxiliary,
    ])
      tf.dispose(Object.values(r));
    tf.dispose(Object.values(j.blocks));
    expect(tf.memory().numTensors).toBe(before);
    f.dispose();
  });

  it("γ = 0 gives EW for 'hvp' and 'fd' too, and the variables are restored exactly", () => {
    const f = logFixture(2, 2);
    const keys = f.vars.map((v) => v.name);
    const theta = f.vars.map((v) => Array.from(v.dataSync()));
    const j = jacobianOf(f.losses, f.vars);
    const sum = keys.flatMap((k) => read(tf.tidy(() => tf.sum(j.blocks[k]!, 0))));
    for (const hessian of ['hvp', 'fd'] as const) {
      const r = cogradSecondOrder(j, f.losses, f.vars, { hessian, gamma: 0 });
      close(flat(r.direction, keys), sum, 1e-6);
      for (const d of [r.direction, ...r.auxiliary]) tf.dispose(Object.values(d));
    }
    f.vars.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(theta[i]));
    tf.dispose(Object.values(j.blocks));
    f.dispose();
  });

  it('rejects a Jacobian whose blocks are not the given variables', () => {
    const f = logFixture(2, 3);
    const j = jac([
      [1, 2],
      [3, 4],
    ]);
    expect(() => cogradSecondOrder(j, f.losses, f.vars, { hessian: 'hvp' })).toThrow(ShapeError);
    expect(() => cogradSecondOrder(j, f.losses, f.vars, { hessian: 'nope' as never })).toThrow(
      ConfigError,
    );
    tf.dispose(Object.values(j.blocks));
    f.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// Derivation and sign checks on a smooth non-quadratic model, with a float64 host twin.
// L_i(θ) = ½‖A_iθ − y_i‖² + (s_i/4)·Σθ⁴, θ ∈ R⁴, K = 3.
// ---------------------------------------------------------------------------------------------

const D = 4;
const K = 3;
function smoothProblem(seed: number) {
  const rng = createRng(seed);
  const A = Array.from({ length: K }, () =>
    Array.from({ length: D * D }, () => rng.normal() * 0.7),
  );
  const y = Array.from({ length: K }, () => Array.from({ length: D }, () => rng.normal()));
  const s = Array.from({ length: K }, () => 0.5 + rng.uniform());
  const theta0 = Array.from({ length: D }, () => rng.normal() * 0.8);
  const hostLoss = (i: number, th: ArrayLike<number>): number => {
    let l = 0;
    for (let r = 0; r < D; r++) {
      let z = -y[i]![r]!;
      for (let c = 0; c < D; c++) z += A[i]![r * D + c]! * th[c]!;
      l += 0.5 * z * z;
    }
    for (let c = 0; c < D; c++) l += (s[i]! / 4) * th[c]! ** 4;
    return l;
  };
  const hostGrad = (i: number, th: ArrayLike<number>): number[] => {
    const g = Array.from({ length: D }, (_, c) => s[i]! * th[c]! ** 3);
    for (let r = 0; r < D; r++) {
      let z = -y[i]![r]!;
      for (let c = 0; c < D; c++) z += A[i]![r * D + c]! * th[c]!;
      for (let c = 0; c < D; c++) g[c]! += A[i]![r * D + c]! * z;
    }
    return g;
  };
  const theta = tf.variable(tf.tensor1d(theta0), true, `cg_theta_${seed}`);
  const losses: TaskLossesFn = () =>
    A.map((a, i) => {
      const z = tf.sub(
        tf.matMul(tf.tensor2d(a, [D, D]), theta.reshape([D, 1])).reshape([D]),
        tf.tensor1d(y[i]!),
      );
      return tf.add(
        tf.mul(0.5, tf.sum(tf.square(z))),
        tf.mul(s[i]! / 4, tf.sum(tf.square(tf.square(theta)))),
      ) as tf.Scalar;
    });
  return { theta, theta0, losses, hostLoss, hostGrad };
}

describe('cograd derivation and sign checks', () => {
  it("η·Σ_{i≠j}(H_i g_j + H_j g_i) from 'hvp' matches a central difference of the measured Σ T_{j→i}, with O(η) error", () => {
    const p = smoothProblem(11);
    const j = jacobianOf(p.losses, [p.theta]);
    const gamma = 1;
    const r = cogradSecondOrder(j, p.losses, [p.theta], { hessian: 'hvp', gamma });
    const sum = read(tf.tidy(() => tf.sum(j.blocks[p.theta.name]!, 0)));
    const dh = Array.from(r.direction[p.theta.name]!.dataSync());
    // Σ_{i≠j} H_i g_j = (Σg − d)/γ; over ordered pairs the pair sum counts both halves: ×2.
    const pairGrad = sum.map((x, c) => (2 * (x - dh[c]!)) / gamma);
    // F(θ) = Σ_{i≠j} [L_i(θ) − L_i(θ − η g_j(θ))], evaluated in float64 by taking the steps.
    const F = (th: number[], eta: number): number => {
      let f = 0;
      for (let jj = 0; jj < K; jj++) {
        const gj = p.hostGrad(jj, th);
        const ahead = th.map((x, c) => x - eta * gj[c]!);
        for (let i = 0; i < K; i++) if (i !== jj) f += p.hostLoss(i, th) - p.hostLoss(i, ahead);
      }
      return f;
    };
    const rng = createRng(5);
    const v = Array.from({ length: D }, () => rng.normal());
    const errors = [0.02, 0.005].map((eta) => {
      const h = 1e-5;
      const fd =
        (F(
          p.theta0.map((x, c) => x + h * v[c]!),
          eta,
        ) -
          F(
            p.theta0.map((x, c) => x - h * v[c]!),
            eta,
          )) /
        (2 * h);
      const predicted = eta * pairGrad.reduce((a, x, c) => a + x * v[c]!, 0);
      return Math.abs(fd - predicted) / Math.abs(fd);
    });
    // First-order agreement, and the error shrinks like O(η) (×4 smaller η → ≈ ×4 smaller error).
    expect(errors[1]!).toBeLessThan(0.05);
    expect(errors[1]!).toBeLessThan(errors[0]! / 2.5);
    for (const d of [r.direction, ...r.auxiliary]) tf.dispose(Object.values(d));
    tf.dispose(Object.values(j.blocks));
    p.theta.dispose();
  });

  it("a small step along −d with γ > 0 raises Σ_{i≠j} g_i·g_j above the EW step ('hvp' on the smooth model, 'diag' on −log)", () => {
    const pairSum = (grads: number[][]): number => {
      let s = 0;
      for (let i = 0; i < grads.length; i++)
        for (let jj = 0; jj < grads.length; jj++)
          if (i !== jj) s += grads[i]!.reduce((a, x, c) => a + x * grads[jj]![c]!, 0);
      return s;
    };
    // Smooth model, exact HVP, host float64 evaluation of the pair sum after each step.
    const p = smoothProblem(12);
    const j = jacobianOf(p.losses, [p.theta]);
    const r = cogradSecondOrder(j, p.losses, [p.theta], { hessian: 'hvp', gamma: 0.05 });
    const d = Array.from(r.direction[p.theta.name]!.dataSync());
    const ew = read(tf.tidy(() => tf.sum(j.blocks[p.theta.name]!, 0)));
    const after = (dir: number[]): number => {
      const th = p.theta0.map((x, c) => x - 1e-3 * dir[c]!);
      return pairSum(Array.from({ length: K }, (_, i) => p.hostGrad(i, th)));
    };
    expect(after(d)).toBeGreaterThan(after(ew));
    for (const dd of [r.direction, ...r.auxiliary]) tf.dispose(Object.values(dd));
    tf.dispose(Object.values(j.blocks));
    p.theta.dispose();

    // −log fixture: 'diag' is exact there; evaluate the pair sum with the device gradients.
    const f = logFixture(3, 4);
    const jl = jacobianOf(f.losses, f.vars);
    const agg = cograd({ gamma: 0.1 });
    const rd = agg.update(jl, agg.init({ tasks: jl.tasks, blocks: {} }), ctx(3));
    const keys = f.vars.map((v) => v.name);
    const step = (dir: Direction | null): number => {
      const saved = f.vars.map((v) => tf.clone(v));
      f.vars.forEach((v) => {
        const dv =
          dir === null ? tf.tidy(() => tf.sum(jl.blocks[v.name]!, 0)) : tf.clone(dir[v.name]!);
        tf.tidy(() => v.assign(tf.sub(v, tf.mul(dv, 1e-3))));
        dv.dispose();
      });
      const jj = jacobianOf(f.losses, f.vars);
      const grads = Array.from({ length: 3 }, (_, i) =>
        keys.flatMap((k) => read(tf.tidy(() => tf.gather(jj.blocks[k]!, i)))),
      );
      tf.dispose(Object.values(jj.blocks));
      f.vars.forEach((v, i) => v.assign(saved[i]!));
      tf.dispose(saved);
      return pairSum(grads);
    };
    expect(step(rd.direction)).toBeGreaterThan(step(null));
    tf.dispose(Object.values(rd.direction));
    tf.dispose(Object.values(jl.blocks));
    f.dispose();
  });
});

describe('measureTransference', () => {
  it('T_{j→i} = L_i(θ) − L_i(θ − ηg_j) ≈ η g_i·g_j for small η; ratio form; θ restored', () => {
    const p = smoothProblem(21);
    const j = jacobianOf(p.losses, [p.theta]);
    const before = tf.memory().numTensors;
    const eta = 1e-3;
    const T = measureTransference(j, p.losses, [p.theta], { eta });
    const R = measureTransference(j, p.losses, [p.theta], { eta, form: 'ratio' });
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(p.theta.dataSync())).toEqual(Array.from(Float32Array.from(p.theta0)));
    const g = Array.from({ length: K }, (_, i) => p.hostGrad(i, p.theta0));
    for (let i = 0; i < K; i++) {
      for (let jj = 0; jj < K; jj++) {
        const first = eta * g[i]!.reduce((a, x, c) => a + x * g[jj]![c]!, 0);
        // float32 losses: the difference of two O(1) numbers carries ~1e-6 absolute noise.
        expect(Math.abs(T[i * K + jj]! - first)).toBeLessThan(0.05 * Math.abs(first) + 2e-5);
        expect(R[i * K + jj]!).toBeCloseTo(T[i * K + jj]! / p.hostLoss(i, p.theta0), 4);
      }
    }
    expect(() => measureTransference(j, p.losses, [p.theta], { eta: 0 })).toThrow(ConfigError);
    tf.dispose(Object.values(j.blocks));
    p.theta.dispose();
  });
});
