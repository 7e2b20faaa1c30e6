/**
 * Shared machinery of loss weightings with one learnable scalar per task whose objective term is
 * `φ(s_k, L_k)` (UW, IMTL-L): the weight is `∂φ/∂L_k`, the parameter gradient `∂φ/∂s_k` is
 * analytic, and a host optimiser steps `s` after the weights are read (the reference code
 * back-propagates both at once, then steps, so the step uses the pre-update weights).
 */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { LossWeighting } from '../core/types.js';
import { checkLosses, filled } from './common.js';
import {
  hostOptimizerInit,
  hostOptimizerSchema,
  hostStep,
  type HostOptimizerKind,
  type HostOptimizerState,
} from '../linalg/host-optimizer.js';

/** State of a learned-scale loss weighting. */
export interface LearnedScaleState {
  /** The learnable per-task parameters `s`. */
  readonly s: Float64Array;
  readonly opt: HostOptimizerState;
}

/** Per-method math of a learned-scale weighting. */
export interface LearnedScaleSpec {
  readonly id: string;
  /** `∂φ/∂L` at (s, L). */
  weight(s: number, loss: number): number;
  /** `∂φ/∂s` at (s, L). */
  grad(s: number, loss: number): number;
  /** Objective term φ(s, L) (diagnostics). */
  objective(s: number, loss: number): number;
  readonly defaultInit: number;
  readonly defaultLr: number;
}

/** Options schema of a learned-scale weighting. */
export function learnedScaleSchema(spec: LearnedScaleSpec): OptionsSchema {
  return {
    ...hostOptimizerSchema(spec.defaultLr),
    init: {
      type: 'number',
      default: spec.defaultInit,
      description: 'initial value of every learnable per-task parameter s_k',
    },
  };
}

/** Builds the loss weighting for `spec` from unvalidated options. */
export function learnedScaleWeighting(
  spec: LearnedScaleSpec,
  options: Readonly<Record<string, unknown>>,
): LossWeighting<LearnedScaleState> {
  const config = validateOptions(spec.id, learnedScaleSchema(spec), options);
  const lr = config['lr'] as number;
  const kind = config['optimizer'] as HostOptimizerKind;
  const init = config['init'] as number;
  return {
    id: spec.id,
    config,
    init: (k) => ({ s: filled(k, init), opt: hostOptimizerInit(k) }),
    weigh(losses, state, ctx) {
      const k = state.s.length;
      checkLosses(spec.id, losses, k, ctx);
      const weights = new Float64Array(k);
      const grad = new Float64Array(k);
      let objective = 0;
      for (let i = 0; i < k; i++) {
        const s = state.s[i]!;
        weights[i] = spec.weight(s, losses[i]!);
        grad[i] = spec.grad(s, losses[i]!);
        objective += spec.objective(s, losses[i]!);
      }
      const next = hostStep(state.s, grad, state.opt, { kind, lr });
      return {
        weights,
        state: { s: next.params, opt: next.state },
        diagnostics: { [`${spec.id}Objective`]: objective },
      };
    },
  };
}
