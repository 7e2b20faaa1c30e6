/** CR-MOGM aggregator: EMA smoothing of another Gramian weighting's task weights. */
import { ConfigError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { Aggregator, AggregatorTraits, Weighting } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { crMogmSchema, crMogmWeighting, type CrMogmState } from '../weightings/cr-mogm.js';
import { fromWeighting } from './base.js';

/** Options of {@link crMogm}. */
export interface CrMogmOptions {
  /** EMA coefficient α on the previous weights (default 0.9). */
  readonly alpha?: number;
  /** Registry id of the smoothed aggregator; it must be a Gramian weighting (default `'mgda'`). */
  readonly inner?: string;
  /** Options of the inner aggregator. */
  readonly innerOptions?: Readonly<Record<string, unknown>>;
}

const schema: OptionsSchema = {
  ...crMogmSchema,
  inner: {
    type: 'string',
    default: 'mgda',
    description: 'registry id of the Gramian-weighting aggregator whose weights are smoothed',
  },
  innerOptions: { type: 'object', default: {}, description: 'options of the inner aggregator' },
};

function traitsOf(inner: AggregatorTraits): AggregatorTraits {
  return {
    nonConflicting: 'never-claimed',
    permutationInvariant: inner.permutationInvariant,
    linearUnderScaling: false,
    singleTask: inner.singleTask,
    stochastic: inner.stochastic,
    stateful: true,
  };
}

/**
 * CR-MOGM (Zhou et al., NeurIPS 2022): `λ_t = αλ_{t−1} + (1 − α)λ̂_t`, `d = Jᵀλ_t`, where `λ̂_t`
 * are the weights of an inner Gramian weighting (MGDA by default; any aggregator that exposes a
 * `weighting`). See {@link crMogmWeighting}.
 *
 * Cost: the inner method's (K backward passes for the Gramian methods) plus O(K). Stateful.
 *
 * @param resolve - Builds the inner aggregator from its id and options (the registry).
 * @throws {ConfigError} If the inner aggregator has no Gramian weighting.
 */
export function crMogm(
  options: CrMogmOptions,
  resolve: (id: string, options: Readonly<Record<string, unknown>>) => Aggregator<unknown>,
): Aggregator<CrMogmState<unknown>> {
  const config = validateOptions('cr-mogm', schema, { ...options });
  const innerId = config['inner'] as string;
  const inner = resolve(innerId, config['innerOptions'] as Record<string, unknown>);
  const w: Weighting<unknown> | undefined = inner.weighting;
  if (w === undefined) {
    throw new ConfigError(
      `cr-mogm: option \`inner\` = '${innerId}' is not a Gramian weighting (it has no \`weighting\`); use e.g. 'mgda', 'upgrad' or 'cagrad'`,
    );
  }
  const smoothed = crMogmWeighting(w, { alpha: config['alpha'] as number });
  return fromWeighting(smoothed, traitsOf(inner.traits), config);
}

/**
 * The registry entry; `entries` resolves the inner id lazily (at `create` time), so the entry can
 * sit in the same list as the methods it wraps.
 */
export function crMogmEntry(
  entries: () => readonly RegistryEntry[],
): RegistryEntry<Aggregator<CrMogmState<unknown>>> {
  const resolve = (id: string, o: Readonly<Record<string, unknown>>): Aggregator<unknown> => {
    const e = entries().find((x) => x.id === id);
    if (e === undefined || e.kind !== 'aggregator' || id === 'cr-mogm') {
      throw new ConfigError(
        `cr-mogm: option \`inner\` = '${id}' is not a registered aggregator (run \`manytask list --kind aggregator\`)`,
      );
    }
    return e.create(o) as Aggregator<unknown>;
  };
  return {
    id: 'cr-mogm',
    kind: 'aggregator',
    displayName: 'CR-MOGM',
    summary:
      "Conflict-reduction smoothing: an exponential moving average of another method's task weights.",
    reference:
      'Zhou, Zhang, Jiang, Zhao & Sun (CR-MOGM), "On the Convergence of Stochastic Multi-Objective Gradient Manipulation and Beyond", NeurIPS 2022. Matches torchjd CRMOGMWeighting (fixed α; default 0.9 per its documentation).',
    evidence: 'code-3p',
    cost: { backward: 'K', notes: "the inner method's cost plus O(K)" },
    traits: traitsOf({
      nonConflicting: 'always',
      permutationInvariant: true,
      linearUnderScaling: false,
      singleTask: 'identity',
      stochastic: false,
      stateful: false,
    }),
    options: schema,
    create: (o) => crMogm((o ?? {}) as CrMogmOptions, resolve),
  };
}
