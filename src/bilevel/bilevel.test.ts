import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { stepContext } from '../../test/helpers/step-context.js';
import {
  hostGrad,
  quadraticOracle,
  type QuadraticProblem,
} from '../../test/helpers/quadratic-oracle.js';
import { autoLambda } from './auto-lambda.js';
import { moml } from './moml.js';

const problem: QuadraticProblem = {
  inner: [
    {
      a: [
        [1, 0.5, 0],
        [0, 1, 0.2],
      ],
      y: [1, -1],
    },
    {
      a: [
        [0.3, -1, 1],
        [1, 1, 1],
      ],
      y: [0.5, 2],
    },
  ],
  outer: [
    {
      a: [
        [1, 0.4, 0.1],
        [0.1, 1, 0.3],
      ],
      y: [1.2, -0.8],
    },
    {
      a: [
        [0.2, -1, 0.9],
        [1, 0.8, 1],
      ],
      y: [0.4, 2.1],
    },
  ],
};
const theta = [0.2, -0.3, 0.5];
const dot = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('auto-lambda', () => {
  it('hypergradient = −η·J_softmaxᵀ(∇L_k^in(θ)·g′) with g′ = Σ∇L^out(θ′) (quadratics: central FD is exact)', () => {
    const eta = 0.1;
    const oracle = quadraticOracle(problem, theta, eta);
    const before = tf.memory().numTensors;
    const m = autoLambda();
    const r = m.step(oracle, m.init(2), stepContext([1, 1]));
    expect(tf.memory().numTensors).toBe(before);
    oracle.dispose();
    // Host float64 twin. λ = (0.5, 0.5).
    const gin = problem.inner.map((t) => hostGrad(t, theta));
    const thetaP = theta.map((v, i) => v - eta * 0.5 * (gin[0]![i]! + gin[1]![i]!));
    const gOut = problem.outer.map((t) => hostGrad(t, thetaP));
    const gp = gOut[0]!.map((v, i) => v + gOut[1]![i]!);
    const d = gin.map((g) => dot(g, gp));
    const mean = 0.5 * (d[0]! + d[1]!);
    const expected = d.map((v) => -eta * 0.5 * (v - mean));
    expect(r.diagnostics!['autoLambdaHypergrad0']).toBeCloseTo(expected[0]!, 4);
    expect(r.diagnostics!['autoLambdaHypergrad1']).toBeCloseTo(expected[1]!, 4);
    // Adam's first step moves each logit by −lr·sign(grad).
    expect(r.state.logits[0]).toBeCloseTo(0.5 - 1e-3 * Math.sign(expected[0]!), 6);
    expect(r.weights.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 12);
    expect(r.direction).toBeUndefined();
  });
});

describe('moml', () => {
  it('hypergradient: MGDA over the l2-normalised rows of −η·(Φ Fᵀ)·J_softmax (K = 2 closed form)', () => {
    const eta = 0.1;
    const oracle = quadraticOracle(problem, theta, 0.5);
    const before = tf.memory().numTensors;
    const m = moml({ innerLr: eta });
    const r = m.step(oracle, m.init(2), stepContext([1, 1]));
    expect(tf.memory().numTensors).toBe(before);
    oracle.dispose();
    const f = problem.inner.map((t) => hostGrad(t, theta));
    const thetaP = theta.map((v, i) => v - eta * 0.5 * (f[0]![i]! + f[1]![i]!));
    const phi = problem.outer.map((t) => hostGrad(t, thetaP));
    // J_softmax at uniform: [[0.25, −0.25], [−0.25, 0.25]]; row t: −η·0.25·(c_t0 − c_t1)·(1, −1).
    const rows = phi.map((p) => {
      const v = -eta * 0.25 * (dot(p, f[0]!) - dot(p, f[1]!));
      const n = Math.hypot(v, v);
      return [v / n, -v / n];
    });
    // Two unit vectors on one line: equal → that vector; opposite → min-norm point is 0.
    const same = Math.sign(rows[0]![0]!) === Math.sign(rows[1]![0]!);
    const expected = same ? rows[0]! : [0, 0];
    expect(r.diagnostics!['momlHypergrad0']).toBeCloseTo(expected[0]!, 4);
    expect(r.diagnostics!['momlHypergrad1']).toBeCloseTo(expected[1]!, 4);
  });
});
