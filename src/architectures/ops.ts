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
import * as safeOps from '../autodiff/safe-ops.js';
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

/** Nonlinear ops with second-order-correct alternatives (softplus is correct either way; safe-ops has one for uniformity). */
export interface NonlinearOps {
  /** True when these are the second-order-correct versions. */
  readonly secondOrderSafe: boolean;
  sigmoid(x: tf.Tensor): tf.Tensor;
  tanh(x: tf.Tensor): tf.Tensor;
  /** Softmax over the last axis. */
  softmax(x: tf.Tensor): tf.Tensor;
  softplus(x: tf.Tensor): tf.Tensor;
}

const rawOps: NonlinearOps = {
  secondOrderSafe: false,
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  softmax: (x) => tf.softmax(x),
  softplus: (x) => tf.softplus(x),
};

const safe: NonlinearOps = {
  secondOrderSafe: true,
  sigmoid: safeOps.sigmoid,
  tanh: safeOps.tanh,
  softmax: safeOps.softmax,
  softplus: safeOps.softplus,
};

/**
 * The ops to use: TF.js's own (fast, first-order only) or the second-order-correct ones of
 * `src/autodiff/safe-ops.ts` (their gradients recompute from the input).
 */
export function nonlinearOps(secondOrderSafe: boolean): NonlinearOps {
  return secondOrderSafe ? safe : rawOps;
}

/** Applies a hidden-layer activation through `ops`. */
export function activate(name: ActivationName, x: tf.Tensor, ops: NonlinearOps): tf.Tensor {
  switch (name) {
    case 'relu':
      return tf.relu(x);
    case 'softplus':
      return ops.softplus(x);
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
