/**
 * fast-check arbitraries for aggregator and solver tests, ported from torchjd's matrix samplers
 * (`tests/unit/aggregation/_matrix_samplers.py`): dense matrices of a *given rank* built as
 * U·diag(s)·Vᵀ from random orthonormal factors, at a chosen scale. Values are plain row-major
 * `Float64Array`s so that host-side code can use them directly; the conformance suite turns them
 * into Jacobian tensors.
 */
import fc from 'fast-check';
import { createRng } from '../core/rng.js';

/** A dense row-major matrix. */
export interface HostMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** A fixed size or an inclusive range. */
export type SizeSpec = number | { readonly min: number; readonly max: number };

/** Options of {@link matrixArb}. */
export interface MatrixArbOptions {
  readonly rows: SizeSpec;
  readonly cols: SizeSpec;
  /** Rank (clamped to min(rows, cols)); default full rank. */
  readonly rank?: number | 'full';
  /** Multiplies every entry (default 1). Use 0 for the zero matrix. */
  readonly scale?: number;
}

const sizeArb = (s: SizeSpec): fc.Arbitrary<number> =>
  typeof s === 'number' ? fc.constant(s) : fc.integer({ min: s.min, max: s.max });

/** Orthonormalises the columns of an n×m matrix (m ≤ n) by modified Gram–Schmidt; degenerate columns become canonical axes. */
export function orthonormalColumns(a: Float64Array, n: number, m: number): Float64Array {
  const q = Float64Array.from(a);
  for (let j = 0; j < m; j++) {
    for (let attempt = 0; attempt <= n; attempt++) {
      for (let p = 0; p < j; p++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i * m + p]! * q[i * m + j]!;
        for (let i = 0; i < n; i++) q[i * m + j]! -= d * q[i * m + p]!;
      }
      let nrm = 0;
      for (let i = 0; i < n; i++) nrm += q[i * m + j]! ** 2;
      nrm = Math.sqrt(nrm);
      if (nrm > 1e-6) {
        for (let i = 0; i < n; i++) q[i * m + j]! /= nrm;
        break;
      }
      // Degenerate draw: restart the column from an axis and re-orthogonalise.
      for (let i = 0; i < n; i++) q[i * m + j] = i === (j + attempt) % n ? 1 : 0;
    }
  }
  return q;
}

/**
 * Matrices of a given rank: U·diag(s)·Vᵀ with U (rows×r), V (cols×r) orthonormal and singular
 * values s ∈ [0.1, 1]·scale (so the condition number stays ≤ 10 and tests can use fixed tolerances).
 *
 * The factors are Gaussian draws from a seeded `Rng` (fast-check picks the seed), as torchjd's
 * samplers: fast-check's own doubles favour 0, ±1 and denormals, which makes the factors
 * axis-aligned and the matrices full of exact ties — edge cases that discontinuous methods (Krum,
 * sign rules) legitimately resolve differently under rounding.
 */
export function matrixArb(options: MatrixArbOptions): fc.Arbitrary<HostMatrix> {
  const scale = options.scale ?? 1;
  return fc
    .tuple(sizeArb(options.rows), sizeArb(options.cols), fc.integer({ min: 0, max: 0x7fffffff }))
    .map(([rows, cols, seed]) => {
      const full = Math.min(rows, cols);
      const r =
        options.rank === undefined || options.rank === 'full'
          ? full
          : Math.max(0, Math.min(options.rank, full));
      const rng = createRng(seed);
      const u = orthonormalColumns(
        Float64Array.from({ length: rows * r }, () => rng.normal()),
        rows,
        r,
      );
      const v = orthonormalColumns(
        Float64Array.from({ length: cols * r }, () => rng.normal()),
        cols,
        r,
      );
      const data = new Float64Array(rows * cols);
      for (let k = 0; k < r; k++) {
        const sk = (0.1 + 0.9 * rng.uniform()) * scale;
        for (let i = 0; i < rows; i++) {
          const uik = u[i * r + k]! * sk;
          for (let j = 0; j < cols; j++) data[i * cols + j]! += uik * v[j * r + k]!;
        }
      }
      return { rows, cols, data };
    });
}

/** Symmetric positive semi-definite n×n matrices A·Aᵀ of the given rank (a Gramian). */
export function psdArb(options: {
  readonly n: SizeSpec;
  readonly rank?: number | 'full';
  readonly scale?: number;
}): fc.Arbitrary<HostMatrix> {
  return sizeArb(options.n)
    .chain((n) =>
      matrixArb({
        rows: n,
        cols: n,
        ...(options.rank !== undefined ? { rank: options.rank } : {}),
        ...(options.scale !== undefined ? { scale: options.scale } : {}),
      }),
    )
    .map((a) => {
      const n = a.rows;
      const g = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < n; p++) s += a.data[i * n + p]! * a.data[j * n + p]!;
          g[i * n + j] = s;
        }
      }
      return { rows: n, cols: n, data: g };
    });
}

/** Points of the probability simplex of dimension n. */
export function simplexPointArb(n: number): fc.Arbitrary<Float64Array> {
  return fc
    .array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n })
    .map((xs) => {
      const s = xs.reduce((a, b) => a + b, 0);
      return s > 0 ? Float64Array.from(xs, (x) => x / s) : Float64Array.from(xs, () => 1 / n);
    });
}
