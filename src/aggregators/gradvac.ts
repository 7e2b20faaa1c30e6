/** GradVac aggregator (stateful cosine targets). */
import type { Aggregator, AggregatorTraits } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import {
  gradvacSchema,
  gradvacWeighting,
  type GradvacOptions,
  type GradvacState,
} from '../weightings/gradvac.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import {
  BASE_TRAITS,
  fromWeighting,
  fromWeightingPerGroup,
  withoutHomogeneity,
  type BlockGrouping,
  type PerGroupState,
} from './base.js';

const TRAITS: AggregatorTraits = withoutHomogeneity({
  ...BASE_TRAITS,
  permutationInvariant: false,
  stochastic: true,
  stateful: true,
});

/**
 * GradVac ("Gradient Vaccine", Wang et al., ICLR 2021): like PCGrad but each pair is corrected
 * towards an adaptive cosine target ρ̂_ij (an EMA, state) instead of orthogonality; d = Σ_i ĝ_i.
 * Defaults (β = 0.5, ε = 1e-8, EMA updated on conflict) are LibMTL's; with fresh targets the
 * first step equals PCGrad (the golden row).
 *
 * Traits: no non-conflict guarantee (targets may be negative); random order (`ctx.rng`); not
 * exactly homogeneous (absolute ε); K = 1 gives d = g. Cost: K backward passes, O(K³) host.
 * Stateful (K² targets; `init` resets them). Stochastic.
 * @example
 * const agg = gradvac(); // golden (first step): d = [0.5848, 3.8012, 3.8012]
 */
export function gradvac(
  options: GradvacOptions & { readonly grouping?: BlockGrouping } = {},
): Aggregator<GradvacState> | Aggregator<PerGroupState<GradvacState>> {
  const { grouping, ...rest } = validateOptions('gradvac', schema, { ...options });
  const weighting = gradvacWeighting(rest as GradvacOptions);
  if (grouping === 'whole') return fromWeighting(weighting, TRAITS);
  return fromWeightingPerGroup(
    weighting,
    TRAITS,
    { ...weighting.config, grouping },
    grouping as BlockGrouping,
  );
}

/** GradVac's options: the weighting's, plus the granularity of its cosine targets. */
const schema: OptionsSchema = {
  ...gradvacSchema,
  grouping: {
    type: 'enum',
    values: ['whole', 'layer', 'variable'],
    default: 'whole',
    description:
      "granularity: one set of targets for the whole model (LibMTL default), per layer ('all_layer'), or per variable ('all_matrix')",
  },
};

export const gradvacEntry: RegistryEntry<
  Aggregator<GradvacState> | Aggregator<PerGroupState<GradvacState>>
> = {
  id: 'gradvac',
  kind: 'aggregator',
  displayName: 'GradVac',
  summary: 'Corrects conflicting gradient pairs towards adaptive (EMA) cosine-similarity targets.',
  reference:
    'Wang, Tsvetkov, Firat & Cao, "Gradient Vaccine: Investigating and Improving Multi-task Optimization in Massively Multilingual Models", ICLR 2021. Ported from LibMTL GradVac.py (whole-model group, beta 0.5) in Gramian form. Matches the torchjd golden row on the first step.',
  evidence: 'code',
  cost: { backward: 'K', notes: 'plus O(K³) host work; K² targets of state' },
  traits: TRAITS,
  options: schema,
  create: (o) => gradvac(o as GradvacOptions & { grouping?: BlockGrouping }),
};
