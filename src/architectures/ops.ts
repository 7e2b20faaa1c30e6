/**
 * The nonlinearities the architectures use, behind one indirection so that a model can switch to
 * second-order-correct versions when a second-order method (gradient-norm regularizers, CoGrad's
 * `'hvp'`) differentiates through its gradients.
 *
 * Why: TF.js's `sigmoid`, `tanh` and `softmax` have gradients that reuse the saved forward output,
 * so their second derivatives are silently wrong (tensorflow/tfjs#3252, ARCHITECTURE.md §3.1).
 * `relu` and `softplus` are correct to second order as they are.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';

/** Hidden-layer activations an option may name. */
export type ActivationName = 'relu' | 'softplus' | 'tanh' | 'sigmoid' | 'linear';

/** Values for an `activation` option schema. */
export const ACTIVATIONS: readonly ActivationName[] = [
  'relu',
  'softplus',
  'tanh',
  'sigmoid',
  'linear',
];

/** The three ops whose TF.js gradients are wrong at second order. */
export interface NonlinearOps {
  /** True when these are the second-order-correct versions. */
  readonly secondOrderSafe: boolean;
  sigmoid(x: tf.Tensor): tf.Tensor;
  tanh(x: tf.Tensor): tf.Tensor;
  /** Softmax over the last axis. */
  softmax(x: tf.Tensor): tf.Tensor;
}

const rawOps: NonlinearOps = {
  secondOrderSafe: false,
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  softmax: (x) => tf.softmax(x),
};

// Wired to src/autodiff/safe-ops.ts once that module lands (owned by the autodiff developer).
const safe: NonlinearOps | undefined = undefined;

/**
 * The ops to use: TF.js's own (fast, first-order only) or the second-order-correct ones of
 * `src/autodiff/safe-ops.ts` (recompute the derivative from the input).
 */
export function nonlinearOps(secondOrderSafe: boolean): NonlinearOps {
  if (!secondOrderSafe) return rawOps;
  if (safe === undefined) {
    throw new ConfigError(
      'architectures: option `secondOrderSafe: true` needs src/autodiff/safe-ops.ts, which is not available in this build; use secondOrderSafe: false (first-order methods) or relu activations',
    );
  }
  return safe;
}

/** Applies a hidden-layer activation through `ops`. */
export function activate(name: ActivationName, x: tf.Tensor, ops: NonlinearOps): tf.Tensor {
  switch (name) {
    case 'relu':
      return tf.relu(x);
    case 'softplus':
      return tf.softplus(x);
    case 'tanh':
      return ops.tanh(x);
    case 'sigmoid':
      return ops.sigmoid(x);
    case 'linear':
      return x;
  }
}

/** Checks an activation name read from untyped options. */
export function checkActivation(owner: string, option: string, v: unknown): ActivationName {
  if (typeof v !== 'string' || !(ACTIVATIONS as readonly string[]).includes(v)) {
    throw new ConfigError(
      `${owner}: option \`${option}\` must be one of ${ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`,
    );
  }
  return v as ActivationName;
}
