/**
 * Symmetric eigendecomposition by the cyclic Jacobi method (float64), shared by Aligned-MTL, the
 * pseudo-inverses and GDOD. Jacobi is slower than tridiagonal QR for large n but is simple, accurate
 * to a few ulps on the small Gramians here (K ≲ 100), and never fails on repeated eigenvalues.
 */
import { assertSquare, FLOAT32_EPS, frobenius, symmetrize } from './matrix.js';
import { requireConverged, type SolverStatus } from './status.js';

/** Result of {@link eigh}: A = V·diag(values)·Vᵀ. */
export interface EigenDecomposition {
  readonly n: number;
  /** Eigenvalues sorted in descending order. */
  readonly values: Float64Array;
  /** Row-major n×n; column j is the unit eigenvector of `values[j]`. */
  readonly vectors: Float64Array;
  /** `residual` is the off-diagonal Frobenius norm relative to ‖A‖_F. */
  readonly status: SolverStatus;
}

/** Options of {@link eigh}. */
export interface EighOptions {
  /** Maximum number of full Jacobi sweeps (default 100; a few suffice in practice). */
  readonly maxSweeps?: number;
  /** Relative off-diagonal norm at which to stop (default 1e-15). */
  readonly tol?: number;
}

/**
 * Eigendecomposition of a symmetric matrix. The input is symmetrised first (a Gramian read back
 * from float32 is symmetric only up to rounding).
 *
 * Cost O(n³) per sweep; typically 5–10 sweeps.
 * @throws {ShapeError} If `a` is not n×n.
 * @throws {SolverError} If the sweeps run out (never observed; it would signal NaN input).
 */
export function eigh(
  a: ArrayLike<number>,
  n: number,
  options: EighOptions = {},
): EigenDecomposition {
  assertSquare('eigh', a, n);
  const maxSweeps = options.maxSweeps ?? 100;
  const tol = options.tol ?? 1e-15;
  const m = symmetrize(a, n);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const scale = frobenius(m);
  const offNorm = (): number => {
    let s = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) s += 2 * m[i * n + j]! ** 2;
    return Math.sqrt(s);
  };
  let sweeps = 0;
  let off = offNorm();
  while (off > tol * scale && sweeps < maxSweeps) {
    sweeps++;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const app = m[p * n + p]!;
        const aqq = m[q * n + q]!;
        // Rutishauser's stable rotation: t = tan θ chosen as the smaller root.
        const theta = (aqq - app) / (2 * apq);
        const t =
          Math.sign(theta === 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p]!;
          const akq = m[k * n + q]!;
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k]!;
          const aqk = m[q * n + k]!;
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
        m[p * n + q] = 0;
        m[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
    off = offNorm();
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (i, j) => m[j * n + j]! - m[i * n + i]!,
  );
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = m[src * n + src]!;
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src]!;
  });
  const status: SolverStatus = {
    converged: Number.isFinite(off) && off <= tol * scale,
    iterations: sweeps,
    residual: scale > 0 ? off / scale : off,
  };
  requireConverged('eigh', status, 'check the matrix for NaN or Inf entries');
  return { n, values, vectors, status };
}

/**
 * Relative eigenvalue cut-off λ > λ_max·n·ε₃₂, as torch's `pinv`/Aligned-MTL use for float32
 * input: eigenvalues below it are rounding noise of a rank-deficient Gramian.
 */
export function rankTolerance(values: ArrayLike<number>, n: number = values.length): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  return max * n * FLOAT32_EPS;
}

/** Number of eigenvalues above `tol` (default {@link rankTolerance}). */
export function numericalRank(values: ArrayLike<number>, tol?: number): number {
  const t = tol ?? rankTolerance(values);
  let r = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > t) r++;
  return r;
}

/**
 * Spectral function f(A) = V·diag(f(λ))·Vᵀ over the eigenpairs with λ > `tol`; the other
 * eigenvalues map to 0 (so `f = 1/λ` gives the pseudo-inverse).
 */
export function spectralFunction(
  e: EigenDecomposition,
  f: (lambda: number) => number,
  tol: number = rankTolerance(e.values, e.n),
): Float64Array {
  const { n, values, vectors } = e;
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const lk = values[k]!;
    if (!(lk > tol)) continue;
    const fk = f(lk);
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k]! * fk;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += vik * vectors[j * n + k]!;
    }
  }
  return out;
}
