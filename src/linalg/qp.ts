/**
 * Small dense convex QP with lower bounds and an optional sum constraint, by a primal active-set
 * method:
 *
 *   minimise ½·xᵀHx + qᵀx   subject to   x ≥ lower,   and optionally 1ᵀx = sumTo.
 *
 * This one solver serves MGDA (min-norm point on the simplex), UPGrad and DualProj (projection onto
 * the dual cone: min vᵀGv s.t. v ≥ u), NNLS, and the inner problems of the CAGrad dual. H may be
 * singular (Gramians of rank < K): on each face the step is the minimum-norm Newton step in the
 * null space of the sum constraint, and a direction of zero curvature with negative slope is
 * followed until a bound blocks it. Active-set methods terminate in finitely many steps on these
 * sizes and give KKT-exact solutions, which first-order methods do not.
 */
import { SolverError } from '../core/errors.js';
import { eigh } from './eigen.js';
import {
  assertLength,
  assertSquare,
  matTVec,
  matMul,
  matVec,
  maxAbs,
  vecSum,
  transpose,
} from './matrix.js';
import { projectSimplex } from './simplex.js';
import type { SolverStatus } from './status.js';

/** Options of {@link solveQp}. */
export interface QpOptions {
  /** Adds the equality constraint 1ᵀx = sumTo. */
  readonly sumTo?: number;
  /** Warm start (projected onto the feasible set). */
  readonly initial?: ArrayLike<number>;
  /** Iteration cap (default 50 + 10·n). */
  readonly maxIter?: number;
  /** Relative KKT tolerance (default 1e-11). */
  readonly tol?: number;
}

/** Result of {@link solveQp}. */
export interface QpResult {
  readonly x: Float64Array;
  /**
   * `residual`: largest KKT violation (stationarity on the free set, negative bound multipliers)
   * relative to the gradient scale ‖H‖·max(1, ‖x‖∞) + ‖q‖∞.
   */
  readonly status: SolverStatus;
  /** Multiplier of the sum constraint (0 without one): at the optimum Hx + q = ν·1 + μ, μ ≥ 0. */
  readonly nu: number;
}

/** Orthonormal basis (m × (m−1), row-major) of the complement of the all-ones vector in Rᵐ. */
function onesComplementBasis(m: number): Float64Array {
  // Columns 2..m of the Householder reflector mapping 1/√m onto e₁.
  const z = new Float64Array(m * (m - 1));
  const u0 = 1 / Math.sqrt(m) - 1;
  const u = 1 / Math.sqrt(m);
  const vv = u0 * u0 + (m - 1) * u * u;
  for (let i = 0; i < m; i++) {
    const vi = i === 0 ? u0 : u;
    for (let j = 1; j < m; j++) {
      const vj = u;
      z[i * (m - 1) + (j - 1)] = (i === j ? 1 : 0) - (2 * vi * vj) / vv;
    }
  }
  return z;
}

/**
 * Solves the QP above.
 *
 * Cost: each iteration is an O(n³) eigendecomposition of the reduced Hessian; the iteration count
 * is at most a few times n on these problems.
 * @returns The solution with a status; a non-converged status is returned, not thrown, so that the
 *   caller can decide on a reported fallback.
 * @throws {ShapeError} On inconsistent sizes.
 * @throws {SolverError} If the problem is infeasible (Σ lower > sumTo) or unbounded below.
 */
export function solveQp(
  h: ArrayLike<number>,
  n: number,
  q: ArrayLike<number>,
  lower: ArrayLike<number>,
  options: QpOptions = {},
): QpResult {
  assertSquare('solveQp', h, n);
  assertLength('solveQp', 'q', q, n);
  assertLength('solveQp', 'lower', lower, n);
  const { sumTo } = options;
  const maxIter = options.maxIter ?? 50 + 10 * n;
  const tol = options.tol ?? 1e-11;
  const eq = sumTo !== undefined;
  const lo = Float64Array.from(lower);
  if (eq && vecSum(lo) > sumTo * (1 + 1e-12) + 1e-300) {
    throw new SolverError(
      `solveQp: infeasible: the lower bounds sum to ${vecSum(lo)} > sumTo = ${sumTo}`,
      0,
      Number.POSITIVE_INFINITY,
    );
  }

  const x = initialPoint(h, n, q, lo, sumTo, options.initial);
  const atBound = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (x[i]! <= lo[i]!) atBound[i] = 1;

  const hScale = maxAbs(h);
  const qScale = maxAbs(q);
  const gradScale = (): number => hScale * Math.max(1, maxAbs(x)) + qScale || 1;

  let iterations = 0;
  let nu = 0;
  let residual = Number.POSITIVE_INFINITY;
  while (iterations < maxIter) {
    iterations++;
    const g = matVec(h, x, n);
    for (let i = 0; i < n; i++) g[i]! += q[i]!;
    const free: number[] = [];
    for (let i = 0; i < n; i++) if (atBound[i] === 0) free.push(i);
    const m = free.length;
    const scale = gradScale();

    // Reduced gradient and Hessian on the face: variables x_F = x_F⁰ + Z·y.
    const r = eq ? Math.max(0, m - 1) : m;
    const z = eq ? onesComplementBasis(m) : null;
    const gF = Float64Array.from(free, (i) => g[i]!);
    const gr = z === null ? gF : matTVec(z, gF, m, r);
    const grMax = maxAbs(gr);

    if (grMax <= tol * scale) {
      // Stationary on this face: check the multipliers of the active bounds.
      nu = eq ? (m > 0 ? vecSum(gF) / m : minOverBound(g, atBound)) : 0;
      let worst = -1;
      let worstMu = 0;
      for (let i = 0; i < n; i++) {
        if (atBound[i] === 0) continue;
        const mu = g[i]! - nu;
        if (mu < worstMu) {
          worstMu = mu;
          worst = i;
        }
      }
      residual = Math.max(grMax, -worstMu) / scale;
      if (worst < 0 || -worstMu <= tol * scale) {
        return { x, nu, status: { converged: true, iterations, residual } };
      }
      atBound[worst] = 0;
      continue;
    }

    // Newton step on the face (minimum-norm solution), or a zero-curvature descent direction.
    const hF = new Float64Array(m * m);
    for (let a = 0; a < m; a++)
      for (let b = 0; b < m; b++) hF[a * m + b] = h[free[a]! * n + free[b]!]!;
    const hr = z === null ? hF : matMul(matMul(transpose(z, m, r), hF, r, m, m), z, r, m, r);
    const e = eigh(hr, r);
    const lmax = Math.max(0, e.values[0] ?? 0);
    const cut = lmax * r * 1e-13;
    const y = new Float64Array(r);
    const nullPart = new Float64Array(r);
    for (let k = 0; k < r; k++) {
      let c = 0;
      for (let i = 0; i < r; i++) c += e.vectors[i * r + k]! * gr[i]!;
      const lk = e.values[k]!;
      for (let i = 0; i < r; i++) {
        const vik = e.vectors[i * r + k]!;
        if (lk > cut) y[i]! -= (vik * c) / lk;
        else nullPart[i]! -= vik * c;
      }
    }
    const unboundedRay = maxAbs(nullPart) > tol * scale;
    const dir = unboundedRay ? nullPart : y;
    const pF = z === null ? dir : matVec(z, dir, m, r);

    let alpha = unboundedRay ? Number.POSITIVE_INFINITY : 1;
    let block = -1;
    for (let a = 0; a < m; a++) {
      const pa = pF[a]!;
      if (pa >= 0) continue;
      const i = free[a]!;
      const t = (lo[i]! - x[i]!) / pa;
      if (t < alpha) {
        alpha = t;
        block = i;
      }
    }
    if (alpha === Number.POSITIVE_INFINITY) {
      throw new SolverError(
        'solveQp: the problem is unbounded below (a direction of zero curvature and negative slope meets no bound); check that H is positive semi-definite',
        iterations,
        Number.POSITIVE_INFINITY,
      );
    }
    alpha = Math.max(0, alpha);
    for (let a = 0; a < m; a++) x[free[a]!]! += alpha * pF[a]!;
    if (block >= 0) {
      x[block] = lo[block]!;
      atBound[block] = 1;
    }
  }
  return { x, nu, status: { converged: false, iterations, residual } };
}

function minOverBound(g: Float64Array, atBound: Uint8Array): number {
  let m = Number.POSITIVE_INFINITY;
  for (let i = 0; i < g.length; i++) if (atBound[i] === 1) m = Math.min(m, g[i]!);
  return Number.isFinite(m) ? m : 0;
}

function initialPoint(
  h: ArrayLike<number>,
  n: number,
  q: ArrayLike<number>,
  lo: Float64Array,
  sumTo: number | undefined,
  initial: ArrayLike<number> | undefined,
): Float64Array {
  if (sumTo === undefined) {
    const x = Float64Array.from(lo);
    if (initial !== undefined) {
      assertLength('solveQp', 'initial', initial, n);
      for (let i = 0; i < n; i++) x[i] = Math.max(lo[i]!, initial[i]!);
    }
    return x;
  }
  const slack = sumTo - vecSum(lo);
  if (initial !== undefined) {
    assertLength('solveQp', 'initial', initial, n);
    const shifted = Float64Array.from(initial, (v, i) => v - lo[i]!);
    const p = projectSimplex(shifted, Math.max(0, slack));
    return Float64Array.from(p, (v, i) => v + lo[i]!);
  }
  // Best vertex of the shifted simplex: all the slack on the coordinate with the lowest cost.
  let best = 0;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const cost = 0.5 * h[i * n + i]! * slack * slack + q[i]! * slack;
    if (cost < bestCost) {
      bestCost = cost;
      best = i;
    }
  }
  const x = Float64Array.from(lo);
  if (n > 0) x[best]! += Math.max(0, slack);
  return x;
}

/**
 * Non-negative least squares: argmin_{x ≥ 0} ‖A·x − b‖² for a rows×cols matrix A, solved as the QP
 * with H = AᵀA, q = −Aᵀb (the active-set method is then Lawson–Hanson's).
 */
export function nnls(
  a: ArrayLike<number>,
  rows: number,
  cols: number,
  b: ArrayLike<number>,
  options: Pick<QpOptions, 'maxIter' | 'tol'> = {},
): QpResult {
  assertLength('nnls', 'A', a, rows * cols);
  assertLength('nnls', 'b', b, rows);
  const at = transpose(a, rows, cols);
  const h = matMul(at, a, cols, rows, cols);
  const q = matVec(at, b, cols, rows).map((v) => -v);
  return solveQp(h, cols, q, new Float64Array(cols), options);
}
