/**
 * Small dense convex QP with general linear inequalities and equalities, by a primal-dual
 * interior-point method (Nocedal & Wright, *Numerical Optimization*, §16.6, with Mehrotra's
 * predictor-corrector):
 *
 *   minimise ½·xᵀHx + qᵀx   subject to   A·x ≤ b,   E·x = f.
 *
 * {@link solveQp} covers bounds plus one sum constraint exactly (active set); this solver is for
 * the few methods whose constraints are not of that form (FORUM's `ν ≥ πᵀu` with a simplex on a
 * subset of the variables). H must be positive semi-definite and, on the null space of E, positive
 * definite once the barrier of the active inequalities is added (true whenever every variable is
 * bounded, as in FORUM).
 */
import { ShapeError } from '../core/errors.js';
import { solve } from './solve.js';
import type { SolverStatus } from './status.js';

/** Constraints of {@link solveIneqQp} (row-major matrices). */
export interface IneqQpConstraints {
  /** m×n inequality matrix A (A·x ≤ b). */
  readonly a: ArrayLike<number>;
  readonly b: ArrayLike<number>;
  /** p×n equality matrix E (E·x = f); omit for none. */
  readonly e?: ArrayLike<number>;
  readonly f?: ArrayLike<number>;
}

/** Options of {@link solveIneqQp}. */
export interface IneqQpOptions {
  /** Iteration cap (default 100). */
  readonly maxIter?: number;
  /** Tolerance on the scaled KKT residuals and the duality gap (default 1e-10). */
  readonly tol?: number;
}

/** Result: x, the multipliers (z ≥ 0 of the inequalities, y of the equalities) and a status. */
export interface IneqQpResult {
  readonly x: Float64Array;
  readonly z: Float64Array;
  readonly y: Float64Array;
  /** `residual`: the largest scaled KKT residual (stationarity, feasibility, complementarity). */
  readonly status: SolverStatus;
}

/**
 * Solves the QP above.
 *
 * Cost: O((n + p)³) per iteration (one dense LU), typically 10–30 iterations.
 * @returns The solution and a status; a non-converged status (infeasible or unbounded problems
 *   end there) is returned, not thrown, so the caller can report a fallback.
 * @throws {ShapeError} On inconsistent sizes.
 */
export function solveIneqQp(
  h: ArrayLike<number>,
  n: number,
  q: ArrayLike<number>,
  c: IneqQpConstraints,
  options: IneqQpOptions = {},
): IneqQpResult {
  const m = c.b.length;
  const p = c.f?.length ?? 0;
  if (
    h.length !== n * n ||
    q.length !== n ||
    c.a.length !== m * n ||
    (c.e?.length ?? 0) !== p * n
  ) {
    throw new ShapeError(
      `solveIneqQp: sizes disagree (H ${h.length} for n = ${n}, q ${q.length}, A ${c.a.length} for m = ${m}, E ${c.e?.length ?? 0} for p = ${p})`,
    );
  }
  const maxIter = options.maxIter ?? 100;
  const tol = options.tol ?? 1e-10;
  const A = c.a;
  const E = c.e ?? [];
  const f = c.f ?? [];
  const x = new Float64Array(n);
  const y = new Float64Array(p);
  const s = new Float64Array(m);
  const z = new Float64Array(m).fill(1);
  for (let i = 0; i < m; i++) s[i] = Math.max(1, c.b[i]!);
  let scale = 1;
  for (let i = 0; i < h.length; i++) scale = Math.max(scale, Math.abs(h[i]!));
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(q[i]!));

  const residuals = (): { rd: Float64Array; re: Float64Array; ri: Float64Array; mu: number } => {
    const rd = Float64Array.from(q);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) rd[i] = rd[i]! + h[i * n + j]! * x[j]!;
    for (let r = 0; r < m; r++) for (let i = 0; i < n; i++) rd[i] = rd[i]! + A[r * n + i]! * z[r]!;
    for (let r = 0; r < p; r++) for (let i = 0; i < n; i++) rd[i] = rd[i]! + E[r * n + i]! * y[r]!;
    const re = new Float64Array(p);
    for (let r = 0; r < p; r++) {
      let v = -f[r]!;
      for (let i = 0; i < n; i++) v += E[r * n + i]! * x[i]!;
      re[r] = v;
    }
    const ri = new Float64Array(m);
    for (let r = 0; r < m; r++) {
      let v = s[r]! - c.b[r]!;
      for (let i = 0; i < n; i++) v += A[r * n + i]! * x[i]!;
      ri[r] = v;
    }
    let mu = 0;
    for (let r = 0; r < m; r++) mu += s[r]! * z[r]!;
    return { rd, re, ri, mu: m > 0 ? mu / m : 0 };
  };
  const maxAbs = (v: Float64Array): number => v.reduce((a, t) => Math.max(a, Math.abs(t)), 0);

  // Newton direction for the perturbed KKT system with complementarity target `target` (per row).
  const direction = (
    r: ReturnType<typeof residuals>,
    target: Float64Array,
  ): { dx: Float64Array; dy: Float64Array; ds: Float64Array; dz: Float64Array } => {
    const size = n + p;
    const k = new Float64Array(size * size);
    const rhs = new Float64Array(size);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * size + j] = h[i * n + j]!;
    for (let row = 0; row < m; row++) {
      const w = z[row]! / s[row]!;
      // Δz = (target − s∘z + z∘(r_i + AΔx))/s, from Z·Δs + S·Δz = target − s∘z and Δs = −r_i − AΔx.
      const g = (target[row]! - s[row]! * z[row]! + z[row]! * r.ri[row]!) / s[row]!;
      for (let i = 0; i < n; i++) {
        const ai = A[row * n + i]!;
        if (ai === 0) continue;
        rhs[i] = rhs[i]! - ai * g;
        for (let j = 0; j < n; j++) k[i * size + j] = k[i * size + j]! + w * ai * A[row * n + j]!;
      }
    }
    for (let i = 0; i < n; i++) rhs[i] = rhs[i]! - r.rd[i]!;
    for (let row = 0; row < p; row++) {
      for (let i = 0; i < n; i++) {
        k[(n + row) * size + i] = E[row * n + i]!;
        k[i * size + n + row] = E[row * n + i]!;
      }
      rhs[n + row] = -r.re[row]!;
    }
    const sol = solve(k, size, rhs);
    const dx = sol.slice(0, n);
    const dy = sol.slice(n);
    const ds = new Float64Array(m);
    const dz = new Float64Array(m);
    for (let row = 0; row < m; row++) {
      let adx = 0;
      for (let i = 0; i < n; i++) adx += A[row * n + i]! * dx[i]!;
      ds[row] = -r.ri[row]! - adx;
      dz[row] = (target[row]! - s[row]! * z[row]! - z[row]! * ds[row]!) / s[row]!;
    }
    return { dx, dy, ds, dz };
  };
  const stepTo = (v: Float64Array, dv: Float64Array): number => {
    let t = 1;
    for (let i = 0; i < v.length; i++) if (dv[i]! < 0) t = Math.min(t, -v[i]! / dv[i]!);
    return t;
  };

  let residual = Infinity;
  for (let it = 0; it < maxIter; it++) {
    const r = residuals();
    residual = Math.max(maxAbs(r.rd) / scale, maxAbs(r.re), maxAbs(r.ri), r.mu);
    if (residual < tol) {
      return { x, z, y, status: { converged: true, iterations: it, residual } };
    }
    // Mehrotra predictor (affine, target 0) and centring-corrector.
    const aff = direction(r, new Float64Array(m));
    const tAff = Math.min(stepTo(s, aff.ds), stepTo(z, aff.dz));
    let muAff = 0;
    for (let i = 0; i < m; i++) muAff += (s[i]! + tAff * aff.ds[i]!) * (z[i]! + tAff * aff.dz[i]!);
    muAff = m > 0 ? muAff / m : 0;
    const sigma = r.mu > 0 ? (muAff / r.mu) ** 3 : 0;
    const target = Float64Array.from(
      { length: m },
      (_, i) => sigma * r.mu - aff.ds[i]! * aff.dz[i]!,
    );
    const d = direction(r, target);
    const t = Math.min(1, 0.995 * Math.min(stepTo(s, d.ds), stepTo(z, d.dz)));
    for (let i = 0; i < n; i++) x[i] = x[i]! + t * d.dx[i]!;
    for (let i = 0; i < p; i++) y[i] = y[i]! + t * d.dy[i]!;
    for (let i = 0; i < m; i++) {
      s[i] = s[i]! + t * d.ds[i]!;
      z[i] = z[i]! + t * d.dz[i]!;
    }
  }
  return { x, z, y, status: { converged: false, iterations: maxIter, residual } };
}
