/**
 * The Nash-MTL bargaining solution (Navon et al., ICML 2022): w > 0 with G·w = 1/w (element-wise).
 *
 * It is the unique stationary point of the strictly convex barrier function
 * f(w) = ½wᵀGw − Σ_i log w_i (∇f = Gw − 1/w, ∇²f = G + diag(1/w²) ≻ 0), so a damped Newton method
 * with a positivity-preserving step and Armijo backtracking converges globally and quadratically,
 * without the cvxpy/ECOS convex-concave procedure of the reference code. The solution exists iff f
 * is bounded below, i.e. iff no v ≥ 0, v ≠ 0 has Gv = 0 — it fails for a zero gradient or for
 * exactly opposite gradients, where the iterates diverge and the status reports non-convergence.
 *
 * Scaling: G is divided by its Frobenius norm nf (as LibMTL) and the solution u of the
 * normalised problem is mapped back by w = u/√nf.
 */
import { cholesky, choleskySolve } from './solve.js';
import { assertLength, assertSquare, frobenius, matVec, norm2 } from './matrix.js';
import type { SolverStatus } from './status.js';
import { SolverError } from '../core/errors.js';

/** Options of {@link nashSolve}. */
export interface NashSolveOptions {
  /** Warm start in the original scale (e.g. the previous step's weights); default all ones·(1/√nf). */
  readonly initial?: ArrayLike<number>;
  /** Newton iteration cap (default 50). */
  readonly maxIter?: number;
  /** Stop when ‖Gw − 1/w‖ ≤ tol·‖1/w‖ (default 1e-10). */
  readonly tol?: number;
}

/** Result of {@link nashSolve}. */
export interface NashSolveResult {
  readonly weights: Float64Array;
  /** `residual` = ‖Gw − 1/w‖ / ‖1/w‖ (scale-free). */
  readonly status: SolverStatus;
}

/** Solves G·w = 1/w, w > 0. Returns a non-converged status (never throws) when no solution exists. */
export function nashSolve(
  g: ArrayLike<number>,
  k: number,
  options: NashSolveOptions = {},
): NashSolveResult {
  assertSquare('nashSolve', g, k);
  const maxIter = options.maxIter ?? 50;
  const tol = options.tol ?? 1e-10;
  const nf = frobenius(g);
  if (!(nf > 0) || !Number.isFinite(nf)) {
    return {
      weights: new Float64Array(k).fill(1),
      status: { converged: false, iterations: 0, residual: Number.POSITIVE_INFINITY },
    };
  }
  if (options.initial !== undefined) assertLength('nashSolve', 'initial', options.initial, k);
  const root = Math.sqrt(nf);
  const gn = Float64Array.from(g, (v) => v / nf);
  const u =
    options.initial !== undefined
      ? Float64Array.from(options.initial, (v) => (v > 0 && Number.isFinite(v) ? v * root : 1))
      : new Float64Array(k).fill(1);
  const f = (x: Float64Array): number => {
    const gx = matVec(gn, x, k);
    let s = 0;
    for (let i = 0; i < k; i++) s += 0.5 * x[i]! * gx[i]! - Math.log(x[i]!);
    return s;
  };
  const residualOf = (x: Float64Array): { grad: Float64Array; rel: number } => {
    const gx = matVec(gn, x, k);
    const inv = Float64Array.from(x, (v) => 1 / v);
    const grad = Float64Array.from(gx, (v, i) => v - inv[i]!);
    return { grad, rel: norm2(grad) / norm2(inv) };
  };
  let { grad, rel } = residualOf(u);
  let it = 0;
  for (; it < maxIter && !(rel <= tol); it++) {
    const hess = Float64Array.from(gn);
    for (let i = 0; i < k; i++) hess[i * k + i]! += 1 / (u[i]! * u[i]!);
    let step: Float64Array;
    try {
      step = choleskySolve(cholesky(hess, k), k, grad).map((v) => -v);
    } catch (err) {
      if (err instanceof SolverError) break;
      throw err;
    }
    // Stay strictly positive: at most 99 % of the way to the boundary.
    let alpha = 1;
    for (let i = 0; i < k; i++)
      if (step[i]! < 0) alpha = Math.min(alpha, (-0.99 * u[i]!) / step[i]!);
    const f0 = f(u);
    let slope = 0;
    for (let i = 0; i < k; i++) slope += grad[i]! * step[i]!;
    let next = Float64Array.from(u, (v, i) => v + alpha * step[i]!);
    // f is self-concordant, so once the Newton decrement λ = √(−slope) is below 1/4 the full step
    // stays feasible and converges quadratically (Boyd & Vandenberghe §9.6). Armijo must not run
    // there: the decrease soon falls below the rounding of f and would stall the iteration.
    const inQuadraticZone = -slope < 0.0625;
    while (!inQuadraticZone && f(next) > f0 + 1e-4 * alpha * slope && alpha > 1e-12) {
      alpha /= 2;
      next = Float64Array.from(u, (v, i) => v + alpha * step[i]!);
    }
    u.set(next);
    ({ grad, rel } = residualOf(u));
    if (!Number.isFinite(rel)) break;
  }
  const converged = rel <= tol;
  return {
    weights: Float64Array.from(u, (v) => v / root),
    status: { converged, iterations: it, residual: rel },
  };
}
