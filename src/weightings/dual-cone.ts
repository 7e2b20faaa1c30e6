/**
 * Projection onto the dual cone of the rows of J, in weight space (torchjd `_dual_cone_utils`,
 * shared by UPGrad and DualProj): for a preference u, the projection of Jᵀu onto
 * {x : Jx ≥ 0} is Jᵀv with v = argmin vᵀGv s.t. v ≥ u (Quinton & Rey 2024, Proposition 1).
 */
import { normalizeTrace, regularize } from '../linalg/matrix.js';
import { solveQp } from '../linalg/qp.js';

/** Options of the torchjd Gramian preprocessing. */
export interface DualConeOptions {
  /** trace(G) below this gives the zero matrix before regularisation (torchjd `norm_eps`). */
  readonly normEps: number;
  /** Added to the diagonal of the normalised Gramian (torchjd `reg_eps`). */
  readonly regEps: number;
}

/** G' = G/trace(G) (or 0 when trace < normEps) + regEps·I, as torchjd prepares UPGrad/DualProj. */
export function prepareGramian(g: ArrayLike<number>, k: number, o: DualConeOptions): Float64Array {
  return regularize(normalizeTrace(g, k, o.normEps), k, o.regEps);
}

/**
 * v = argmin vᵀG'v s.t. v ≥ u (one small QP). Returns the weights and a warning when the
 * active-set solver hit its cap (its last feasible iterate is used).
 */
export function projectWeights(
  owner: string,
  gPrepared: Float64Array,
  k: number,
  u: ArrayLike<number>,
): { weights: Float64Array; warning?: string } {
  const r = solveQp(gPrepared, k, new Float64Array(k), u);
  if (r.status.converged) return { weights: r.x };
  return {
    weights: r.x,
    warning: `${owner}: the dual-cone QP stopped after ${r.status.iterations} iterations (KKT residual ${r.status.residual.toExponential(2)}); using its last feasible iterate`,
  };
}
