import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { GradientNotRegisteredError } from '../core/errors.js';
import { assertGradientsRegistered } from './ensure.js';
import { gradKeepGraph, gradOfGradFunction, hessianVectorProduct } from './higher-order.js';
import * as safe from './safe-ops.js';

// A 3×2 input through a 2×2 linear layer and activation `a`; h(W) = ‖∇_W L(W)‖² with
// L(W) = Σ c ⊙ a(XW). ∇_W h needs the second derivative of `a` (ARCHITECTURE §3.1's test).
const X = tf.tensor2d([
  [0.3, -0.8],
  [0.9, 0.4],
  [-0.5, 0.7],
]);
const C = tf.tensor2d([
  [1.0, -0.5],
  [0.25, 0.75],
  [-1.0, 0.5],
]);
const W0 = [0.4, -0.6, 0.7, 0.2];
afterAll(() => tf.dispose([X, C]));

type Act = (x: tf.Tensor) => tf.Tensor;

/** L(W) = Σ C ⊙ a(XW) + decay·½‖W‖². */
function lossOf(a: Act, w: tf.Tensor, decay = 0): tf.Scalar {
  const l: tf.Scalar = tf.sum(tf.mul(C, a(tf.matMul(X, w))));
  return decay === 0 ? l : (tf.add(l, tf.mul(0.5 * decay, tf.sum(tf.square(w)))) as tf.Scalar);
}

/** h(W) = ‖∇L‖², first order only (correct for raw and safe ops alike). */
function h(a: Act, w: number[], decay: number): number {
  const wt = tf.tensor2d(w, [2, 2]);
  const g = tf.grad((x: tf.Tensor) => lossOf(a, x, decay))(wt);
  const v = tf.sum(tf.square(g));
  const out = v.dataSync()[0]!;
  tf.dispose([wt, g, v]);
  return out;
}

/** ∇_W h by double backward through `a`. */
function secondOrder(a: Act, decay = 0): number[] {
  const w = tf.tidy(() => tf.variable(tf.tensor2d(W0, [2, 2])));
  const { value, grads } = gradOfGradFunction(
    () => lossOf(a, w, decay),
    [w],
    (g) => tf.sum(tf.square(g[0]!)),
  );
  const out = Array.from(grads[0]!.dataSync());
  tf.dispose([value, ...grads, w]);
  return out;
}

/** Central differences of h in float32, step `eps`. */
function finiteDiff(a: Act, eps: number, decay = 0): number[] {
  return W0.map((_, i) => {
    const p = [...W0];
    const m = [...W0];
    p[i]! += eps;
    m[i]! -= eps;
    return (h(a, p, decay) - h(a, m, decay)) / (2 * eps);
  });
}

function relErr(a: number[], b: number[]): number {
  const scale = Math.max(...b.map(Math.abs));
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!))) / scale;
}

const ops: [string, Act, Act][] = [
  ['sigmoid', safe.sigmoid, tf.sigmoid],
  ['tanh', safe.tanh, tf.tanh],
  ['exp', safe.exp, tf.exp],
  ['softmax', safe.softmax, (x) => tf.softmax(x)],
  ['logSoftmax', safe.logSoftmax, (x) => tf.logSoftmax(x)],
  ['softplus', safe.softplus, tf.softplus],
];

describe('safe ops', () => {
  it.each(ops)('%s: value and first-order gradient equal the stock op', (_, mine, stock) => {
    const x = tf.tensor2d([
      [-3, -0.5, 0, 0.7],
      [2.5, 1, -1.5, 4],
    ]);
    const dy = tf.tensor2d([
      [0.3, -1, 2, 0.5],
      [1, 0.25, -0.75, 1.5],
    ]);
    const [v1, v2] = [mine(x), stock(x)];
    const g1 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(mine(t), dy)))(x);
    const g2 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(stock(t), dy)))(x);
    const a = [...v1.dataSync(), ...g1.dataSync()];
    const b = [...v2.dataSync(), ...g2.dataSync()];
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 5);
    tf.dispose([x, dy, v1, v2, g1, g2]);
  });

  it.each(ops)('%s: second order matches finite differences (steps 1e-2 and 3e-3)', (_, mine) => {
    const analytic = secondOrder(mine);
    for (const eps of [1e-2, 3e-3]) {
      expect(relErr(analytic, finiteDiff(mine, eps))).toBeLessThan(5e-3);
    }
  });

  it('canary: raw tf.sigmoid/tanh/exp second order is still wrong (tfjs#3252); delete the shims when this fails', () => {
    // The weight-decay term gives the raw ops a second-order path that TF.js does connect, so
    // the result is finite but misses the term through the op's saved output.
    const pairs: [Act, Act][] = [
      [tf.sigmoid, safe.sigmoid],
      [tf.tanh, safe.tanh],
      [tf.exp, safe.exp],
    ];
    for (const [raw, mine] of pairs) {
      const fd = finiteDiff(raw, 3e-3, 0.05);
      expect(relErr(secondOrder(mine, 0.05), fd)).toBeLessThan(5e-3);
      expect(relErr(secondOrder(raw, 0.05), fd)).toBeGreaterThan(0.1);
    }
  });

  it('do not leak tensors', () => {
    const before = tf.memory().numTensors;
    for (const [, mine] of ops) secondOrder(mine);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('higher-order helpers', () => {
  it('hessianVectorProduct matches finite differences of the gradient', () => {
    const w = tf.tidy(() => tf.variable(tf.tensor2d(W0, [2, 2])));
    const f = (): tf.Scalar => lossOf(safe.tanh, w);
    const v = tf.tensor2d([0.5, -1, 0.25, 2], [2, 2]);
    const before = tf.memory().numTensors;
    const [hv] = hessianVectorProduct(f, [w], [v]);
    const analytic = Array.from(hv!.dataSync());
    hv!.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const gradAt = (s: number): number[] => {
      const wt = tf.tensor2d(
        W0.map((x, i) => x + s * [0.5, -1, 0.25, 2][i]!),
        [2, 2],
      );
      const g = tf.grad((t: tf.Tensor) => lossOf(safe.tanh, t))(wt);
      const out = Array.from(g.dataSync());
      tf.dispose([wt, g]);
      return out;
    };
    const eps = 3e-3;
    const gp = gradAt(eps);
    const gm = gradAt(-eps);
    const fd = gp.map((x, i) => (x - gm[i]!) / (2 * eps));
    expect(relErr(analytic, fd)).toBeLessThan(5e-3);
    tf.dispose([w, v]);
  });

  it('gradKeepGraph refuses to run outside a gradient scope', () => {
    const x = tf.scalar(2);
    expect(() => gradKeepGraph(tf.square(x), [x])).toThrow(/outside a gradient scope/);
    x.dispose();
  });
});

describe('assertGradientsRegistered', () => {
  it('passes with the @tensorflow/tfjs umbrella and names missing kernels otherwise', () => {
    expect(() => assertGradientsRegistered()).not.toThrow();
    expect(() => assertGradientsRegistered(['NoSuchKernel'])).toThrow(GradientNotRegisteredError);
    expect(() => assertGradientsRegistered(['NoSuchKernel'])).toThrow(
      /'NoSuchKernel'.*import '@tensorflow\/tfjs'/,
    );
  });
});
