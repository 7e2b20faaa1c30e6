/**
 * A small host-side optimiser for the learnable scalars of loss weightings (UW's log-variances,
 * IMTL-L's scales, FAMO's logits, GradNorm's logits). Pure float64 math on `Float64Array`, no
 * TF.js: the parameters are K numbers, so a device round-trip would cost more than the update.
 *
 * Adam follows PyTorch's `torch.optim.Adam` exactly (bias-corrected moments, `eps` added to
 * `√v̂`, `weightDecay` as an L2 term added to the gradient), because the reference
 * implementations (LibMTL, FAMO) train these parameters with it.
 */
import { ConfigError } from '../core/errors.js';
import type { OptionsSchema } from '../core/options.js';

/** Which update rule a learnable loss weighting uses for its own parameters. */
export type HostOptimizerKind = 'adam' | 'sgd';

/** Options of {@link hostStep}. */
export interface HostOptimizerOptions {
  readonly kind: HostOptimizerKind;
  readonly lr: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** L2 penalty added to the gradient (PyTorch's `weight_decay`, not AdamW's decoupled decay). */
  readonly weightDecay?: number;
}

/** Optimiser state: step count and Adam moments (unused by SGD but kept for one state shape). */
export interface HostOptimizerState {
  readonly count: number;
  readonly mu: Float64Array;
  readonly nu: Float64Array;
}

/** Fresh state for `n` parameters. */
export function hostOptimizerInit(n: number): HostOptimizerState {
  return { count: 0, mu: new Float64Array(n), nu: new Float64Array(n) };
}

/**
 * One descent step `params ← params − lr·update(grad)`. Inputs are not mutated.
 *
 * @returns The new parameters and the new optimiser state.
 */
export function hostStep(
  params: Float64Array,
  grad: Float64Array,
  state: HostOptimizerState,
  opts: HostOptimizerOptions,
): { readonly params: Float64Array; readonly state: HostOptimizerState } {
  const n = params.length;
  if (grad.length !== n || state.mu.length !== n) {
    throw new ConfigError(
      `hostStep: params (${n}), grad (${grad.length}) and state (${state.mu.length}) lengths differ; call hostOptimizerInit(${n})`,
    );
  }
  const wd = opts.weightDecay ?? 0;
  const out = new Float64Array(n);
  if (opts.kind === 'sgd') {
    for (let i = 0; i < n; i++) {
      const p = params[i]!;
      out[i] = p - opts.lr * (grad[i]! + wd * p);
    }
    return { params: out, state: { ...state, count: state.count + 1 } };
  }
  const b1 = opts.beta1 ?? 0.9;
  const b2 = opts.beta2 ?? 0.999;
  const eps = opts.eps ?? 1e-8;
  const count = state.count + 1;
  const mu = new Float64Array(n);
  const nu = new Float64Array(n);
  const c1 = 1 - b1 ** count;
  const c2 = 1 - b2 ** count;
  for (let i = 0; i < n; i++) {
    const p = params[i]!;
    const g = grad[i]! + wd * p;
    mu[i] = b1 * state.mu[i]! + (1 - b1) * g;
    nu[i] = b2 * state.nu[i]! + (1 - b2) * g * g;
    out[i] = p - (opts.lr * (mu[i]! / c1)) / (Math.sqrt(nu[i]! / c2) + eps);
  }
  return { params: out, state: { count, mu, nu } };
}

/** Option schema fragment shared by every learnable loss weighting. */
export function hostOptimizerSchema(defaultLr: number): OptionsSchema {
  return {
    lr: {
      type: 'number',
      default: defaultLr,
      min: 0,
      exclusiveMin: true,
      description: 'learning rate of the method’s own parameters (host optimiser)',
    },
    optimizer: {
      type: 'enum',
      values: ['adam', 'sgd'],
      default: 'adam',
      description:
        'host optimiser of the method’s own parameters (PyTorch-style Adam or plain SGD)',
    },
  };
}
