/**
 * Host-side float64 references (naive products and sums) and the relative difference used by the
 * backend equality tests and the worker-parallel check.
 */

/** Row-major [rows, cols] matrix in float64. */
export interface HostMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** op(A)·op(B) for row-major A, B given with their stored shapes (naive triple loop, float64). */
export function naiveMatMul(
  a: ArrayLike<number>,
  aShape: readonly [number, number],
  b: ArrayLike<number>,
  bShape: readonly [number, number],
  transposeA: boolean,
  transposeB: boolean,
): HostMatrix {
  const [ar, ac] = aShape;
  const [br, bc] = bShape;
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const n = transposeB ? br : bc;
  if ((transposeB ? bc : br) !== k) throw new Error(`naiveMatMul: inner dimensions differ`);
  const out = new Float64Array(m * n);
  const at = (i: number, p: number): number => (transposeA ? a[p * ac + i] : a[i * ac + p]) ?? 0;
  const bt = (p: number, j: number): number => (transposeB ? b[j * bc + p] : b[p * bc + j]) ?? 0;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += at(i, p) * bt(p, j);
      out[i * n + j] = s;
    }
  return { rows: m, cols: n, data: out };
}

/** max|x − y| / max(max|y|, tiny): the scale-free difference used in every equality test. */
export function relDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error(`relDiff: lengths ${x.length} and ${y.length} differ`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] as number;
    const yi = y[i] as number;
    num = Math.max(num, Math.abs(xi - yi));
    den = Math.max(den, Math.abs(yi));
  }
  return num / Math.max(den, 1e-30);
}

/** Sum of a row-major tensor over `axes`, keeping the other axes in order (float64). */
export function naiveSum(
  x: ArrayLike<number>,
  shape: readonly number[],
  axes: readonly number[],
): Float64Array {
  const r = shape.length;
  const norm = new Set(axes.map((a) => (a < 0 ? a + r : a)));
  const keptShape = shape.filter((_, i) => !norm.has(i));
  const out = new Float64Array(keptShape.reduce((p, d) => p * d, 1));
  const idx = new Array<number>(r).fill(0);
  for (let flat = 0; flat < x.length; flat++) {
    let o = 0;
    for (let d = 0; d < r; d++) if (!norm.has(d)) o = o * (shape[d] as number) + (idx[d] as number);
    out[o] = (out[o] as number) + (x[flat] as number);
    for (let d = r - 1; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (shape[d] as number)) break;
      idx[d] = 0;
    }
  }
  return out;
}
