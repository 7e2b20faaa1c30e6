/**
 * Dense row-major helpers for the small (K×K, K ≲ 100) host-side matrices of the Gramian tier.
 * Everything is `Float64Array`; nothing here allocates tensors. A square matrix is passed as
 * `(data, n)`; a rectangular one as `(data, rows, cols)`.
 */
import { ShapeError } from '../core/errors.js';

/** Single-precision machine epsilon: the inputs of the host tier come from float32 tensors. */
export const FLOAT32_EPS = 1.1920929e-7;

/** Throws a {@link ShapeError} unless `data` holds exactly `n×n` values. */
export function assertSquare(owner: string, data: ArrayLike<number>, n: number): void {
  if (!Number.isInteger(n) || n < 0 || data.length !== n * n) {
    throw new ShapeError(
      `${owner}: expected a ${n}×${n} matrix (${n * n} values, row-major), got ${data.length} values`,
    );
  }
}

/** Throws a {@link ShapeError} unless `data` holds `n` values. */
export function assertLength(
  owner: string,
  what: string,
  data: ArrayLike<number>,
  n: number,
): void {
  if (data.length !== n) {
    throw new ShapeError(`${owner}: \`${what}\` must have ${n} entries, got ${data.length}`);
  }
}

/** n×n identity. */
export function identityMatrix(n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

/** Transpose of a rows×cols matrix. */
export function transpose(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}

/** (m×k)·(k×n) product. */
export function matMul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      if (aip === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += aip * b[p * n + j]!;
    }
  }
  return out;
}

/** (rows×cols)·x. */
export function matVec(
  a: ArrayLike<number>,
  x: ArrayLike<number>,
  rows: number,
  cols: number = rows,
): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += a[i * cols + j]! * x[j]!;
    out[i] = s;
  }
  return out;
}

/** Aᵀ·x for a rows×cols matrix A. */
export function matTVec(
  a: ArrayLike<number>,
  x: ArrayLike<number>,
  rows: number,
  cols: number,
): Float64Array {
  const out = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    for (let j = 0; j < cols; j++) out[j]! += a[i * cols + j]! * xi;
  }
  return out;
}

/** xᵀ·A·x for a square A. */
export function quadForm(a: ArrayLike<number>, x: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let j = 0; j < n; j++) r += a[i * n + j]! * x[j]!;
    s += x[i]! * r;
  }
  return s;
}

/** xᵀ·y. */
export function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/** Euclidean norm. */
export function norm2(x: ArrayLike<number>): number {
  return Math.sqrt(dot(x, x));
}

/** Sum of the entries. */
export function vecSum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}

/** Trace of a square matrix. */
export function trace(a: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i * n + i]!;
  return s;
}

/** Frobenius norm. */
export function frobenius(a: ArrayLike<number>): number {
  return norm2(a);
}

/** Largest absolute entry (0 for an empty array). */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** True when every entry is finite. */
export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

/** (A + Aᵀ)/2: removes the rounding asymmetry of a Gramian read back from float32. */
export function symmetrize(a: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[i * n + j] = 0.5 * (a[i * n + j]! + a[j * n + i]!);
  }
  return out;
}

/**
 * torchjd's `normalize`: G / trace(G), or the zero matrix when trace(G) < `eps` (a Gramian with a
 * tiny trace carries no usable direction, and dividing by it would amplify rounding noise).
 */
export function normalizeTrace(g: ArrayLike<number>, n: number, eps: number): Float64Array {
  const t = trace(g, n);
  const out = new Float64Array(n * n);
  if (t < eps) return out;
  for (let i = 0; i < n * n; i++) out[i] = g[i]! / t;
  return out;
}

/** torchjd's `regularize`: G + eps·I. */
export function regularize(g: ArrayLike<number>, n: number, eps: number): Float64Array {
  const out = Float64Array.from(g);
  for (let i = 0; i < n; i++) out[i * n + i]! += eps;
  return out;
}

/** Principal submatrix A[idx, idx]. */
export function subMatrix(a: ArrayLike<number>, n: number, idx: ArrayLike<number>): Float64Array {
  const m = idx.length;
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const r = idx[i]! * n;
    for (let j = 0; j < m; j++) out[i * m + j] = a[r + idx[j]!]!;
  }
  return out;
}
