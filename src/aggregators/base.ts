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
import type * as tf from '@tensorflow/tfjs';
import { combine, gramian } from '../autodiff/gramian.js';
import type { ConfiguredWeighting } from '../weightings/base.js';

/**
 * An {@link Aggregator} whose update computes G = JJᵀ (one device→host read-back), weighs it on the
 * host, and combines d = Jᵀw on the device. The result carries the weights and the Gramian (so
 * diagnostics need no second read-back) and the weighting's warnings/diagnostics; the aggregator
 * exposes `weighting` so the engine can skip the Jacobian on its cheap paths (features mode,
 * `jacobianEvery`).
 *
 * Arguments: `weighting`, the G → w map (its `id` becomes the aggregator's id); `traits`, the
 * declared traits, checked by the conformance suite; `config`, the JSON options such that
 * `registry.create(id, config)` rebuilds it, by default the weighting's own validated options (a
 * {@link ConfiguredWeighting}).
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

/** How {@link fromWeightingPerGroup} splits the Jacobian's blocks. */
export type BlockGrouping = 'whole' | 'layer' | 'variable';

/**
 * The block keys of each group: one group of every block (`whole`), one per layer (the variables
 * whose names agree up to the last `/`, e.g. a dense layer's kernel and bias), or one per variable.
 * Groups keep the blocks' order.
 */
export function blockGroups(keys: readonly string[], grouping: BlockGrouping): string[][] {
  if (grouping === 'whole') return [[...keys]];
  if (grouping === 'variable') return keys.map((k) => [k]);
  const byLayer = new Map<string, string[]>();
  for (const k of keys) {
    const layer = k.includes('/') ? k.slice(0, k.lastIndexOf('/')) : k;
    const list = byLayer.get(layer);
    if (list === undefined) byLayer.set(layer, [k]);
    else list.push(k);
  }
  return [...byLayer.values()];
}

/** State of {@link fromWeightingPerGroup}: the groups and one weighting state per group. */
export interface PerGroupState<S> {
  readonly groups: readonly (readonly string[])[];
  readonly states: readonly S[];
}

/**
 * A Gramian weighting applied to each group of blocks on its own (GradVac's per-layer and
 * per-matrix granularity): d_b = J_bᵀ w_g for every block b of group g, with w_g from that group's
 * Gramian and state. There is no single task weighting, so the aggregator has no `weighting`
 * (features mode and `jacobianEvery` need one). The reported Gramian is the whole one (Σ_g G_g).
 */
export function fromWeightingPerGroup<S>(
  weighting: Weighting<S>,
  traits: AggregatorTraits,
  config: Readonly<Record<string, unknown>>,
  grouping: BlockGrouping,
): Aggregator<PerGroupState<S>> {
  return {
    id: weighting.id,
    traits,
    config,
    init: (spec: JacobianSpec) => {
      const groups = blockGroups(Object.keys(spec.blocks), grouping);
      return { groups, states: groups.map(() => weighting.init(spec.tasks.length)) };
    },
    update(jacobian: TaskJacobian, state: PerGroupState<S>, ctx: StepContext) {
      const k = jacobian.tasks.length;
      const whole = new Float64Array(k * k);
      const direction: Record<string, tf.Tensor> = {};
      const states: S[] = [];
      const warnings: string[] = [];
      state.groups.forEach((keys, i) => {
        const part: TaskJacobian = {
          tasks: jacobian.tasks,
          blocks: Object.fromEntries(keys.map((key) => [key, jacobian.blocks[key]!])),
        };
        const g = gramian(part);
        g.data.forEach((x, j) => (whole[j]! += x));
        const r = weighting.weigh(g, state.states[i]!, ctx);
        states.push(r.state);
        if (r.warnings !== undefined) warnings.push(...r.warnings.map((w) => `[${keys[0]}] ${w}`));
        Object.assign(direction, combine(part, r.weights));
      });
      return {
        direction,
        state: { groups: state.groups, states },
        gramian: { k, data: whole },
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    },
  };
}
