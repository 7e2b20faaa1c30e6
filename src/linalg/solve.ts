/**
 * Dense direct solvers for small systems: Cholesky, LU with partial pivoting, and pseudo-inverses
 * (IMTL-G, ConFIG, Aligned-MTL). All float64.
 */
import { ShapeError, SolverError } from '../core/errors.js';
import { eigh, rankTolerance, spectralFunction } from './eigen.js';
import { assertLength, assertSquare, FLOAT32_EPS, matMul, maxAbs, transpose } from './matrix.js';

/**
 * Cholesky factor L (lower triangular, row-major) with A = L·Lᵀ.
 * @throws {SolverError} If A is not numerically positive definite (a pivot ≤ n·ε·max|A|); use
 *   {@link pinvSymmetric} or regularise for positive semi-definite input.
 */
export function cholesky(a: ArrayLike<number>, n: number): Float64Array {
  assertSquare('cholesky', a, n);
  const l = new Float64Array(n * n);
  const floor = n * 2.220446049250313e-16 * maxAbs(a);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! ** 2;
    if (!(d > floor)) {
      throw new SolverError(
        `cholesky: matrix is not positive definite (pivot ${j} is ${d}); regularise it (G + εI) or use pinvSymmetric`,
        j,
        d,
      );
    }
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/** Solves A·x = b given the Cholesky factor L of A. */
export function choleskySolve(l: ArrayLike<number>, n: number, b: ArrayLike<number>): Float64Array {
  assertLength('choleskySolve', 'b', b, n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}

/**
 * Solves the square system A·x = b by LU with partial pivoting.
 * @throws {SolverError} If A is singular to working precision (use {@link pinv} for a
 *   least-squares solution instead).
 */
export function solve(a: ArrayLike<number>, n: number, b: ArrayLike<number>): Float64Array {
  assertSquare('solve', a, n);
  assertLength('solve', 'b', b, n);
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  const floor = n * 2.220446049250313e-16 * maxAbs(a);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) {
      if (Math.abs(m[r * n + col]!) > Math.abs(m[piv * n + col]!)) piv = r;
    }
    const p = m[piv * n + col]!;
    if (!(Math.abs(p) > floor)) {
      throw new SolverError(
        `solve: matrix is singular to working precision (pivot ${col} is ${p}); use pinv for a least-squares solution`,
        col,
        Math.abs(p),
      );
    }
    if (piv !== col) {
      for (let k = 0; k < n; k++) {
        const t = m[col * n + k]!;
        m[col * n + k] = m[piv * n + k]!;
        m[piv * n + k] = t;
      }
      const t = x[col]!;
      x[col] = x[piv]!;
      x[piv] = t;
    }
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col]! / p;
      if (f === 0) continue;
      for (let k = col; k < n; k++) m[r * n + k]! -= f * m[col * n + k]!;
      x[r]! -= f * x[col]!;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < n; k++) s -= m[i * n + k]! * x[k]!;
    x[i] = s / m[i * n + i]!;
  }
  return x;
}

/**
 * Moore–Penrose pseudo-inverse of a symmetric matrix: V·diag(1/λ)·Vᵀ over λ > `tol`
 * (default λ_max·n·ε₃₂, the torch/float32 convention). Negative eigenvalues below the cut-off are
 * treated as rounding noise of a positive semi-definite input.
 */
export function pinvSymmetric(a: ArrayLike<number>, n: number, tol?: number): Float64Array {
  const e = eigh(a, n);
  return spectralFunction(e, (l) => 1 / l, tol ?? rankTolerance(e.values, n));
}

/**
 * Moore–Penrose pseudo-inverse of a rows×cols matrix (returned as cols×rows), via the symmetric
 * eigendecomposition of the smaller of AᵀA and AAᵀ. Singular values σ ≤ σ_max·max(rows, cols)·ε₃₂
 * are dropped.
 */
export function pinv(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  if (a.length !== rows * cols) {
    throw new ShapeError(`pinv: expected ${rows}×${cols} = ${rows * cols} values, got ${a.length}`);
  }
  const at = transpose(a, rows, cols);
  const big = Math.max(rows, cols);
  if (rows <= cols) {
    // A⁺ = Aᵀ (AAᵀ)⁺
    const aat = matMul(a, at, rows, cols, rows);
    const e = eigh(aat, rows);
    const inv = spectralFunction(e, (l) => 1 / l, squaredCut(e.values, big));
    return matMul(at, inv, cols, rows, rows);
  }
  // A⁺ = (AᵀA)⁺ Aᵀ
  const ata = matMul(at, a, cols, rows, cols);
  const e = eigh(ata, cols);
  const inv = spectralFunction(e, (l) => 1 / l, squaredCut(e.values, big));
  return matMul(inv, at, cols, cols, rows);
}

/** Cut-off on σ² matching σ > σ_max·m·ε₃₂. */
function squaredCut(values: ArrayLike<number>, m: number): number {
  const s = Math.sqrt(Math.max(0, values[0] ?? 0)) * m * FLOAT32_EPS;
  return s * s;
}
