/** Constant aggregator: fixed task weights. */
import type { Aggregator, AggregatorTraits, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { constantSchema, constantWeighting, type ConstantOptions } from '../weightings/constant.js';
import { fromWeighting, LINEAR_TRAITS } from './base.js';

/** Per-task weights are attached to row positions, so permuting rows changes d. */
const PER_TASK_TRAITS: AggregatorTraits = {
  ...LINEAR_TRAITS,
  permutationInvariant: false,
  singleTask: 'positive-multiple',
};

/**
 * Constant weights, d = Σ_k w_k g_k (torchjd `Constant`). `weights` is one number for every task
 * (default 1, i.e. Sum) or an array of K numbers.
 *
 * Traits: linear under scaling, degree-1 homogeneous; permutation-invariant only with a single
 * number; K = 1 gives d = w·g. Cost: K backward passes, O(K²D). Stateless. Deterministic.
 * @throws {ConfigError} If `weights` is not a finite number or array of finite numbers.
 * @throws {ShapeError} From `init`/`update` when the array length is not K.
 * @example
 * const agg = constant({ weights: [1, 2] }); // golden: J = [[-4,1,1],[6,1,1]] → d = [8, 3, 3]
 */
export function constant(options: ConstantOptions = {}): Aggregator<EmptyState> {
  const w = constantWeighting(options);
  const scalar = typeof w.config['weights'] === 'number';
  return fromWeighting(w, scalar ? LINEAR_TRAITS : PER_TASK_TRAITS);
}

export const constantEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'constant',
  kind: 'aggregator',
  displayName: 'Constant',
  summary: 'Fixed task weights: d = Σ_k w_k g_k (one number for all tasks, or one per task).',
  reference: 'Baseline. Matches torchjd Constant (test_values.py golden row Constant([1, 2])).',
  evidence: 'code',
  cost: { backward: 'K', notes: 'no host solve' },
  traits: LINEAR_TRAITS,
  options: constantSchema,
  create: (o) => constant(o as ConstantOptions),
};
