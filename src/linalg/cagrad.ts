/**
 * The CAGrad dual on the simplex (Liu et al., NeurIPS 2021, Eq. 4 dual):
 *
 *   w* = argmin_{w ∈ Δ}  bᵀw + c̃·√(wᵀGw),   b = G·1/K (= J·g₀),  c̃ = c·‖g₀‖,  ‖g₀‖² = 1ᵀG1/K².
 *
 * Method (no generic conic solver is available in JS): the objective depends on w only through
 * g_w = Jᵀw, and at an optimum with ρ = ‖g_w*‖ > 0 its KKT conditions coincide with those of the
 * simplex QP  min ½wᵀGw + s·bᵀw  with s = ρ/c̃. Writing w(s) for the QP solution and
 * h(s) = ‖g_{w(s)}‖ (unique, continuous), the optimum is the unique sign change of
 * φ(s) = h(s) − c̃·s on (0, max_i‖g_i‖/c̃], found by bracketing and safeguarded regula falsi
 * (Illinois), each probe a warm-started active-set QP. When no sign change exists the optimum has
 * g_w = 0 (the hull contains 0: Pareto stationarity) and the minimum-norm weights are returned.
 */
import { assertLength, assertSquare, matVec, quadForm } from './matrix.js';
import { minNormSimplex } from './simplex.js';
import { solveQp } from './qp.js';
import type { SolverStatus } from './status.js';

/** Options of {@link cagradDual}. */
export interface CagradDualOptions {
  /** Root-finding iteration cap (default 100). */
  readonly maxIter?: number;
  /** Relative tolerance on φ(s) = ‖g_w‖ − c̃·s (default 1e-10). */
  readonly tol?: number;
  /**
   * Overrides b = G·1/K and ‖g₀‖ (CAGrad-Fast solves over a task subset S with the full mean
   * gradient: b = (G·1/K)_S, G_SS and ‖g₀‖ of all tasks). Both must be given together.
   */
  readonly linear?: { readonly b: ArrayLike<number>; readonly g0Norm: number };
}

/** Result of {@link cagradDual}. */
export interface CagradDualResult {
  /** The dual weights w* on the simplex. */
  readonly weights: Float64Array;
  /** ‖g_{w*}‖ = √(w*ᵀGw*); exactly 0 when the optimum is g_w = 0 (Pareto-stationary hull). */
  readonly gwNorm: number;
  /** ‖g₀‖ (mean-gradient norm). */
  readonly g0Norm: number;
  /** `residual` = |φ(s)| / max_i ‖g_i‖ at the returned point. */
  readonly status: SolverStatus;
}

/** Solves the CAGrad dual for the Gramian `g` (K×K) and radius factor `c ≥ 0`. */
export function cagradDual(
  g: ArrayLike<number>,
  k: number,
  c: number,
  options: CagradDualOptions = {},
): CagradDualResult {
  assertSquare('cagradDual', g, k);
  const maxIter = options.maxIter ?? 100;
  const tol = options.tol ?? 1e-10;
  const ones = new Float64Array(k).fill(1 / k);
  if (options.linear !== undefined) assertLength('cagradDual', 'linear.b', options.linear.b, k);
  const b = options.linear !== undefined ? Float64Array.from(options.linear.b) : matVec(g, ones, k);
  const g0Norm = options.linear?.g0Norm ?? Math.sqrt(Math.max(0, quadForm(g, ones, k)));
  const cTilde = c * g0Norm;
  let gMax = 0;
  for (let i = 0; i < k; i++) gMax = Math.max(gMax, Math.sqrt(Math.max(0, g[i * k + i]!)));
  const zeroL = new Float64Array(k);
  const done = (
    w: Float64Array,
    iterations: number,
    residual: number,
    converged = true,
  ): CagradDualResult => ({
    weights: w,
    gwNorm: Math.sqrt(Math.max(0, quadForm(g, w, k))),
    g0Norm,
    status: { converged, iterations, residual },
  });

  // The optimum is g_w = 0: report ‖g_w‖ = 0 exactly (the min-norm weights only reach it up to
  // rounding, and callers divide by ‖g_w‖).
  const stationary = (
    w: Float64Array,
    iterations: number,
    residual: number,
    converged: boolean,
  ): CagradDualResult => ({
    ...done(w, iterations, residual, converged),
    gwNorm: 0,
  });
  if (!(gMax > 0)) return done(ones, 0, 0);
  if (!(cTilde > 0)) {
    // c̃ = 0: the objective is linear; the best vertex (argmin b) is optimal.
    let best = 0;
    for (let i = 1; i < k; i++) if (b[i]! < b[best]!) best = i;
    const w = new Float64Array(k);
    w[best] = 1;
    return done(w, 0, 0);
  }

  let warm: Float64Array | undefined;
  const solveAt = (s: number): { w: Float64Array; phi: number; converged: boolean } => {
    const q = Float64Array.from(b, (v) => s * v);
    const r = solveQp(g, k, q, zeroL, {
      sumTo: 1,
      ...(warm !== undefined ? { initial: warm } : {}),
    });
    warm = r.x;
    const h = Math.sqrt(Math.max(0, quadForm(g, r.x, k)));
    return { w: r.x, phi: h - cTilde * s, converged: r.status.converged };
  };

  // φ(s) = h(s) − c̃·s has the sign of h(s)/s − c̃, which is non-increasing (it is minus the
  // slope of the convex value function v(ρ) = min{g₀ᵀg : g ∈ hull, ‖g‖ ≤ ρ} plus c̃), so it changes
  // sign at most once on (0, ∞). Bracket that change, then refine by Illinois.
  let hi = gMax / cTilde;
  const atHi = solveAt(hi);
  let fHi = atHi.phi;
  if (fHi >= -tol * gMax) return done(atHi.w, 1, Math.abs(fHi) / gMax, atHi.converged);
  let lo = hi / 2;
  let atLo = solveAt(lo);
  let probes = 2;
  while (!(atLo.phi > 0)) {
    hi = lo;
    fHi = atLo.phi;
    lo /= 2;
    if (lo < 1e-14 * (gMax / cTilde)) {
      // h(s)/s ≤ c̃ down to s → 0: the optimum is g_w = 0 (the hull contains 0: Pareto stationary).
      const mn = minNormSimplex(g, k);
      return stationary(
        mn.weights,
        probes,
        Math.sqrt(Math.max(0, mn.normSquared)) / gMax,
        mn.status.converged,
      );
    }
    atLo = solveAt(lo);
    probes++;
  }
  let fLo = atLo.phi;
  let side = 0;
  let last = atLo;
  for (let it = probes; it <= maxIter; it++) {
    const s = (lo * fHi - hi * fLo) / (fHi - fLo);
    const mid = Number.isFinite(s) && s > lo && s < hi ? s : 0.5 * (lo + hi);
    last = solveAt(mid);
    const f = last.phi;
    if (Math.abs(f) <= tol * gMax || hi - lo <= 1e-15 * hi) {
      return done(last.w, it, Math.abs(f) / gMax, last.converged);
    }
    if (f > 0) {
      lo = mid;
      fLo = f;
      if (side === 1) fHi /= 2;
      side = 1;
    } else {
      hi = mid;
      fHi = f;
      if (side === -1) fLo /= 2;
      side = -1;
    }
  }
  return done(last.w, maxIter, Math.abs(last.phi) / gMax, false);
}
