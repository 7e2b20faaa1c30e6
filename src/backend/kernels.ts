/**
 * Kernel overrides for the tfjs `wasm` backend (PERFORMANCE.md §6, §7).
 *
 * The overrides are global (the kernel registry is process-wide), so they are installed once and
 * only for `wasm`; the stock configs are kept so that tests and `restoreStockKernels()` can put
 * them back. Every override wraps the stock kernel and is registered with the stock `setupFunc` /
 * `disposeFunc`: the wasm backend binds each kernel to its wasm export in `setupFunc`, and a
 * wrapper without it breaks when the backend is re-initialised.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdKernels, type SimdKernels } from './simd-kernels.js';

/** Names reported in `BackendInfo.kernels` for the always-on wasm overrides. */
export const TRANSPOSE_FIX = 'BatchMatMul:transpose-fix';
export const SUM_LEADING_AXIS = 'Sum:leading-axis';

const WASM = 'wasm';

/** Stock configs, captured the first time a kernel is overridden. */
const stock = new Map<string, KernelConfig>();
/** Name of the override currently registered per kernel (for reporting). */
const active = new Map<string, string>();

/** The stock wasm kernel `name`, or undefined when the wasm backend module is not loaded. */
export function stockWasmKernel(name: string): KernelConfig | undefined {
  const saved = stock.get(name);
  if (saved !== undefined) return saved;
  return tf.getKernel(name, WASM) ?? undefined;
}

/**
 * Replaces the wasm kernel `name` with `kernelFunc`, keeping the stock setup/dispose functions.
 * Returns false (and changes nothing) when the stock kernel is not registered.
 */
export function overrideWasmKernel(name: string, label: string, kernelFunc: KernelFunc): boolean {
  const base = stockWasmKernel(name);
  if (base === undefined) return false;
  if (!stock.has(name)) stock.set(name, base);
  tf.unregisterKernel(name, WASM);
  tf.registerKernel({
    kernelName: name,
    backendName: WASM,
    kernelFunc,
    ...(base.setupFunc !== undefined ? { setupFunc: base.setupFunc } : {}),
    ...(base.disposeFunc !== undefined ? { disposeFunc: base.disposeFunc } : {}),
  });
  active.set(name, label);
  return true;
}

/** Puts every overridden wasm kernel back to the stock one (tests, `blas: 'off'` after a probe). */
export function restoreStockKernels(): void {
  for (const [name, base] of stock) {
    tf.unregisterKernel(name, WASM);
    tf.registerKernel(base);
  }
  active.clear();
}

/** Labels of the overrides currently registered, in a stable order. */
export function activeOverrides(): string[] {
  return [...active.values()].sort();
}

/** Permutation swapping the two innermost axes (batch axes stay in place). */
export function swapInner(rank: number): number[] {
  const p = [...Array(rank).keys()];
  p[rank - 2] = rank - 1;
  p[rank - 1] = rank - 2;
  return p;
}

function callKernel(
  config: KernelConfig,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
  backend: object,
): TensorInfo {
  return config.kernelFunc({ inputs, attrs, backend }) as TensorInfo;
}

/**
 * Swaps the two innermost axes of a float32 tensor with a cache-blocked loop on the wasm heap.
 * The stock wasm `Transpose` is a generic strided loop, 2–3× slower on a 1024×512 activation.
 */
function transposeInnerF32(be: BackendWasm, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const rows = x.shape[rank - 2] as number;
  const cols = x.shape[rank - 1] as number;
  const shape = [...x.shape.slice(0, rank - 2), cols, rows];
  const out = be.makeOutput(shape, 'float32');
  // Views after makeOutput (allocation can detach earlier views).
  const src = be.typedArrayFromHeap(x) as Float32Array;
  const dst = be.typedArrayFromHeap(out) as Float32Array;
  const plane = rows * cols;
  const batches = plane === 0 ? 0 : src.length / plane;
  const B = 16;
  for (let p = 0; p < batches; p++) {
    const o = p * plane;
    for (let i0 = 0; i0 < rows; i0 += B) {
      const i1 = Math.min(rows, i0 + B);
      for (let j0 = 0; j0 < cols; j0 += B) {
        const j1 = Math.min(cols, j0 + B);
        for (let i = i0; i < i1; i++) {
          const base = o + i * cols;
          for (let j = j0; j < j1; j++) dst[o + j * rows + i] = src[base + j] as number;
        }
      }
    }
  }
  return out;
}

const size = (x: TensorInfo): number => tf.util.sizeFromShape(x.shape);

/** Inner dimension from which {@link gramMatMul} beats transpose + XNNPACK. */
const GRAM_MIN_INNER = 1 << 14;

/**
 * `m`, `k`, `n` of `A·B` (`bt`: `A·Bᵀ`) for two rank-2 float32 operands, A untransposed; undefined
 * for any other product (batched, other dtypes, other transpose flags).
 */
function float32Product(
  a: TensorInfo,
  b: TensorInfo,
  at: boolean,
  bt: boolean,
  wantBt: boolean,
): { m: number; k: number; n: number } | undefined {
  if (at || bt !== wantBt || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  if (a.shape.length !== 2 || b.shape.length !== 2) return undefined;
  const [m, k] = a.shape as [number, number];
  return { m, k, n: b.shape[wantBt ? 0 : 1] as number };
}

/**
 * Gram products `A·Bᵀ` with at most 16×16 outputs and a long inner dimension (the engine's
 * Gramian `J·Jᵀ` of a `[K, D]` Jacobian block), computed as M·N dot products of contiguous rows
 * on the wasm heap with float64 products and accumulators (a WebAssembly SIMD kernel,
 * `./simd-kernels.ts`, where the runtime has it), half of them when A and B are the same tensor.
 * Through XNNPACK, `Bᵀ` would first be materialised and then packed as weights on every call (two
 * passes over K·D), no faster than a JavaScript loop (~25 ms at K = 8, D = 512·1024); the SIMD
 * kernel takes ~5 ms. Undefined for any other product.
 */
function gramMatMul(
  be: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  at: boolean,
  bt: boolean,
): TensorInfo | undefined {
  const dims = float32Product(a, b, at, bt, true);
  if (dims === undefined) return undefined;
  const { m, k, n } = dims;
  if (m > 16 || n > 16 || k < GRAM_MIN_INNER) return undefined;
  const out = be.makeOutput([m, n], 'float32');
  // Views after makeOutput (allocation can detach earlier views).
  const av = be.typedArrayFromHeap(a) as Float32Array;
  const bv = be.typedArrayFromHeap(b) as Float32Array;
  const ov = be.typedArrayFromHeap(out) as Float32Array;
  const same = a.dataId === b.dataId;
  const rowDot = gramRowDot(be, a, b, av, bv, k);
  for (let i = 0; i < m; i++)
    for (let j = same ? i : 0; j < n; j++) {
      const v = rowDot(i, j);
      ov[i * n + j] = v;
      if (same) ov[j * n + i] = v;
    }
  return out;
}

/** The SIMD kernels of each wasm backend instance (null: this runtime has no wasm SIMD). */
const simdByBackend = new WeakMap<object, SimdKernels | null>();

function simdFor(be: BackendWasm): SimdKernels | null {
  let k = simdByBackend.get(be);
  if (k === undefined) {
    const memory = (be.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
    k = memory instanceof WebAssembly.Memory ? (simdKernels(memory) ?? null) : null;
    simdByBackend.set(be, k);
  }
  return k;
}

const heapOffset = (be: BackendWasm, t: TensorInfo): number =>
  be.dataIdMap.get(t.dataId)!.memoryOffset;

/**
 * ⟨row i of A, row j of B⟩ for `[·, k]` float32 operands on the heap: the SIMD kernel over the
 * first multiple of 8 terms and the JavaScript loop over the rest, or the JavaScript loop alone
 * where wasm SIMD is missing. Both promote every term to float64 before the product.
 */
function gramRowDot(
  be: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  av: Float32Array,
  bv: Float32Array,
  k: number,
): (i: number, j: number) => number {
  const sd = simdFor(be);
  if (sd === null) return (i, j) => dot(av, i * k, bv, j * k, k);
  const aOff = heapOffset(be, a);
  const bOff = heapOffset(be, b);
  const k8 = k - (k % 8);
  return (i, j) =>
    sd.dot(aOff + 4 * i * k, bOff + 4 * j * k, k8) + dot(av, i * k + k8, bv, j * k + k8, k - k8);
}

/** Shortest row of B for which {@link skinnyMatMul} beats XNNPACK's weight packing. */
const SKINNY_MIN_COLS = 1 << 14;

/**
 * `A·B` with few rows and a short inner dimension against a very wide B (`A` `[m ≤ 16, k ≤ 64]`,
 * `B` `[k, n ≥ 2¹⁴]`): the combination `wᵀ·J` of a Jacobian block. XNNPACK packs B as weights on
 * every call (a full pass, ~15 ms at k = 8, n = 0.5 M) for very little arithmetic; here each output
 * row is k passes of the SIMD `axpy` (float32, like XNNPACK). Undefined for any other product or
 * without wasm SIMD.
 */
function skinnyMatMul(
  be: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  at: boolean,
  bt: boolean,
): TensorInfo | undefined {
  const dims = float32Product(a, b, at, bt, false);
  if (dims === undefined) return undefined;
  const { m, k, n } = dims;
  if (m > 16 || k > 64 || n < SKINNY_MIN_COLS) return undefined;
  const sd = simdFor(be);
  if (sd === null) return undefined;
  const out = be.makeOutput([m, n], 'float32');
  const av = be.typedArrayFromHeap(a) as Float32Array;
  const bv = be.typedArrayFromHeap(b) as Float32Array;
  const ov = be.typedArrayFromHeap(out) as Float32Array;
  ov.fill(0);
  const bOff = heapOffset(be, b);
  const oOff = heapOffset(be, out);
  const n4 = n - (n % 4);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const w = av[i * k + p] as number;
      sd.axpy(oOff + 4 * i * n, bOff + 4 * p * n, w, n4);
      for (let q = n4; q < n; q++)
        ov[i * n + q] = (ov[i * n + q] as number) + w * (bv[p * n + q] as number);
    }
  return out;
}

/** Σ_p x[xo + p]·y[yo + p] over `len` terms, four float64 accumulators. */
function dot(x: Float32Array, xo: number, y: Float32Array, yo: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let p = 0;
  for (; p + 4 <= len; p += 4) {
    s0 += (x[xo + p] as number) * (y[yo + p] as number);
    s1 += (x[xo + p + 1] as number) * (y[yo + p + 1] as number);
    s2 += (x[xo + p + 2] as number) * (y[yo + p + 2] as number);
    s3 += (x[xo + p + 3] as number) * (y[yo + p + 3] as number);
  }
  for (; p < len; p++) s0 += (x[xo + p] as number) * (y[yo + p] as number);
  return s0 + s1 + (s2 + s3);
}

/**
 * BatchMatMul through explicit transposes: the stock wasm kernel reaches XNNPACK speed only when
 * neither operand is transposed, and every backward matmul sets one flag (dA = dC·Bᵀ, dB = Aᵀ·dC).
 * Of the two equivalent untransposed forms, `op(A)·op(B)` and `(op(B)ᵀ·op(A)ᵀ)ᵀ`, it takes the one
 * that moves fewer elements: for a head's weight gradient Zᵀ·dP (Z [B,512], dP [B,16]) the second
 * transposes 16·B + 512·16 elements instead of 512·B. Each transpose is one memory pass; the stock
 * slow path is 10–40× slower than XNNPACK.
 */
export function transposeFixMatMul(): KernelFunc | undefined {
  const matMul = stockWasmKernel('BatchMatMul');
  const transpose = stockWasmKernel('Transpose');
  if (matMul === undefined || transpose === undefined) return undefined;
  return ({ inputs, attrs, backend }) => {
    const a = inputs['a'] as TensorInfo;
    const b = inputs['b'] as TensorInfo;
    const at = attrs?.['transposeA'] === true;
    const bt = attrs?.['transposeB'] === true;
    const be = backend as BackendWasm;
    const gram = gramMatMul(be, a, b, at, bt) ?? skinnyMatMul(be, a, b, at, bt);
    if (gram !== undefined) return gram;
    if (!at && !bt) return matMul.kernelFunc({ inputs, backend, ...(attrs ? { attrs } : {}) });
    const temps: TensorInfo[] = [];
    const explicitT = (x: TensorInfo, keep = false): TensorInfo => {
      const t =
        x.dtype === 'float32'
          ? transposeInnerF32(be, x)
          : callKernel(transpose, { x }, { perm: swapInner(x.shape.length) }, backend);
      if (!keep) temps.push(t);
      return t;
    };
    const nn = { ...attrs, transposeA: false, transposeB: false };
    const rank = Math.max(a.shape.length, b.shape.length);
    const m = a.shape[a.shape.length - (at ? 1 : 2)] as number;
    const n = b.shape[b.shape.length - (bt ? 2 : 1)] as number;
    const batchOf = (x: TensorInfo): number =>
      size(x) / ((x.shape.at(-1) as number) * (x.shape.at(-2) as number) || 1);
    const outSize = Math.max(batchOf(a), batchOf(b)) * m * n;
    const direct = (at ? size(a) : 0) + (bt ? size(b) : 0);
    const swapped = (at ? 0 : size(a)) + (bt ? 0 : size(b)) + outSize;
    let out: TensorInfo;
    if (direct <= swapped || rank < 2) {
      out = callKernel(matMul, { a: at ? explicitT(a) : a, b: bt ? explicitT(b) : b }, nn, backend);
    } else {
      const ct = callKernel(
        matMul,
        { a: bt ? b : explicitT(b), b: at ? a : explicitT(a) },
        nn,
        backend,
      );
      temps.push(ct);
      out = explicitT(ct, true);
    }
    for (const t of temps) be.disposeData(t.dataId);
    return out;
  };
}

/**
 * Σ over `rows` consecutive rows of length `cols` starting at `base`, added into `acc` (float64).
 * Four rows per pass over the accumulator: 2.3× faster than one (fewer float64 loads/stores).
 */
function accumulateRows(
  src: Float32Array,
  base: number,
  rows: number,
  cols: number,
  acc: Float64Array,
  accOffset: number,
): void {
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const b0 = base + i * cols;
    const b1 = b0 + cols;
    const b2 = b1 + cols;
    const b3 = b2 + cols;
    for (let j = 0; j < cols; j++)
      acc[accOffset + j] =
        (acc[accOffset + j] as number) +
        ((src[b0 + j] as number) + (src[b1 + j] as number)) +
        ((src[b2 + j] as number) + (src[b3 + j] as number));
  }
  for (; i < rows; i++) {
    const b = base + i * cols;
    for (let j = 0; j < cols; j++)
      acc[accOffset + j] = (acc[accOffset + j] as number) + (src[b + j] as number);
  }
}

/**
 * Sum over a contiguous run of axes that does not include the last axis — a leading prefix (bias
 * gradients: Σ over the batch axis) or a middle run (MMoE's Σ over experts of `[B, E, H]`) — as
 * row accumulations on the wasm heap with float64 accumulators: `x` is viewed as
 * `[outer, reduced, inner]` and `out[o, i] = Σ_r x[o, r, i]`. The stock kernel first transposes
 * the reduced axes to the end (10–14 ms per step at B=1024 for the bias gradients). Every other
 * case (non-float32, trailing or non-contiguous axes, all axes, none) goes to the stock kernel.
 */
export function leadingAxisSum(): KernelFunc | undefined {
  const sum = stockWasmKernel('Sum');
  if (sum === undefined) return undefined;
  return (args) => {
    const x = args.inputs['x'] as TensorInfo;
    const axis = args.attrs?.['axis'] as number | number[];
    const keepDims = args.attrs?.['keepDims'] === true;
    const axes = tf.util
      .parseAxisParam(axis, x.shape)
      .slice()
      .sort((p, q) => p - q);
    const rank = x.shape.length;
    const first = axes[0] ?? -1;
    const last = axes[axes.length - 1] ?? -1;
    const contiguous = axes.length > 0 && axes.every((a, i) => a === first + i);
    if (x.dtype !== 'float32' || !contiguous || last === rank - 1) return sum.kernelFunc(args);
    const be = args.backend as BackendWasm;
    const outer = tf.util.sizeFromShape(x.shape.slice(0, first));
    const rows = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
    const inner = tf.util.sizeFromShape(x.shape.slice(last + 1));
    const acc = new Float64Array(outer * inner);
    // The input view is used up before makeOutput, which may grow (and detach) wasm memory.
    const src = be.typedArrayFromHeap(x) as Float32Array;
    for (let o = 0; o < outer; o++)
      accumulateRows(src, o * rows * inner, rows, inner, acc, o * inner);
    const outShape = keepDims
      ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
      : x.shape.filter((_, i) => i < first || i > last);
    const out = be.makeOutput(outShape, 'float32');
    (be.typedArrayFromHeap(out) as Float32Array).set(acc);
    return out;
  };
}

/**
 * Installs the always-on wasm overrides (transpose fix, leading-axis Sum). Idempotent; returns the
 * labels of the overrides now active. Requires the wasm backend module to be imported.
 */
export function installWasmOverrides(): string[] {
  const mm = transposeFixMatMul();
  // Also replaces a BLAS kernel left from an earlier initBackend call (e.g. now `blas: 'off'`).
  if (mm !== undefined && active.get('BatchMatMul') !== TRANSPOSE_FIX)
    overrideWasmKernel('BatchMatMul', TRANSPOSE_FIX, mm);
  const s = leadingAxisSum();
  if (s !== undefined && active.get('Sum') !== SUM_LEADING_AXIS)
    overrideWasmKernel('Sum', SUM_LEADING_AXIS, s);
  return activeOverrides();
}
