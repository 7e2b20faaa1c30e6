/** GradNorm aggregator: learned loss scales from gradient norms. */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { Aggregator, AggregatorTraits, Gramian } from '../core/types.js';
import { combine } from '../autodiff/gramian.js';
import type { RegistryEntry } from '../registry/types.js';
import {
  gradnormSchema,
  gradnormWeighting,
  type GradnormOptions,
  type GradnormState,
} from '../weightings/gradnorm.js';
import { BASE_TRAITS, fromWeighting, withoutHomogeneity } from './base.js';

/** Options of {@link gradnorm}. */
export interface GradnormAggregatorOptions extends GradnormOptions {
  /**
   * Which gradient norms drive the weights: `'all'` (default; every shared parameter, LibMTL) or
   * `'last-block'` (the last shared weight matrix, i.e. the last Jacobian block with ≥ 2 variable
   * dimensions: the paper's last shared layer, as torch-rechub; cheaper).
   */
  readonly normsFrom?: 'all' | 'last-block';
}

const schema: OptionsSchema = {
  ...gradnormSchema,
  normsFrom: {
    type: 'enum',
    values: ['all', 'last-block'],
    default: 'all',
    description:
      "'all': norms over every shared parameter (LibMTL); 'last-block': norms of the last shared weight matrix (the paper's last shared layer, as torch-rechub)",
  },
};

const TRAITS: AggregatorTraits = withoutHomogeneity({ ...BASE_TRAITS, stateful: true });

/**
 * GradNorm (Chen et al., ICML 2018): `d = Σ_k w_k g_k` with `w = K·softmax(ξ)` learned so that
 * `w_k‖g_k‖` tracks `mean_j(w_j‖g_j‖)·r_k^α` (see {@link gradnormWeighting}). EW in epoch 0.
 *
 * With `normsFrom: 'last-block'` only the last block's per-task norms are read back (K numbers)
 * instead of the full Gramian, and the aggregator exposes no `weighting` (the engine's
 * Gramian-only paths would use the full norms).
 *
 * Cost: K backward passes (the paper: K partial passes to the last shared layer), O(K) host.
 * Stateful (K logits + optimiser moments, the epoch-0 loss means).
 */
export function gradnorm(options: GradnormAggregatorOptions = {}): Aggregator<GradnormState> {
  const config = validateOptions('gradnorm', schema, { ...options });
  const { normsFrom, ...weightingOptions } = config;
  const w = gradnormWeighting(weightingOptions as GradnormOptions);
  if (normsFrom === 'all') return fromWeighting(w, TRAITS, config);
  return {
    id: 'gradnorm',
    traits: TRAITS,
    config,
    init: (spec) => w.init(spec.tasks.length),
    update(jacobian, state, ctx) {
      // The last block of a 2-D (or larger) shared weight, as torch-rechub's "last 2-D shared
      // weight"; a bias vector alone would misrepresent the layer's gradient norm.
      const names = Object.keys(jacobian.blocks);
      const matrices = names.filter((n) => jacobian.blocks[n]!.rank >= 3);
      const last = matrices[matrices.length - 1] ?? names[names.length - 1];
      if (last === undefined) throw new ShapeError('gradnorm: the Jacobian has no blocks');
      const k = jacobian.tasks.length;
      // Only diag(G) of the last block is read: a diagonal "Gramian" carries exactly that.
      const sq = tf.tidy(() => {
        const b = jacobian.blocks[last]!;
        return tf.sum(tf.square(tf.reshape(b, [k, -1])), 1);
      });
      const norms = sq.dataSync();
      sq.dispose();
      const diag: Gramian = { k, data: new Float64Array(k * k) };
      for (let i = 0; i < k; i++) (diag.data as Float64Array)[i * k + i] = norms[i]!;
      const r = w.weigh(diag, state, ctx);
      return {
        direction: combine(jacobian, r.weights),
        state: r.state,
        weights: r.weights,
        ...(r.warnings !== undefined ? { warnings: r.warnings } : {}),
        ...(r.diagnostics !== undefined ? { diagnostics: r.diagnostics } : {}),
      };
    },
  };
}

export const gradnormEntry: RegistryEntry<Aggregator<GradnormState>> = {
  id: 'gradnorm',
  kind: 'aggregator',
  displayName: 'GradNorm',
  summary:
    'Learned task weights that equalise weighted gradient norms, scaled by relative training rates.',
  reference:
    'Chen, Badrinarayanan, Lee & Rabinovich, "GradNorm: Gradient Normalization for Adaptive Loss Balancing in Deep Multitask Networks", ICML 2018. Matches LibMTL GradNorm.py (α = 1.5, EW in epoch 0, L(0) = epoch-0 mean loss); logits trained by a host optimiser.',
  evidence: 'code',
  cost: {
    backward: 'K',
    notes: "reads diag(G) only; normsFrom 'last-block' reads K norms of the last block",
  },
  traits: TRAITS,
  options: schema,
  create: (o) => gradnorm(o as GradnormAggregatorOptions),
};
