/**
 * The probability simplex Δ = {w ≥ 0, Σw = s}: Euclidean projection and the minimum-norm point of a
 * convex hull given only its Gramian (MGDA).
 */
import { assertSquare, matVec, quadForm } from './matrix.js';
import { solveQp } from './qp.js';
import type { SolverStatus } from './status.js';

/**
 * Euclidean projection onto {w ≥ 0, Σw = s} (sort-based; Held et al. 1974, Duchi et al. 2008).
 * O(n log n). Idempotent; the identity on points already in the set.
 */
export function projectSimplex(x: ArrayLike<number>, s = 1): Float64Array {
  const n = x.length;
  if (n === 0) return new Float64Array(0);
  const u = Float64Array.from(x).sort().reverse();
  let cum = 0;
  let theta = 0;
  for (let j = 0; j < n; j++) {
    cum += u[j]!;
    const t = (cum - s) / (j + 1);
    if (u[j]! - t > 0) theta = t;
  }
  return Float64Array.from(x, (v) => Math.max(v - theta, 0));
}

/** Result of a min-norm solve: weights on the simplex and ‖Σ w_i g_i‖² = wᵀGw. */
export interface MinNormResult {
  readonly weights: Float64Array;
  readonly normSquared: number;
  readonly status: SolverStatus;
}

/**
 * Minimum-norm point of the convex hull of the rows of J, from G = JJᵀ: argmin_{w ∈ Δ} wᵀGw,
 * solved exactly (KKT to rounding) by the active-set QP. The certificate is
 * min_i (Gw)_i ≥ wᵀGw, with equality on the support of w.
 * Cost O(K³) per active-set change.
 */
export function minNormSimplex(g: ArrayLike<number>, k: number): MinNormResult {
  assertSquare('minNormSimplex', g, k);
  const r = solveQp(g, k, new Float64Array(k), new Float64Array(k), { sumTo: 1 });
  return { weights: r.x, normSquared: quadForm(g, r.x, k), status: r.status };
}

/**
 * LibMTL's two-point rule: argmin_γ ‖γv₁ + (1 − γ)v₂‖² from the inner products, clamped to
 * [0.001, 0.999] exactly as `MinNormSolver._min_norm_element_from2`.
 */
export function minNormTwoPoint(
  v1v1: number,
  v1v2: number,
  v2v2: number,
): { gamma: number; cost: number } {
  if (v1v2 >= v1v1) return { gamma: 0.999, cost: v1v1 };
  if (v1v2 >= v2v2) return { gamma: 0.001, cost: v2v2 };
  const gamma = -(v1v2 - v2v2) / (v1v1 + v2v2 - 2 * v1v2);
  return { gamma, cost: v2v2 + gamma * (v1v2 - v2v2) };
}

/** Options of {@link minNormFrankWolfe}. */
export interface FrankWolfeOptions {
  /** Iteration cap (LibMTL: 250). */
  readonly maxIter?: number;
  /** Stop when ‖Δw‖₁ < tol (LibMTL: 1e-5). */
  readonly tol?: number;
}

/**
 * LibMTL's `MinNormSolver.find_min_norm_element` in Gramian form (what the MGDA paper calls its
 * Frank–Wolfe solver): start from the best pair (two-point rule over all i < j); for K ≥ 3 repeat
 * a projected step along −Gw followed by a two-point line search until ‖Δw‖₁ < tol. Kept for
 * reproducing LibMTL runs; {@link minNormSimplex} is exact and is the default of `mgda`.
 *
 * `status.residual` is the last ‖Δw‖₁. Unlike LibMTL, the last iterate is returned (and flagged)
 * when the cap is hit instead of nothing.
 */
export function minNormFrankWolfe(
  g: ArrayLike<number>,
  k: number,
  options: FrankWolfeOptions = {},
): MinNormResult {
  assertSquare('minNormFrankWolfe', g, k);
  const maxIter = options.maxIter ?? 250;
  const tol = options.tol ?? 1e-5;
  const w = new Float64Array(k);
  if (k === 1) {
    w[0] = 1;
    return {
      weights: w,
      normSquared: g[0]!,
      status: { converged: true, iterations: 0, residual: 0 },
    };
  }
  let best = { i: 0, j: 1, gamma: 1, cost: Number.POSITIVE_INFINITY };
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      const r = minNormTwoPoint(g[i * k + i]!, g[i * k + j]!, g[j * k + j]!);
      if (r.cost < best.cost) best = { i, j, gamma: r.gamma, cost: r.cost };
    }
  }
  w[best.i] = best.gamma;
  w[best.j] = 1 - best.gamma;
  if (k < 3) {
    return {
      weights: w,
      normSquared: best.cost,
      status: { converged: true, iterations: 0, residual: 0 },
    };
  }
  let cost = best.cost;
  let lastChange = Number.POSITIVE_INFINITY;
  for (let it = 1; it <= maxIter; it++) {
    const gw = matVec(g, w, k);
    const next = nextPoint(w, gw);
    const v1v1 = quadForm(g, w, k);
    let v1v2 = 0;
    for (let i = 0; i < k; i++) v1v2 += gw[i]! * next[i]!;
    const v2v2 = quadForm(g, next, k);
    const r = minNormTwoPoint(v1v1, v1v2, v2v2);
    const nw = Float64Array.from(w, (v, i) => r.gamma * v + (1 - r.gamma) * next[i]!);
    let change = 0;
    for (let i = 0; i < k; i++) change += Math.abs(nw[i]! - w[i]!);
    // As LibMTL, the iterate before the negligible change is the answer.
    if (change < tol) {
      return {
        weights: w,
        normSquared: v1v1,
        status: { converged: true, iterations: it, residual: change },
      };
    }
    w.set(nw);
    cost = r.cost;
    lastChange = change;
  }
  return {
    weights: w,
    normSquared: cost,
    status: { converged: false, iterations: maxIter, residual: lastChange },
  };
}

/** LibMTL's `_next_point`: a step along the (sum-zero) projected −Gw, then simplex projection. */
function nextPoint(w: Float64Array, gw: Float64Array): Float64Array {
  const n = w.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += gw[i]!;
  mean /= n;
  const proj = Float64Array.from(gw, (v) => -v + mean);
  // LibMTL: t = min of the positive step lengths to the faces w_i = 0 ("tm1") and w_i = 1
  // ("tm2"), starting from t = 1 only when no tm1 exists (so t may exceed 1).
  let tm1 = Number.POSITIVE_INFINITY;
  let tm2 = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const p = proj[i]!;
    if (p < 0) {
      const t = -w[i]! / p;
      if (t > 1e-7) tm1 = Math.min(tm1, t);
    } else if (p > 0) {
      const t = (1 - w[i]!) / p;
      if (t > 1e-7) tm2 = Math.min(tm2, t);
    }
  }
  const t = Math.min(Number.isFinite(tm1) ? tm1 : 1, tm2);
  return projectSimplex(Float64Array.from(proj, (v, i) => v * t + w[i]!));
}
