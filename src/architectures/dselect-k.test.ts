import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import type { InputSpec, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import {
  binaryCodes,
  dselectK,
  dselectRegularizer,
  selectorOutputs,
  smoothStep,
} from './dselect-k.js';
import { forward } from './model.js';
import { disposeSyntheticBatch, syntheticBatch, trainBriefly } from './verify.js';

const values = (t: tf.Tensor): number[] => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

describe('smoothStep', () => {
  it('matches the cubic of Hazimeh et al. (golden, γ = 1)', () => {
    const s = values(smoothStep(tf.tensor1d([-2, -0.5, -0.25, 0, 0.25, 0.5, 3]), 1));
    const want = [0, 0, 0.15625, 0.5, 0.84375, 1, 1];
    s.forEach((v, i) => expect(v).toBeCloseTo(want[i] as number, 6));
  });

  it('scales with γ: S_γ(t) = S_1(t/γ)', () => {
    const t = [-1.3, -0.4, 0.1, 0.7, 1.2];
    const a = values(smoothStep(tf.tensor1d(t), 2.5));
    const b = values(smoothStep(tf.tensor1d(t.map((x) => x / 2.5)), 1));
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i] as number, 6));
  });

  it('has the analytic derivative 3/(2γ) − 6t²/γ³ inside and 0 outside', () => {
    const g = tf.grad((t: tf.Tensor) => tf.sum(smoothStep(t, 1)));
    const d = values(g(tf.tensor1d([-0.7, -0.25, 0, 0.3, 0.9])));
    const want = [0, 1.5 - 6 * 0.0625, 1.5, 1.5 - 6 * 0.09, 0];
    d.forEach((v, i) => expect(v).toBeCloseTo(want[i] as number, 5));
  });
});

describe('binary encoding and selectors', () => {
  it('encodes experts most significant bit first (golden)', () => {
    const c = binaryCodes(3);
    expect(c.arraySync()).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
    c.dispose();
    const c5 = binaryCodes(5);
    expect(c5.shape).toEqual([5, 3]);
    expect(c5.arraySync()[4]).toEqual([1, 0, 0]);
    c5.dispose();
  });

  it('a saturated selector picks exactly one expert; a neutral one spreads uniformly', () => {
    const codes = binaryCodes(4);
    const r = tf.tidy(() =>
      selectorOutputs(
        tf.tensor2d([
          [1, 0],
          [0.5, 0.5],
        ]),
        codes,
      ),
    );
    expect(r.arraySync()).toEqual([
      [0, 0, 1, 0],
      [0.25, 0.25, 0.25, 0.25],
    ]);
    tf.dispose([r, codes]);
  });

  it('selector outputs over all 2^m codes sum to 1 for any activations', () => {
    const codes = binaryCodes(8);
    const rng = createRng(3);
    const s = tf.tensor2d(
      Array.from({ length: 15 }, () => rng.uniform()),
      [5, 3],
    );
    const sums = tf.tidy(() => tf.sum(selectorOutputs(s, codes), -1));
    values(sums).forEach((v) => expect(v).toBeCloseTo(1, 5));
    tf.dispose([codes, s]);
  });
});

describe('dselectRegularizer', () => {
  it('entropy only when n is a power of 2 (golden)', () => {
    const r = tf.fill([1, 4], 0.25);
    const loss = values(dselectRegularizer(r, 4, 1))[0] as number;
    expect(loss).toBeCloseTo(-Math.log(0.25 + 1e-6), 5);
    r.dispose();
  });

  it('adds Σ_i 1/Σ_e r_i(e) when n is not a power of 2 (golden)', () => {
    const r = tf.fill([1, 3], 0.25);
    const loss = values(dselectRegularizer(r, 3, 1))[0] as number;
    expect(loss).toBeCloseTo(-0.75 * Math.log(0.25 + 1e-6) + 1 / 0.75, 5);
    r.dispose();
  });

  it('averages over the batch for per-example selectors', () => {
    const r = tf.tensor3d([[[1, 0, 0, 0]], [[0.25, 0.25, 0.25, 0.25]]]);
    const loss = values(dselectRegularizer(r, 4, 2))[0] as number;
    expect(loss).toBeCloseTo((2 * (-Math.log(1 + 1e-6) - Math.log(0.25 + 1e-6))) / 2, 5);
    r.dispose();
  });
});

describe('dselect-k architecture', () => {
  const spec: InputSpec = { numeric: 4, categorical: [] };
  const tasks: TaskSpec[] = [
    { id: 'x', kind: 'regression' },
    { id: 'y', kind: 'binary' },
  ];
  const tiny = { expertHidden: [6], towerHidden: [4] };

  it('validates numNonzeros ≤ numExperts', () => {
    expect(() => dselectK({ numExperts: 2, numNonzeros: 3 })).toThrow(ConfigError);
    expect(() => dselectK({ numExperts: 1 })).toThrow(/numExperts/);
  });

  it('gate weights lie on the simplex; the aux loss exists in training only', () => {
    for (const gateMode of ['static', 'per-example'] as const) {
      const model = dselectK({ ...tiny, numExperts: 4, numNonzeros: 2, gateMode }).build(
        spec,
        tasks,
        createRng(1),
      );
      const batch = syntheticBatch(spec, tasks, 6, 1);
      const diag = model.diagnostics!(batch.inputs, {
        training: false,
        rng: createRng(0),
        step: 0,
      });
      const gates = diag['gates'] as Record<string, number[]>;
      for (const t of tasks) {
        const w = gates[t.id] as number[];
        expect(w).toHaveLength(4);
        expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(Math.min(...w)).toBeGreaterThanOrEqual(0);
      }
      const evalOut = forward(model, batch.inputs, { training: false, rng: createRng(0), step: 0 });
      expect(evalOut.auxLoss).toBeUndefined();
      tf.dispose(evalOut as unknown as tf.TensorContainer);
      const trainOut = forward(model, batch.inputs, { training: true, rng: createRng(0), step: 0 });
      expect(trainOut.auxLoss).toBeDefined();
      expect(values(trainOut.auxLoss!)[0]).toBeGreaterThan(0);
      tf.dispose(trainOut.outputs as tf.NamedTensorMap);
      model.dispose();
      disposeSyntheticBatch(batch);
    }
  });

  it('a strong entropy regulariser drives each static gate to a sparse, final selection', () => {
    const run = (entropyReg: number): Record<string, number>[] => {
      const model = dselectK({
        ...tiny,
        numExperts: 4,
        numNonzeros: 2,
        gateMode: 'static',
        entropyReg,
      }).build(spec, tasks, createRng(2));
      const batch = syntheticBatch(spec, tasks, 16, 4);
      const opts = { training: false, rng: createRng(0), step: 0 };
      const before = model.diagnostics!(batch.inputs, opts)['nonzeros'] as Record<string, number>;
      trainBriefly(model, batch, { steps: 60, learningRate: 0.05 });
      const after = model.diagnostics!(batch.inputs, opts)['nonzeros'] as Record<string, number>;
      model.dispose();
      disposeSyntheticBatch(batch);
      return [before, after];
    };
    const [before, after] = run(0.5);
    for (const t of tasks) {
      expect(before![t.id]).toBe(4); // every expert starts with weight ≈ 1/4
      expect(after![t.id]).toBeLessThanOrEqual(2); // at most k once the selectors saturate
    }
    // The same seeded run without the regulariser leaves a gate spread over all four experts.
    const [, plain] = run(0);
    expect(Math.max(...tasks.map((t) => plain![t.id] as number))).toBe(4);
  });
});
