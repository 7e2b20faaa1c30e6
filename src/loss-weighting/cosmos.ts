/** COSMOS: linear scalarisation with a cosine-similarity reward. */
import { ConfigError, NumericalError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { EmptyState, LossWeighting } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { perTaskVector, statelessLossWeighting } from './common.js';

/** Options of {@link cosmos}. */
export interface CosmosOptions {
  /** Cosine penalty λ (default 1; the paper uses 0.01–8 depending on the data set). */
  readonly lambda?: number;
  /** Preference vector r (default uniform 1/K). */
  readonly preference?: readonly number[];
}

const schema: OptionsSchema = {
  lambda: {
    type: 'number',
    default: 1,
    min: 0,
    description: 'weight λ of the cosine-similarity term (0 gives linear scalarisation)',
  },
  preference: { type: 'number[]', description: 'preference vector r (default uniform 1/K)' },
};

/**
 * COSMOS scalarisation: `Σ_k r_k L_k − λ·cos(r, L)` with `cos(r, L) = ⟨r, L⟩/(‖r‖‖L‖)`.
 *
 * Update rule (gradient in L): `w = r − λ·( r/(‖r‖‖L‖) − ⟨r, L⟩·L/(‖r‖‖L‖³) )`. The second term
 * pulls the loss vector towards the preference ray.
 *
 * Cost: one backward pass. Stateless. Deterministic. Evidence: code-3p (torchjd `COSMOS`).
 *
 * @remarks Only the objective is implemented. The full COSMOS method also feeds the preference
 * vector to the model as an input and samples r per batch; that is an architecture choice left to
 * the user. Throws when `‖L‖ = 0` (the cosine is undefined).
 * @example
 * cosmos({ lambda: 0 }).weigh(new Float64Array([1, 2]), {}, ctx).weights; // [0.5, 0.5]
 * @see Ruchte & Grabocka, "Scalable Pareto Front Approximation for Deep Multi-Objective Learning",
 *   ICDM 2021.
 */
export function cosmos(options: CosmosOptions = {}): LossWeighting<EmptyState> {
  const config = validateOptions('cosmos', schema, { ...options });
  const lambda = config['lambda'] as number;
  const prefOpt = config['preference'] as readonly number[] | undefined;
  if (prefOpt !== undefined && prefOpt.every((v) => v === 0)) {
    throw new ConfigError('cosmos: option `preference` must not be all zero');
  }
  return statelessLossWeighting('cosmos', config, (losses, ctx) => {
    const k = losses.length;
    const r = perTaskVector('cosmos', 'preference', prefOpt, k, 1 / k);
    const rn = Math.hypot(...r);
    const ln = Math.hypot(...losses);
    if (ln === 0) {
      throw new NumericalError(
        'cosmos: every loss is 0, so cos(r, L) is undefined; COSMOS needs a non-zero loss vector',
        { step: ctx.step },
      );
    }
    let rl = 0;
    for (let i = 0; i < k; i++) rl += r[i]! * losses[i]!;
    const cos = rl / (rn * ln);
    return {
      weights: r.map(
        (ri, i) => ri - lambda * (ri / (rn * ln) - (rl * losses[i]!) / (rn * ln ** 3)),
      ),
      diagnostics: { cosmosCosine: cos },
    };
  });
}

export const cosmosEntry: RegistryEntry<LossWeighting<EmptyState>> = {
  id: 'cosmos',
  kind: 'loss-weighting',
  displayName: 'COSMOS',
  summary: 'Linear scalarisation with a reward for aligning the loss vector with a preference ray.',
  reference:
    'Ruchte & Grabocka, "Scalable Pareto Front Approximation for Deep Multi-Objective Learning", ICDM 2021. Matches torchjd scalarization COSMOS (objective only).',
  evidence: 'code-3p',
  cost: { backward: '1' },
  options: schema,
  create: (o) => cosmos(o as CosmosOptions),
};
