// Gumbel-Matrix routing (ALGORITHMS §3): temperature schedule, greedy mask at p ≥ 0.5, mean of
// the selected components (empty selection → zeros), the reference allocations (all-ones =
// shared-bottom mean, identity = no sharing), straight-through gradients, hard-sample frequency,
// the auxiliary losses, router gradients per task row, and the allocation report.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import type { InputSpec, ModelInputs, MtlModel, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import { nonlinearOps } from './ops.js';
import {
  gumbelMatrix,
  gumbelTemperature,
  sampleAllocation,
  sharedComponents,
  type GumbelMatrixOptions,
} from './gumbel-matrix.js';

const TASKS: TaskSpec[] = [
  { id: 'a', kind: 'regression' },
  { id: 'b', kind: 'regression' },
];
const SPEC: InputSpec = { numeric: 3, categorical: [] };
const ops = nonlinearOps(false);

function build(options: GumbelMatrixOptions, tasks = TASKS): MtlModel {
  return gumbelMatrix({ towerHidden: [], l2: 0, ...options }).build(SPEC, tasks, createRng(4));
}

function inputs(n = 5, seed = 2): ModelInputs {
  const rng = createRng(seed);
  return {
    numeric: tf.tensor2d(
      Array.from({ length: n * 3 }, () => rng.normal()),
      [n, 3],
    ),
  };
}

const read = (t: tf.Tensor): number[] => {
  const out = Array.from(t.dataSync());
  t.dispose();
  return out;
};

const evalOpts = { training: false, rng: createRng(0), step: 0 };

/** Components' outputs `[B, C, H]` of layer 0 and the model's per-task features, eval mode. */
function layer0(model: MtlModel, x: ModelInputs): { comps: number[][][]; features: number[][] } {
  const vars = new Map(model.shared.map((v) => [v.name, v]));
  const c = [...vars.keys()].filter((n) => /layer0\/component\d+\/kernel$/.test(n)).length;
  const comps = Array.from({ length: c }, (_, j) => {
    const k = vars.get(`${model.architecture}/layer0/component${j}/kernel`)!;
    const b = vars.get(`${model.architecture}/layer0/component${j}/bias`)!;
    const y = tf.tidy(() => tf.relu(tf.add(tf.matMul(x.numeric!, k as tf.Tensor2D), b)));
    const rows = y.arraySync() as number[][];
    y.dispose();
    return rows;
  });
  const t = model.trunk(x, evalOpts);
  const features = t.features.map((f) => read(f));
  return { comps, features };
}

describe('gumbel-matrix: schedule, mask and aggregation', () => {
  it('τ(s) = max(τ_min, τ_0/√(s + 1)): 50 at s = 0, 5 at s = 99, 0.5 from s = 9,999', () => {
    expect(gumbelTemperature(0)).toBe(50);
    expect(gumbelTemperature(99)).toBeCloseTo(5, 12);
    expect(gumbelTemperature(9999)).toBeCloseTo(0.5, 12);
    expect(gumbelTemperature(50_000)).toBe(0.5);
    expect(gumbelTemperature(3, 8, 1)).toBe(4);
  });

  it('inference selects component c iff p ≥ 0.5 (a tie selects it)', () => {
    const logits = tf.tensor3d([
      [
        [Math.log(0.5), Math.log(0.5)],
        [Math.log(0.49), Math.log(0.51)],
        [Math.log(0.9), Math.log(0.1)],
      ],
    ]);
    expect(read(sampleAllocation(logits, evalOpts, 1, ops))).toEqual([1, 0, 1]);
    logits.dispose();
  });

  it('out_t is the mean of the selected components; a task selecting none gets zeros', () => {
    const x = inputs();
    // One routed layer, 3 components; task a uses {0, 2}, task b none.
    const model = build({
      layers: [4],
      components: 3,
      probsInit: [0.9, 0.1, 0.8, 0.2, 0.3, 0.1],
    });
    const { comps, features } = layer0(model, x);
    const want = comps[0]!.flatMap((row, i) => row.map((v, h) => (v + comps[2]![i]![h]!) / 2));
    features[0]!.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    expect(features[1]!.every((v) => v === 0)).toBe(true);
    model.dispose();
    tf.dispose(Object.values(x));
  });

  it('reference allocations: all-ones = mean of all components (shared bottom), identity = no sharing', () => {
    const x = inputs();
    const shared = build({ layers: [4], components: 2, probsInit: 0.99 });
    const s = layer0(shared, x);
    const mean = s.comps[0]!.flatMap((row, i) => row.map((v, h) => (v + s.comps[1]![i]![h]!) / 2));
    for (const f of s.features) f.forEach((v, i) => expect(v).toBeCloseTo(mean[i]!, 5));
    shared.dispose();
    const own = build({ layers: [4], components: 2, probsInit: [0.99, 0.01, 0.01, 0.99] });
    const o = layer0(own, x);
    o.features.forEach((f, t) =>
      f.forEach((v, i) => expect(v).toBeCloseTo(o.comps[t]!.flat()[i]!, 5)),
    );
    own.dispose();
    tf.dispose(Object.values(x));
  });
});

describe('gumbel-matrix: Gumbel straight-through sampling', () => {
  it('hard 0/1 samples in training, selected with frequency p whatever the temperature', () => {
    const p = [0.8, 0.3];
    const logits = tf.tensor3d([p.map((q) => [Math.log(q), Math.log(1 - q)])]);
    const rng = createRng(9);
    for (const tau of [50, 0.5]) {
      const counts = [0, 0];
      const n = 1500;
      for (let i = 0; i < n; i++) {
        const z = read(sampleAllocation(logits, { training: true, rng }, tau, ops));
        z.forEach((v, c) => {
          expect(v === 0 || v === 1).toBe(true);
          counts[c]! += v;
        });
      }
      // Binomial standard error ≈ 0.012 at n = 1,500.
      counts.forEach((k, c) => expect(Math.abs(k / n - p[c]!)).toBeLessThan(0.04));
    }
    logits.dispose();
  });

  it('the gradient is that of the soft sample softmax((l + G)/τ)[0] (same Gumbel draw)', () => {
    const logits = tf.variable(
      tf.tensor3d([
        [
          [0.3, -0.2],
          [-1, 0.5],
        ],
      ]),
      true,
      'gm_st_logits',
    );
    const w = tf.tensor2d([[2, -3]]);
    const tau = 2;
    const { grads } = tf.variableGrads(
      () =>
        tf.sum(
          tf.mul(sampleAllocation(logits, { training: true, rng: createRng(5) }, tau, ops), w),
        ),
      [logits],
    );
    const rng = createRng(5);
    const g = (): number => -Math.log(-Math.log(rng.uniform() + 1e-20) + 1e-20);
    const noise = [0, 1].map(() => {
      const g0 = g();
      return g0 - g();
    });
    const { grads: ref } = tf.variableGrads(() => {
      const [l0, l1] = tf.unstack(logits, 2);
      const soft = tf.sigmoid(tf.div(tf.add(tf.sub(l0!, l1!), tf.tensor2d([noise])), tau));
      return tf.sum(tf.mul(soft, w));
    }, [logits]);
    const a = read(grads[logits.name]!);
    const b = read(ref[logits.name]!);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 6));
    expect(Math.abs(a[0]!)).toBeGreaterThan(1e-3);
    tf.dispose([logits, w]);
  });
});

describe('gumbel-matrix: auxiliary losses and router gradients', () => {
  const aux = (options: GumbelMatrixOptions, step = 0): number => {
    const model = build({
      layers: [2],
      components: 2,
      probsInit: [0.9, 0.6, 0.2, 0.5],
      ...options,
    });
    const x = inputs(2);
    const t = model.trunk(x, { training: true, rng: createRng(1), step });
    const v = t.auxLoss === undefined ? 0 : read(t.auxLoss)[0]!;
    tf.dispose(t.features as tf.Tensor[]);
    const evalAux = model.trunk(x, evalOpts);
    expect(evalAux.auxLoss).toBeUndefined();
    tf.dispose(evalAux.features as tf.Tensor[]);
    model.dispose();
    tf.dispose(Object.values(x));
    return v;
  };

  it('budget, connection, disconnect and entropy match their formulas (training only)', () => {
    // Task a: p = (0.9, 0.6), task b: (0.2, 0.5); N = 2 components.
    expect(aux({})).toBe(0);
    expect(aux({ budgetWeight: 2, budget: 0.5 })).toBeCloseTo(2 * (0.75 - 0.5), 5);
    expect(aux({ connectionWeight: 0.5 })).toBeCloseTo(0.5 * 2.2, 5);
    expect(aux({ disconnectWeight: 1 })).toBeCloseTo(0.1 * 0.4 + 0.8 * 0.5, 5);
    const h = (q: number): number => -q * Math.log(q) - (1 - q) * Math.log(1 - q);
    const total = h(0.9) + h(0.6) + h(0.2) + h(0.5);
    expect(aux({ entropyWeight: 1, totalSteps: 100, entropyPower: 2 }, 50)).toBeCloseTo(
      0.25 * total,
      5,
    );
  });

  it('L2 is ½·l2·Σ‖W‖² over kernels (trunk: encoder and components; heads: their own), not biases or logits', () => {
    const model = build({ layers: [2], components: 2, l2: 0.1 });
    const x = inputs(2);
    const opts = { training: true, rng: createRng(1), step: 0 };
    const t = model.trunk(x, opts);
    const h = model.heads(t.features, x, opts);
    const sq = (vs: readonly tf.Variable[]): number =>
      vs
        .filter((v) => !v.name.endsWith('/bias'))
        .reduce((s, v) => s + Array.from(v.dataSync()).reduce((a, b) => a + b * b, 0), 0);
    expect(read(t.auxLoss!)[0]).toBeCloseTo(0.05 * sq(model.shared), 5);
    expect(read(h.auxLoss!)[0]).toBeCloseTo(0.05 * sq(Object.values(model.perTask).flat()), 5);
    tf.dispose([...(t.features as tf.Tensor[]), ...Object.values(h.outputs)]);
    model.dispose();
    tf.dispose(Object.values(x));
  });

  it("router logits are `extra` variables; task t's loss reaches only row t", () => {
    const model = build({ layers: [3, 3], components: 2 });
    expect(model.extra?.map((v) => v.name)).toEqual([
      'gumbel-matrix/router/layer0',
      'gumbel-matrix/router/layer1',
    ]);
    const x = inputs(4);
    for (const [t, task] of TASKS.entries()) {
      const { value, grads } = tf.variableGrads(() => {
        const opts = { training: true, rng: createRng(3), step: 10 };
        const tr = model.trunk(x, opts);
        return tf.sum(tf.square(model.heads(tr.features, x, opts).outputs[task.id]!));
      }, [...model.extra!]);
      value.dispose();
      for (const v of model.extra!) {
        const g = read(grads[v.name]!); // [K, C, 2]
        const row = (r: number) => g.slice(r * 4, (r + 1) * 4);
        expect(row(1 - t).every((q) => q === 0)).toBe(true);
        expect(row(t).some((q) => q !== 0)).toBe(true);
      }
    }
    model.dispose();
    tf.dispose(Object.values(x));
  });
});

describe('gumbel-matrix: allocation report and options', () => {
  it('diagnostics give the probabilities and the greedy allocation per layer; sharedComponents counts overlaps', () => {
    const model = build({
      layers: [2, 2],
      components: 3,
      probsInit: [0.9, 0.4, 0.7, 0.6, 0.6, 0.2, 0.8, 0.3, 0.9, 0.1, 0.6, 0.5],
    });
    const x = inputs(2);
    const d = model.diagnostics!(x, evalOpts) as {
      probabilities: Record<string, number[][]>;
      allocation: Record<string, number[][]>;
      temperature: number;
    };
    expect(d.allocation['layer0']).toEqual([
      [1, 0, 1],
      [1, 0, 1],
    ]);
    expect(d.allocation['layer1']).toEqual([
      [1, 1, 0],
      [0, 1, 1],
    ]);
    expect(d.probabilities['layer1']![1]![2]).toBeCloseTo(0.5, 5);
    expect(d.temperature).toBe(50);
    expect(sharedComponents(Object.values(d.allocation))).toEqual([
      [4, 3],
      [3, 4],
    ]);
    model.dispose();
    tf.dispose(Object.values(x));
  });

  it('validates options at construction and probsInit against K·L·C at build', () => {
    expect(() => gumbelMatrix({ probsInit: 1 })).toThrow(ConfigError);
    expect(() => gumbelMatrix({ probsInit: [0.5, 0] })).toThrow(/strictly between 0 and 1/);
    expect(() => gumbelMatrix({ entropyWeight: 0.1 })).toThrow(/totalSteps/);
    expect(() => gumbelMatrix({ layers: [] })).toThrow(/layers/);
    expect(() => gumbelMatrix({ components: 0 })).toThrow(/components/);
    expect(() => build({ layers: [2], components: 2, probsInit: [0.5, 0.5, 0.5] })).toThrow(
      /K·L·C/,
    );
  });
});
