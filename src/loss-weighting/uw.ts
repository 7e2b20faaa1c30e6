/** UW: uncertainty weighting. */
import type { LossWeighting } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import {
  learnedScaleSchema,
  learnedScaleWeighting,
  type LearnedScaleSpec,
  type LearnedScaleState,
} from './learned-scales.js';

/** Options of {@link uw}. */
export interface UwOptions {
  /** Learning rate of the log-variances (default 1e-3). */
  readonly lr?: number;
  /** Host optimiser of the log-variances (default `'adam'`). */
  readonly optimizer?: 'adam' | 'sgd';
  /** Initial log-variance s_k (default −0.5, as LibMTL). */
  readonly init?: number;
}

/** State of {@link uw}: the log-variances `s` and their optimiser state. */
export type UwState = LearnedScaleState;

const spec: LearnedScaleSpec = {
  id: 'uw',
  weight: (s) => 0.5 * Math.exp(-s),
  grad: (s, l) => 0.5 - 0.5 * l * Math.exp(-s),
  objective: (s, l) => 0.5 * l * Math.exp(-s) + 0.5 * s,
  defaultInit: -0.5,
  defaultLr: 1e-3,
};

/**
 * Uncertainty Weighting (UW): learns one log-variance `s_k = log σ_k²` per task.
 *
 * Objective: `Σ_k ( L_k/(2e^{s_k}) + s_k/2 )`. Update rule: the model step uses
 * `w_k = 1/(2e^{s_k})`; then `s` takes one host-optimiser step along
 * `∂/∂s_k = 1/2 − L_k/(2e^{s_k})`. For a constant loss the fixed point is `s_k = log L_k`
 * (weight `1/(2L_k)`), which the tests pin.
 *
 * Cost: one backward pass; O(K) host work. Stateful (K log-variances + Adam moments).
 * Deterministic. Evidence: code (LibMTL `UW.py`: s₀ = −0.5).
 *
 * @remarks LibMTL trains `s` with the model's optimiser; manytask uses its own host optimiser
 * (option `lr`, default Adam 1e-3), so set `lr` to the model's learning rate to match a given
 * LibMTL run.
 * @example
 * const m = uw({ lr: 0.01 });
 * const r = m.weigh(new Float64Array([2, 0.1]), m.init(2), ctx); // w = e^{0.5}/2 ≈ 0.824 each
 * @see Kendall, Gal & Cipolla, "Multi-Task Learning Using Uncertainty to Weigh Losses for Scene
 *   Geometry and Semantics", CVPR 2018.
 */
export function uw(options: UwOptions = {}): LossWeighting<UwState> {
  return learnedScaleWeighting(spec, { ...options });
}

export const uwEntry: RegistryEntry<LossWeighting<UwState>> = {
  id: 'uw',
  kind: 'loss-weighting',
  displayName: 'UW',
  summary: 'Uncertainty weighting: learns a log-variance per task, weights 1/(2σ²).',
  reference:
    'Kendall, Gal & Cipolla, "Multi-Task Learning Using Uncertainty to Weigh Losses for Scene Geometry and Semantics", CVPR 2018. Matches LibMTL UW.py (s0 = -0.5); s is trained by a host optimiser.',
  evidence: 'code',
  cost: { backward: '1', notes: 'O(K) host update of the log-variances' },
  options: learnedScaleSchema(spec),
  create: (o) => uw(o as UwOptions),
};
