import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { stepContext } from '../../test/helpers/step-context.js';
import {
  hostGrad,
  hostLoss,
  quadraticOracle,
  type QuadraticProblem,
} from '../../test/helpers/quadratic-oracle.js';
import { autoLambda } from './auto-lambda.js';
import { solveIneqQp } from '../linalg/ineq-qp.js';
import { minNormSimplex } from '../linalg/simplex.js';
import { forum } from './forum.js';
import { disposeTree } from './tree.js';
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

describe('moml (K = 3)', () => {
  it('hypergradient = Σ μ_t M̂_t with M = −η·ΦFᵀ·J_softmax and μ the min-norm point of the rows', () => {
    const p3: QuadraticProblem = {
      inner: [...problem.inner, { a: [[0.5, 0.5, -1]], y: [0.3] }],
      outer: [...problem.outer, { a: [[0.6, 0.2, -1.2]], y: [0.1] }],
    };
    const eta = 0.1;
    const oracle = quadraticOracle(p3, theta, 0.5);
    const m = moml({ innerLr: eta });
    const r = m.step(oracle, m.init(3), stepContext([1, 1, 1]));
    oracle.dispose();
    const s = [1 / 3, 1 / 3, 1 / 3];
    const f = p3.inner.map((t) => hostGrad(t, theta));
    const thetaP = theta.map((v, i) => v - eta * f.reduce((a, g) => a + g[i]! / 3, 0));
    const phi = p3.outer.map((t) => hostGrad(t, thetaP));
    const jsm = (i: number, j: number): number => (i === j ? s[i]! : 0) - s[i]! * s[j]!;
    const rows = phi.map((pt) => {
      const row = [0, 1, 2].map(
        (j) => -eta * [0, 1, 2].reduce((a, i) => a + dot(pt, f[i]!) * jsm(i, j), 0),
      );
      const n = Math.hypot(...row);
      return row.map((v) => v / n);
    });
    const gram = rows.flatMap((a) => rows.map((b) => dot(a, b)));
    const mu = minNormSimplex(gram, 3).weights;
    const expected = [0, 1, 2].map((j) => rows.reduce((a, row, t) => a + mu[t]! * row[j]!, 0));
    expected.forEach((v, j) => expect(r.diagnostics![`momlHypergrad${j}`]).toBeCloseTo(v, 3));
    // The min-norm point is non-conflicting with every row.
    rows.forEach((row) => expect(dot(row, expected)).toBeGreaterThanOrEqual(-1e-9));
  });
});

describe('forum', () => {
  it('direction = Σλ_t ĝ_t + ν·g_q with λ the QP solution in epoch 0 (float64 host twin)', () => {
    const innerLr = 0.1;
    const phi = 0.1;
    const oracle = quadraticOracle(problem, theta, 0.5);
    const before = tf.memory().numTensors;
    const m = forum({ innerLr, phi });
    const r = m.step(oracle, m.init(2), stepContext([1, 1]));
    const d = Array.from(r.direction!['theta']!.dataSync());
    disposeTree(r.direction);
    expect(tf.memory().numTensors).toBe(before);
    oracle.dispose();
    // Host twin.
    const lin = (th: number[]): number[] => problem.inner.map((t) => hostLoss(t, th));
    const sgrad = (v: number[]): number[] => [
      0.5 * (v[0]! - (v[0]! + v[1]!) / 2),
      0.5 * (v[1]! - (v[0]! + v[1]!) / 2),
    ];
    const gin = problem.inner.map((t) => hostGrad(t, theta));
    const gfTheta = theta.map((_, i) => 0.5 * (gin[0]![i]! + gin[1]![i]!));
    const thetaT = theta.map((v, i) => v - innerLr * gfTheta[i]!);
    const ga = sgrad(lin(theta));
    const gb = sgrad(lin(thetaT));
    const gqAlpha = [ga[0]! - gb[0]!, ga[1]! - gb[1]!];
    const out = problem.outer.map((t) => hostGrad(t, theta));
    const n = out.map((g) => Math.hypot(...g));
    const unit = out.map((g, t) => g.map((v) => v / n[t]!));
    const gq2 = dot(gfTheta, gfTheta) + dot(gqAlpha, gqAlpha);
    const pi = unit.map((u) => phi - dot(u, gfTheta) / (gq2 + 1e-8));
    const h = [
      [dot(unit[0]!, unit[0]!), dot(unit[0]!, unit[1]!), dot(unit[0]!, gfTheta)],
      [dot(unit[1]!, unit[0]!), dot(unit[1]!, unit[1]!), dot(unit[1]!, gfTheta)],
      [dot(gfTheta, unit[0]!), dot(gfTheta, unit[1]!), gq2],
    ]
      .flat()
      .map((v) => 2 * v);
    const qp = solveIneqQp(h, 3, [0, 0, -phi * (gq2 + 1e-8)], {
      a: [-1, 0, 0, 0, -1, 0, 0, 0, -1, pi[0]!, pi[1]!, -1],
      b: [0, 0, 0, 0],
      e: [1, 1, 0],
      f: [1],
    });
    const lambda = [qp.x[0]!, qp.x[1]!];
    const nu = Math.max(lambda[0]! * pi[0]! + lambda[1]! * pi[1]!, 0);
    const expected = theta.map(
      (_, i) => lambda[0]! * unit[0]![i]! + lambda[1]! * unit[1]![i]! + nu * gfTheta[i]!,
    );
    expected.forEach((v, i) => expect(d[i]).toBeCloseTo(v, 4));
    expect(r.weights[0]).toBeCloseTo(lambda[0]!, 6);
    expect(r.diagnostics!['forumNu']).toBeCloseTo(nu, 5);
    expect(lambda[0]! + lambda[1]!).toBeCloseTo(1, 8);
  });
});
