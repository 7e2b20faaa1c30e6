/** Constant weighting: fixed user-given task weights. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { EMPTY_STATE, perTaskValues, withConfig, type ConfiguredWeighting } from './base.js';

/** Options of {@link constantWeighting}. */
export interface ConstantOptions {
  /** One weight for every task, or one per task (length K). Default 1 (= sum). */
  readonly weights?: number | readonly number[];
}

/** Option schema of Constant. */
export const constantSchema: OptionsSchema = {
  weights: {
    type: 'number|number[]',
    default: 1,
    description: 'a weight for every task (number) or one weight per task (array of length K)',
  },
};

/**
 * Constant: w = the given weights, d = Σ_k w_k g_k (torchjd `ConstantWeighting`).
 * Cost O(K). Stateless. Deterministic.
 * @throws {ShapeError} From `init`/`weigh` when an array of weights does not have K entries.
 */
export function constantWeighting(options: ConstantOptions = {}): ConfiguredWeighting {
  const config = validateOptions('constant', constantSchema, { ...options });
  const given = config['weights'] as number | readonly number[];
  const weightsFor = (k: number): Float64Array =>
    perTaskValues('constant', 'weights', 'weight', given, k);
  return withConfig(
    {
      id: 'constant',
      init: (k: number) => {
        weightsFor(k);
        return EMPTY_STATE;
      },
      weigh: (g) => ({ weights: weightsFor(g.k), state: EMPTY_STATE }),
    },
    config,
  );
}
