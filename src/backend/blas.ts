/**
 * Optional native fast path (PERFORMANCE.md §8): the wasm backend's 2-D `BatchMatMul` routed to a
 * system `cblas_sgemm` through the `koffi` FFI package, zero-copy on the wasm heap.
 *
 * Everything here is best-effort: `koffi` is an optional dependency and the machine may have no
 * BLAS at all, so the probe never throws. It returns either a handle or the reason it declined,
 * and the transpose-fix kernel stays the fallback (also for batched matmuls, which BLAS declines).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { measure } from './timing.js';

/** A loaded CBLAS. */
export interface BlasHandle {
  /** What was loaded: the file name or path given to the dynamic loader. */
  readonly library: string;
  /** 'openblas' when it identifies itself, 'accelerate' on macOS, else 'generic' (timed). */
  readonly flavour: 'openblas' | 'accelerate' | 'generic';
  /** Threads the BLAS was asked to use (null when the library has no thread setter). */
  readonly threads: number | null;
  /** `cblas_sgemm` on row-major float32 arrays (views on the wasm heap are passed zero-copy). */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    c: Float32Array,
    ldc: number,
  ): void;
  /** Sets the BLAS thread count when the library supports it (OpenBLAS); returns success. */
  setThreads(n: number): boolean;
}

/** Outcome of {@link loadBlas}: a handle, or why none was used (for the info line). */
export type BlasProbe =
  | { readonly ok: true; readonly handle: BlasHandle; readonly tried: readonly string[] }
  | { readonly ok: false; readonly reason: string; readonly tried: readonly string[] };

/** Options of {@link loadBlas}. */
export interface LoadBlasOptions {
  /** Explicit library path or name; otherwise the platform's usual names are tried. */
  readonly library?: string;
  /** BLAS threads (OpenBLAS only), default 1. */
  readonly threads?: number;
  /**
   * Accepts a library that is neither OpenBLAS nor Accelerate only if this returns true for it
   * (the caller times it against the wasm kernel; a reference BLAS is slower than XNNPACK).
   */
  readonly acceptGeneric?: (handle: BlasHandle) => boolean;
}

const NOT_FOUND = 'not found';
const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** Library names tried in order, per platform (PERFORMANCE.md §8.2). */
export function candidateLibraries(platform: string = process.platform): string[] {
  if (platform === 'darwin')
    return [
      '/System/Library/Frameworks/Accelerate.framework/Accelerate',
      'libopenblas.dylib',
      '/opt/homebrew/opt/openblas/lib/libopenblas.dylib',
      '/usr/local/opt/openblas/lib/libopenblas.dylib',
    ];
  if (platform === 'win32') return ['libopenblas.dll', 'openblas.dll'];
  return ['libopenblas.so.0', 'libopenblas.so', 'libcblas.so.3', 'libblas.so.3'];
}

interface KoffiLike {
  load(path: string): {
    func(definition: string): (...args: unknown[]) => unknown;
    unload(): void;
  };
}

async function importKoffi(): Promise<KoffiLike | string> {
  try {
    // A variable specifier keeps bundlers and tsc from requiring the optional package.
    const name = 'koffi';
    const mod = (await import(name)) as { default?: KoffiLike } & Partial<KoffiLike>;
    const k = mod.default ?? (mod as KoffiLike);
    if (typeof k.load !== 'function') return 'koffi loaded but has no load()';
    return k;
  } catch (err) {
    return `koffi is not available (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

function bind(koffi: KoffiLike, library: string, threads: number): BlasHandle | string {
  let lib: ReturnType<KoffiLike['load']>;
  try {
    lib = koffi.load(library);
  } catch {
    return NOT_FOUND;
  }
  let raw: (...args: unknown[]) => unknown;
  try {
    raw = lib.func(
      'void cblas_sgemm(int, int, int, int, int, int, float, float *, int, float *, int, float, float *, int)',
    );
  } catch {
    lib.unload();
    return `${library}: no cblas_sgemm symbol`;
  }
  const optional = (def: string): ((...args: unknown[]) => unknown) | undefined => {
    try {
      return lib.func(def);
    } catch {
      return undefined;
    }
  };
  const setNum = optional('void openblas_set_num_threads(int)');
  const isOpenBlas = optional('const char *openblas_get_config()') !== undefined;
  const flavour = isOpenBlas
    ? 'openblas'
    : library.includes('Accelerate')
      ? 'accelerate'
      : 'generic';
  const setThreads = (n: number): boolean => {
    if (setNum === undefined) return false;
    setNum(n);
    return true;
  };
  const threadsSet = setThreads(threads);
  return {
    library,
    flavour,
    threads: threadsSet ? threads : null,
    sgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc) {
      raw(
        ROW_MAJOR,
        transA ? TRANS : NO_TRANS,
        transB ? TRANS : NO_TRANS,
        m,
        n,
        k,
        1,
        a,
        lda,
        b,
        ldb,
        0,
        c,
        ldc,
      );
    },
    setThreads,
  };
}

/** Naive row-major product used to verify a freshly loaded library on one small case. */
function checkProduct(h: BlasHandle): string | undefined {
  const m = 5;
  const k = 7;
  const n = 3;
  const a = Float32Array.from({ length: k * m }, (_, i) => ((i * 37) % 11) / 7 - 0.6);
  const b = Float32Array.from({ length: n * k }, (_, i) => ((i * 53) % 13) / 9 - 0.7);
  const c = new Float32Array(m * n);
  // Aᵀ·Bᵀ exercises both transpose flags and both leading dimensions at once.
  h.sgemm(true, true, m, n, k, a, m, b, k, c, n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (a[p * m + i] as number) * (b[j * k + p] as number);
      if (Math.abs(s - (c[i * n + j] as number)) > 1e-4 * (1 + Math.abs(s)))
        return `${h.library}: cblas_sgemm gave a wrong product (${c[i * n + j]} instead of ${s})`;
    }
  return undefined;
}

/**
 * Probes for a CBLAS: loads `koffi`, tries `options.library` or the platform's usual names, binds
 * `cblas_sgemm` (and `openblas_set_num_threads`), and verifies one small product. Never throws.
 */
export async function loadBlas(options: LoadBlasOptions = {}): Promise<BlasProbe> {
  const koffi = await importKoffi();
  if (typeof koffi === 'string') return { ok: false, reason: koffi, tried: [] };
  const names = options.library !== undefined ? [options.library] : candidateLibraries();
  const tried: string[] = [];
  const reasons: string[] = [];
  for (const name of names) {
    tried.push(name);
    const h = bind(koffi, name, options.threads ?? 1);
    if (h === NOT_FOUND) continue;
    if (typeof h === 'string') {
      reasons.push(h);
      continue;
    }
    const wrong = checkProduct(h);
    if (wrong !== undefined) {
      reasons.push(wrong);
      continue;
    }
    if (
      h.flavour === 'generic' &&
      options.acceptGeneric !== undefined &&
      !options.acceptGeneric(h)
    ) {
      reasons.push(`${name}: not identified as an optimised BLAS and slower than the wasm kernel`);
      continue;
    }
    return { ok: true, handle: h, tried };
  }
  const missing = `no BLAS library found (tried ${tried.join(', ')})`;
  return { ok: false, reason: reasons.length > 0 ? reasons.join('; ') : missing, tried };
}

/** Product of the batch dimensions of a tensor of rank ≥ 2. */
function batchSize(shape: readonly number[]): number {
  let s = 1;
  for (let i = 0; i < shape.length - 2; i++) s *= shape[i] as number;
  return s;
}

/**
 * A wasm `BatchMatMul` kernel that calls `cblas_sgemm` on heap views for unbatched float32
 * products and hands everything else to `fallback` (the transpose-fix kernel). The transpose
 * flags map onto CBLAS directly, so no explicit transpose is needed: with row-major storage,
 * `lda = transposeA ? M : K`, `ldb = transposeB ? K : N`, `ldc = N`.
 */
export function blasMatMul(blas: BlasHandle, fallback: KernelFunc): KernelFunc {
  return (args) => {
    const a = args.inputs['a'] as TensorInfo;
    const b = args.inputs['b'] as TensorInfo;
    if (
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      batchSize(a.shape) !== 1 ||
      batchSize(b.shape) !== 1
    )
      return fallback(args);
    const at = args.attrs?.['transposeA'] === true;
    const bt = args.attrs?.['transposeB'] === true;
    const ra = a.shape[a.shape.length - 2] as number;
    const ca = a.shape[a.shape.length - 1] as number;
    const rb = b.shape[b.shape.length - 2] as number;
    const cb = b.shape[b.shape.length - 1] as number;
    const m = at ? ca : ra;
    const k = at ? ra : ca;
    const n = bt ? rb : cb;
    const be = args.backend as BackendWasm;
    const rank = Math.max(a.shape.length, b.shape.length);
    const out = be.makeOutput([...Array<number>(rank - 2).fill(1), m, n], 'float32');
    if (m === 0 || n === 0) return out;
    const c = be.typedArrayFromHeap(out) as Float32Array;
    if (k === 0) {
      c.fill(0);
      return out;
    }
    // Views are taken after makeOutput: an allocation can grow wasm memory and detach them.
    blas.sgemm(
      at,
      bt,
      m,
      n,
      k,
      be.typedArrayFromHeap(a) as Float32Array,
      at ? m : k,
      be.typedArrayFromHeap(b) as Float32Array,
      bt ? k : n,
      c,
      n,
    );
    return out;
  };
}

/**
 * True when `blas` multiplies a 256³ product faster than the current wasm `BatchMatMul`. Used to
 * reject a reference BLAS that a generic name (`libblas.so.3`) may resolve to. Needs the wasm
 * backend active.
 */
export function fasterThanWasm(blas: BlasHandle): boolean {
  const n = 256;
  const a = new Float32Array(n * n).fill(0.5);
  const b = new Float32Array(n * n).fill(0.25);
  const c = new Float32Array(n * n);
  const blasMs = measure(() => blas.sgemm(false, false, n, n, n, a, n, b, n, c, n), {
    warmup: 1,
    reps: 3,
  }).median;
  const x = tf.fill([n, n], 0.5);
  const wasmMs = measure(
    () => {
      const y = tf.matMul(x, x);
      y.dataSync();
      y.dispose();
    },
    { warmup: 1, reps: 3 },
  ).median;
  x.dispose();
  return blasMs < wasmMs;
}
