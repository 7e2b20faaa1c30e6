/** IMTL-L: the loss-balancing half of Impartial Multi-Task Learning. */
import type { LossWeighting } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import {
  learnedScaleSchema,
  learnedScaleWeighting,
  type LearnedScaleSpec,
  type LearnedScaleState,
} from './learned-scales.js';

/** Options of {@link imtlL}. */
export interface ImtlLOptions {
  /** Learning rate of the scales (default 1e-3). */
  readonly lr?: number;
  /** Host optimiser of the scales (default `'adam'`). */
  readonly optimizer?: 'adam' | 'sgd';
  /** Initial scale s_k (default 0: the method starts as EW). */
  readonly init?: number;
}

/** State of {@link imtlL}: the log-scales `s` and their optimiser state. */
export type ImtlLState = LearnedScaleState;

/** The IMTL-L scale math, shared with the `imtl` aggregator. */
export const imtlLSpec: LearnedScaleSpec = {
  id: 'imtl-l',
  weight: (s) => Math.exp(s),
  grad: (s, l) => Math.exp(s) * l - 1,
  objective: (s, l) => Math.exp(s) * l - s,
  defaultInit: 0,
  defaultLr: 1e-3,
};

/**
 * IMTL-L: learns a log-scale `s_k` per task so that the scaled losses stay comparable.
 *
 * Objective: `Σ_k ( e^{s_k} L_k − s_k )`. Update rule: the model step uses `w_k = e^{s_k}`; then
 * `s` takes one host-optimiser step along `∂/∂s_k = e^{s_k} L_k − 1`. For a constant loss the
 * fixed point is `s_k = −log L_k`, i.e. every scaled loss equals 1 (the tests pin it).
 *
 * Cost: one backward pass; O(K) host work. Stateful. Deterministic. Evidence: code (LibMTL
 * `IMTL.py` scale term; torchjd `IMTLL`).
 *
 * @remarks Equal to 2·UW at the negated parameter (torchjd's note): same weights up to a factor 2.
 * @example
 * const m = imtlL();
 * m.weigh(new Float64Array([4, 0.5]), m.init(2), ctx).weights; // [1, 1] at s = 0
 * @see Liu et al., "Towards Impartial Multi-task Learning", ICLR 2021.
 */
export function imtlL(options: ImtlLOptions = {}): LossWeighting<ImtlLState> {
  return learnedScaleWeighting(imtlLSpec, { ...options });
}

export const imtlLEntry: RegistryEntry<LossWeighting<ImtlLState>> = {
  id: 'imtl-l',
  kind: 'loss-weighting',
  displayName: 'IMTL-L',
  summary: 'IMTL loss balance: learned per-task scales e^s with the regulariser −s.',
  reference:
    'Liu et al., "Towards Impartial Multi-task Learning", ICLR 2021. Matches LibMTL IMTL.py (loss-scale term) and torchjd IMTLL; s is trained by a host optimiser.',
  evidence: 'code',
  cost: { backward: '1', notes: 'O(K) host update of the scales' },
  options: learnedScaleSchema(imtlLSpec),
  create: (o) => imtlL(o as ImtlLOptions),
};
