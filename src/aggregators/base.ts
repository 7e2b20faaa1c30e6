/**
 * Aggregator building blocks: {@link fromWeighting} turns a Gramian weighting into an aggregator
 * (torchjd's `GramianWeightedAggregator`: d = Jᵀw with w = weighting(JJᵀ)).
 */
import type {
  Aggregator,
  AggregatorTraits,
  JacobianSpec,
  StepContext,
  TaskJacobian,
  Weighting,
} from '../core/types.js';
import { combine, gramian } from '../autodiff/gramian.js';
import type { ConfiguredWeighting } from '../weightings/base.js';

/**
 * An {@link Aggregator} whose update computes G = JJᵀ (one device→host read-back), weighs it on the
 * host, and combines d = Jᵀw on the device. The result carries the weights and the Gramian (so
 * diagnostics need no second read-back) and the weighting's warnings/diagnostics; the aggregator
 * exposes `weighting` so the engine can skip the Jacobian on its cheap paths (features mode,
 * `jacobianEvery`).
 *
 * @param weighting - the G → w map (its `id` becomes the aggregator's id).
 * @param traits - the declared traits, checked by the conformance suite.
 * @param config - the JSON options such that `registry.create(id, config)` rebuilds it; by default
 *   the weighting's own validated options (a {@link ConfiguredWeighting}).
 */
export function fromWeighting<S>(
  weighting: ConfiguredWeighting<S>,
  traits: AggregatorTraits,
): Aggregator<S>;
export function fromWeighting<S>(
  weighting: Weighting<S>,
  traits: AggregatorTraits,
  config: Readonly<Record<string, unknown>>,
): Aggregator<S>;
export function fromWeighting<S>(
  weighting: Weighting<S> | ConfiguredWeighting<S>,
  traits: AggregatorTraits,
  config?: Readonly<Record<string, unknown>>,
): Aggregator<S> {
  return {
    id: weighting.id,
    traits,
    config: config ?? (weighting as ConfiguredWeighting<S>).config,
    weighting,
    init: (spec: JacobianSpec) => weighting.init(spec.tasks.length),
    update(jacobian: TaskJacobian, state: S, ctx: StepContext) {
      const g = gramian(jacobian);
      const r = weighting.weigh(g, state, ctx);
      const direction = combine(jacobian, r.weights);
      return {
        direction,
        state: r.state,
        weights: r.weights,
        gramian: g,
        ...(r.warnings !== undefined && r.warnings.length > 0 ? { warnings: r.warnings } : {}),
        ...(r.diagnostics !== undefined ? { diagnostics: r.diagnostics } : {}),
      };
    },
  };
}

/**
 * The most common declaration, which methods spread and override where they differ: no
 * non-conflict claim, permutation-invariant, degree-1 homogeneous, not linear under scaling,
 * d = g for K = 1, deterministic, stateless.
 */
export const BASE_TRAITS: AggregatorTraits = Object.freeze({
  nonConflicting: 'never-claimed',
  permutationInvariant: true,
  homogeneity: 1,
  linearUnderScaling: false,
  singleTask: 'identity',
  stochastic: false,
  stateful: false,
});

/** `traits` without a homogeneity claim, for methods whose d has no fixed degree in J. */
export function withoutHomogeneity(traits: AggregatorTraits): AggregatorTraits {
  const { homogeneity: _dropped, ...rest } = traits;
  return rest;
}

/** Traits shared by the linear, deterministic, stateless weightings (mean, sum). */
export const LINEAR_TRAITS: AggregatorTraits = Object.freeze({
  ...BASE_TRAITS,
  linearUnderScaling: true,
});
