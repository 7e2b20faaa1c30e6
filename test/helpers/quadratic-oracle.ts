/**
 * A BilevelOracle over quadratic tasks L_k(θ; b) = ½‖A_kb θ − y_kb‖² (one variable `theta`),
 * with float64 host twins of every quantity for analytic expectations.
 */
import * as tf from '@tensorflow/tfjs';
import type { BilevelBatch, BilevelOracle } from '../../src/bilevel/types.js';
import type { ParamTree } from '../../src/core/types.js';

export interface QuadraticTask {
  readonly a: number[][]; // m × D
  readonly y: number[];
}
export type QuadraticProblem = Readonly<Record<BilevelBatch, readonly QuadraticTask[]>>;

export function hostLoss(t: QuadraticTask, theta: readonly number[]): number {
  return (
    0.5 *
    t.a.reduce((s, row, r) => s + (row.reduce((u, v, i) => u + v * theta[i]!, 0) - t.y[r]!) ** 2, 0)
  );
}
export function hostGrad(t: QuadraticTask, theta: readonly number[]): number[] {
  const g = new Array<number>(theta.length).fill(0);
  t.a.forEach((row, r) => {
    const res = row.reduce((u, v, i) => u + v * theta[i]!, 0) - t.y[r]!;
    row.forEach((v, i) => (g[i] = g[i]! + v * res));
  });
  return g;
}

export function quadraticOracle(
  problem: QuadraticProblem,
  theta: number[],
  learningRate: number,
): BilevelOracle & { dispose(): void } {
  const params: ParamTree = { theta: tf.tensor1d(theta) };
  const k = problem.inner.length;
  const lossT = (b: BilevelBatch, i: number, th: tf.Tensor): tf.Scalar => {
    const t = problem[b][i]!;
    const r = tf.sub(
      tf.matMul(tf.tensor2d(t.a), tf.reshape(th, [-1, 1])),
      tf.tensor2d(t.y, [t.y.length, 1]),
    );
    return tf.mul(0.5, tf.sum(tf.square(r)));
  };
  const at = (p?: ParamTree): tf.Tensor => (p ?? params)['theta']!;
  return {
    tasks: Array.from({ length: k }, (_, i) => `t${i}`),
    params,
    learningRate,
    losses(b, p) {
      const v = tf.tidy(() => tf.stack(Array.from({ length: k }, (_, i) => lossT(b, i, at(p)))));
      const out = Float64Array.from(v.dataSync());
      v.dispose();
      return out;
    },
    gradient(b, w, p) {
      return {
        theta: tf.tidy(() =>
          tf.grad((th: tf.Tensor) =>
            tf.addN(Array.from({ length: k }, (_, i) => tf.mul(w[i]!, lossT(b, i, th)))),
          )(at(p)),
        ),
      };
    },
    jacobian(b, p) {
      return {
        tasks: Array.from({ length: k }, (_, i) => `t${i}`),
        blocks: {
          theta: tf.tidy(() =>
            tf.stack(
              Array.from({ length: k }, (_, i) =>
                tf.grad((th: tf.Tensor) => lossT(b, i, th))(at(p)),
              ),
            ),
          ),
        },
      };
    },
    dispose() {
      tf.dispose(Object.values(params));
    },
  };
}
