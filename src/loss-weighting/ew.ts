/** EW: equal weighting, the loss-level baseline. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { EmptyState, LossWeighting } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { filled, statelessLossWeighting } from './common.js';

/** Options of {@link ew}. */
export interface EwOptions {
  /** `'sum'` (default, LibMTL's EW: weights 1) or `'mean'` (torchjd's Mean: weights 1/K). */
  readonly reduction?: 'sum' | 'mean';
}

const schema: OptionsSchema = {
  reduction: {
    type: 'enum',
    values: ['sum', 'mean'],
    default: 'sum',
    description: "'sum' gives weights 1 (LibMTL's EW); 'mean' gives weights 1/K (torchjd's Mean)",
  },
};

/**
 * Equal weighting (EW, linear scalarisation): the model minimises `Σ_k L_k` (or `(1/K)·Σ_k L_k`).
 *
 * Update rule: `w_k = 1` (`reduction: 'sum'`, the default, as LibMTL) or `w_k = 1/K` (`'mean'`,
 * as torchjd's Mean scalarizer). The two differ by the constant factor K.
 *
 * Cost: one backward pass. Stateless. Deterministic. Evidence: standard.
 *
 * @example
 * const m = ew();
 * m.weigh(new Float64Array([3, 0.5]), m.init(2), ctx).weights; // [1, 1]
 * @see LibMTL `LibMTL/weighting/EW.py`.
 */
export function ew(options: EwOptions = {}): LossWeighting<EmptyState> {
  const config = validateOptions('ew', schema, { ...options });
  const mean = config['reduction'] === 'mean';
  return statelessLossWeighting('ew', config, (losses) => ({
    weights: filled(losses.length, mean ? 1 / losses.length : 1),
  }));
}

export const ewEntry: RegistryEntry<LossWeighting<EmptyState>> = {
  id: 'ew',
  kind: 'loss-weighting',
  displayName: 'EW',
  summary: 'Equal weighting: minimise the sum (or mean) of the task losses.',
  reference:
    'Equal weighting / linear scalarisation, the standard MTL baseline. Matches LibMTL EW.py (sum) and torchjd Mean (mean).',
  evidence: 'standard',
  cost: { backward: '1' },
  options: schema,
  create: (o) => ew(o as EwOptions),
};
