/** GDOD aggregator: gradient descent with orthogonal decomposition (seed method 1). */
import type { Aggregator, AggregatorTraits, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { gdodSchema, gdodWeighting, type GdodOptions } from '../weightings/gdod.js';
import { fromWeighting } from './base.js';

/** Traits of the default rule (β = 0, uniform π). */
const TRAITS: AggregatorTraits = {
  nonConflicting: 'always',
  permutationInvariant: true,
  homogeneity: 1,
  linearUnderScaling: false,
  singleTask: 'identity',
  stochastic: false,
  stateful: false,
};

/** The traits that hold for given options (keeping conflict components voids the guarantee). */
function traitsFor(beta: number, pi: readonly number[] | undefined): AggregatorTraits {
  const uniform = pi === undefined || pi.every((p) => p === pi[0]);
  return {
    ...TRAITS,
    nonConflicting: beta === 0 ? 'always' : 'never-claimed',
    permutationInvariant: uniform,
    singleTask: pi === undefined || (pi.length === 1 && pi[0] === 1) ? 'identity' : 'unsupported',
  };
}

/**
 * GDOD (Dong et al., "GDOD: Effective Gradient Descent using Orthogonal Decomposition for
 * Multi-Task Learning", CIKM 2022). **Update rule reconstructed from the paper's abstract (no
 * official code); see docs/methods/gdod.md.**
 *
 * With G = JJᵀ = VΛVᵀ (eigenpairs with λ > λ_max·K·ε₃₂), the unit basis of span{g_i} is
 * u_m = Jᵀv_m/√λ_m and g_i = Σ_m c_im u_m with c_im = v_im√λ_m. A direction is task-shared when all
 * c_im agree in sign, task-conflict otherwise. Update:
 * `d = Σ_{m∈S}(Σ_i π_i c_im)u_m + β·Σ_{m∈C}(Σ_i π_i c_im)u_m`, i.e. `d = Jᵀw` with
 * `w = V_S V_Sᵀπ + β·V_C V_Cᵀπ` (defaults β = `conflictKeep` = 0, π = `taskWeights` = 1).
 *
 * Properties (defaults): non-conflicting (⟨g_i, d⟩ ≥ 0 for every task); permutation-invariant;
 * degree-1 homogeneous; K = 1 gives d = g; β = 1 gives the plain sum (EW). For K = 2 with
 * g_1·g_2 > 0 the second direction is a conflict one, so d is the projection of g_1 + g_2 on the
 * top singular direction: part of the sum is dropped even for non-conflicting pairs (a property
 * of the reconstruction). Opposite gradients give d = 0.
 *
 * Cost: K backward passes, O(K²D) for G, one O(K³) host eigendecomposition, O(KD) for d.
 * Stateless. Deterministic. Diagnostics `gdodRank`, `gdodShared`, `gdodConflict`,
 * `gdodAllConflict`.
 * @example
 * const agg = gdod(); // golden: J = [[1,0],[1,1]] → d ≈ [1.894, 1.171]; J = [[1,0],[-1,1]] → d ≈ [0.447, 0.724]
 */
export function gdod(options: GdodOptions = {}): Aggregator<EmptyState> {
  const w = gdodWeighting(options);
  return fromWeighting(
    w,
    traitsFor(w.config['conflictKeep'] as number, w.config['taskWeights'] as number[] | undefined),
    w.config,
  );
}

export const gdodEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'gdod',
  kind: 'aggregator',
  displayName: 'GDOD',
  summary:
    'Splits the task gradients on an orthonormal basis of their span into task-shared and task-conflict directions and updates along the shared ones.',
  reference:
    'GDOD: update rule reconstructed from the paper\'s abstract (no official code); see docs. Dong, Wu, Xiong, Li, Cheng, He, Qian, Cao & Mo, "GDOD: Effective Gradient Descent using Orthogonal Decomposition for Multi-Task Learning", CIKM 2022 (arXiv 2301.13465); docs/methods/gdod.md.',
  evidence: 'recon',
  cost: {
    backward: 'K',
    notes: 'plus O(K²D) for the Gramian and an O(K³) eigendecomposition on the host',
  },
  traits: TRAITS,
  options: gdodSchema,
  create: (o) => gdod(o as GdodOptions),
};
