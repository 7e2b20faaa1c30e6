/**
 * Backend selection at start-up: `@tensorflow/tfjs-node` when the user installed it, otherwise the
 * tfjs `wasm` backend with manytask's kernel overrides, plus the optional native BLAS matmul.
 * Reported once as an info line and through {@link backendInfo} (recorded in every run's config).
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { installCpuFallbacks } from './cpu-fallback.js';
import { blasMatMul, fasterThanWasm, loadBlas, type BlasHandle } from './blas.js';
import {
  activeOverrides,
  installWasmOverrides,
  overrideWasmKernel,
  transposeFixMatMul,
  TRANSPOSE_FIX,
} from './kernels.js';

/** Which backend to use. */
export type BackendPreference = 'auto' | 'wasm' | 'cpu' | 'tensorflow';

/** Options of {@link initBackend}; each falls back to an environment variable, then a default. */
export interface BackendOptions {
  /** `auto` (default; env `MANYTASK_BACKEND`): tfjs-node if installed, else wasm. */
  readonly prefer?: BackendPreference;
  /**
   * Native matmul on the wasm path (env `MANYTASK_BLAS`): `auto` (default) probes the usual
   * library names, `off` disables it, anything else is a library path or name to load.
   */
  readonly blas?: string;
  /** BLAS threads (env `MANYTASK_BLAS_THREADS`), default 1. OpenBLAS only. */
  readonly blasThreads?: number;
  /** No info line. */
  readonly quiet?: boolean;
  /** Where the info line goes (default: `console.error`, so that stdout stays clean for `--json`). */
  readonly log?: (line: string) => void;
}

/** What {@link initBackend} selected. */
export interface BackendInfo {
  /** The active tfjs backend: `wasm`, `cpu` or `tensorflow`. */
  readonly name: string;
  /** Kernel overrides in effect, e.g. `BatchMatMul:transpose-fix`, `Sum:leading-axis`. */
  readonly kernels: readonly string[];
  /** The native BLAS behind `BatchMatMul`, when one is active. */
  readonly blas?: {
    readonly library: string;
    readonly flavour: string;
    readonly threads: number | null;
  };
  /** Why the BLAS path is not active (wasm only), e.g. the loader's error. */
  readonly blasUnavailable?: string;
  /** The one-line summary that was (or would have been) printed. */
  readonly message: string;
  /** tfjs version in use. */
  readonly tfjs: string;
}

const SCHEMA: OptionsSchema = {
  prefer: {
    type: 'enum',
    values: ['auto', 'wasm', 'cpu', 'tensorflow'],
    description: 'backend: auto (tfjs-node if installed, else wasm), wasm, cpu or tensorflow',
  },
  blas: {
    type: 'string',
    description: "native matmul on the wasm path: 'auto', 'off' or a library path",
  },
  blasThreads: { type: 'integer', min: 1, max: 256, description: 'BLAS threads (OpenBLAS)' },
  quiet: { type: 'boolean', description: 'print no info line' },
  log: { type: 'object', description: 'info line sink (function)' },
};

const ENABLE_BLAS_HINT =
  'for a ~4× faster step install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0-pthread; ' +
  "macOS uses Accelerate) or pass blas: '/path/to/libopenblas.so'";

/** Last selection; `overrides` detects kernels changed behind initBackend's back (tests). */
let current: { key: string; info: BackendInfo; overrides: string } | undefined;
let blasHandle: BlasHandle | undefined;

function env(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = p?.env?.[name];
  return v === undefined || v === '' ? undefined : v;
}

const isNode = (): boolean =>
  typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node ===
  'string';

function resolveOptions(options: BackendOptions): {
  prefer: BackendPreference;
  blas: string;
  blasThreads: number;
  quiet: boolean;
  log: (line: string) => void;
} {
  const { log, ...rest } = options;
  if (log !== undefined && typeof log !== 'function')
    throw new ConfigError('initBackend: option `log` must be a function (line: string) => void');
  const v = validateOptions('initBackend', SCHEMA, rest);
  const envThreads = env('MANYTASK_BLAS_THREADS');
  const threads =
    (v['blasThreads'] as number | undefined) ?? (envThreads !== undefined ? Number(envThreads) : 1);
  if (!Number.isInteger(threads) || threads < 1)
    throw new ConfigError(
      `initBackend: MANYTASK_BLAS_THREADS must be a positive integer, got '${envThreads}'`,
    );
  const envPrefer = env('MANYTASK_BACKEND');
  const prefer = (v['prefer'] as BackendPreference | undefined) ?? envPrefer ?? 'auto';
  if (!['auto', 'wasm', 'cpu', 'tensorflow'].includes(prefer))
    throw new ConfigError(
      `initBackend: MANYTASK_BACKEND must be one of auto, wasm, cpu, tensorflow; got '${prefer}'`,
    );
  return {
    prefer: prefer as BackendPreference,
    blas: (v['blas'] as string | undefined) ?? env('MANYTASK_BLAS') ?? 'auto',
    blasThreads: threads,
    quiet: v['quiet'] === true,
    log: log ?? ((line: string) => console.error(line)),
  };
}

/** Imports tfjs-node when installed (it registers the `tensorflow` backend); never required. */
async function tryTfjsNode(): Promise<string | undefined> {
  if (!isNode()) return 'not running in Node';
  try {
    const name = '@tensorflow/tfjs-node';
    await import(name);
    return tf.findBackend('tensorflow') !== null ? undefined : 'tensorflow backend not registered';
  } catch (err) {
    return err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
  }
}

/**
 * Loads the wasm backend module and points it at the binaries inside the installed package, so
 * that nothing is downloaded whatever the bundler or working directory.
 */
async function loadWasmModule(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!isNode() || tf.findBackend('wasm') !== null) return;
  try {
    const { createRequire } = await import('node:module');
    const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    const dir = main.slice(0, Math.max(main.lastIndexOf('/'), main.lastIndexOf('\\')) + 1);
    wasm.setWasmPaths(dir);
  } catch {
    // Already initialised (setWasmPaths throws then) or unresolvable: the module's own default
    // (its script directory) is the same place.
  }
}

/** tfjs's cpu backend prints an "install tfjs-node" banner on first use; we print our own line. */
function silenceCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu !== null && typeof cpu.firstUse === 'boolean') cpu.firstUse = false;
}

async function use(name: string): Promise<boolean> {
  if (tf.getBackend() === name) return true;
  const ok = await tf.setBackend(name);
  await tf.ready();
  return ok;
}

function blasLabel(h: BlasHandle): string {
  const t = h.threads === null ? '' : `, ${h.threads} thread${h.threads === 1 ? '' : 's'}`;
  return `BatchMatMul:blas(${h.library}${t})`;
}

async function setUpWasm(
  o: ReturnType<typeof resolveOptions>,
): Promise<Pick<BackendInfo, 'kernels' | 'blas' | 'blasUnavailable'>> {
  installWasmOverrides();
  installCpuFallbacks();
  if (o.blas === 'off') {
    blasHandle = undefined;
    return { kernels: activeOverrides(), blasUnavailable: 'disabled (blas: off)' };
  }
  const probe =
    blasHandle !== undefined && (o.blas === 'auto' || o.blas === blasHandle.library)
      ? { ok: true as const, handle: blasHandle, tried: [blasHandle.library] }
      : await loadBlas({
          ...(o.blas !== 'auto' ? { library: o.blas } : {}),
          threads: o.blasThreads,
          acceptGeneric: fasterThanWasm,
        });
  if (!probe.ok) {
    blasHandle = undefined;
    if (o.blas !== 'auto')
      throw new ConfigError(
        `initBackend: option \`blas\` = '${o.blas}' could not be used: ${probe.reason}. ` +
          "Pass blas: 'auto' to probe the usual names or blas: 'off' for the wasm kernels.",
      );
    return { kernels: activeOverrides(), blasUnavailable: probe.reason };
  }
  const h = probe.handle;
  if (h.threads !== o.blasThreads) h.setThreads(o.blasThreads);
  const handle: BlasHandle = { ...h, threads: h.threads === null ? null : o.blasThreads };
  blasHandle = handle;
  const fallback = transposeFixMatMul();
  if (fallback === undefined) return { kernels: activeOverrides() };
  overrideWasmKernel('BatchMatMul', blasLabel(handle), blasMatMul(handle, fallback));
  return {
    // The transpose fix stays behind the BLAS kernel for batched products.
    kernels: [...new Set([TRANSPOSE_FIX, ...activeOverrides()])].sort(),
    blas: { library: handle.library, flavour: handle.flavour, threads: handle.threads },
  };
}

function describe(name: string, extra: Pick<BackendInfo, 'blas' | 'blasUnavailable'>): string {
  if (name === 'tensorflow') return 'manytask: backend tensorflow (@tensorflow/tfjs-node, native)';
  if (name === 'cpu')
    return 'manytask: backend cpu (pure JS, slow: use the default wasm backend for training)';
  if (extra.blas !== undefined) {
    const t = extra.blas.threads === null ? '' : `, ${extra.blas.threads} thread(s)`;
    return `manytask: backend wasm + native BLAS (${extra.blas.library}${t}) for matmuls`;
  }
  const why = extra.blasUnavailable ?? 'not probed';
  return extra.blasUnavailable?.startsWith('disabled') === true
    ? `manytask: backend wasm (XNNPACK + manytask kernel fixes); native BLAS ${why}`
    : `manytask: backend wasm (XNNPACK + manytask kernel fixes); no native BLAS (${why}); ${ENABLE_BLAS_HINT}`;
}

/**
 * Selects and initialises the compute backend. Idempotent: a second call with the same options
 * returns the same info without re-probing; other options switch the backend.
 *
 * - `prefer: 'auto'`: `tensorflow` when `@tensorflow/tfjs-node` imports, else `wasm`.
 * - On `wasm`: the BatchMatMul transpose fix and the leading-axis Sum are installed (once), and,
 *   unless `blas: 'off'`, 2-D matmuls go to `cblas_sgemm` when a BLAS loads through koffi.
 * - One info line (unless `quiet`) names the active path and, on plain wasm, how to enable BLAS.
 *
 * Throws `ConfigError` for invalid options, for `prefer: 'tensorflow'` without tfjs-node, and for
 * an explicit `blas` library that does not load.
 */
export async function initBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  const o = resolveOptions(options);
  const key = JSON.stringify([o.prefer, o.blas, o.blasThreads]);
  if (
    current !== undefined &&
    current.key === key &&
    tf.getBackend() === current.info.name &&
    current.overrides === activeOverrides().join()
  )
    return current.info;

  let name: string;
  let extra: Pick<BackendInfo, 'kernels' | 'blas' | 'blasUnavailable'> = { kernels: [] };
  const nodeProblem =
    o.prefer === 'auto' || o.prefer === 'tensorflow' ? await tryTfjsNode() : 'not requested';
  if (o.prefer === 'tensorflow' && nodeProblem !== undefined)
    throw new ConfigError(
      `initBackend: prefer 'tensorflow' needs @tensorflow/tfjs-node (${nodeProblem}); ` +
        "install it with `npm install @tensorflow/tfjs-node`, or use prefer: 'auto' or 'wasm'",
    );
  if (nodeProblem === undefined && (await use('tensorflow'))) {
    name = 'tensorflow';
  } else if (o.prefer === 'tensorflow') {
    throw new ConfigError(
      "initBackend: @tensorflow/tfjs-node is installed but its backend failed to start; use prefer: 'wasm'",
    );
  } else if (o.prefer === 'cpu') {
    if (!(await use('cpu')))
      throw new ConfigError('initBackend: the tfjs cpu backend failed to start');
    name = 'cpu';
  } else {
    await loadWasmModule();
    if (await use('wasm')) {
      name = 'wasm';
      extra = await setUpWasm(o);
    } else if (o.prefer === 'wasm') {
      throw new ConfigError(
        "initBackend: the wasm backend failed to start (see the tfjs warning above); use prefer: 'cpu'",
      );
    } else {
      await use('cpu');
      name = 'cpu';
    }
  }
  silenceCpuBanner();
  const message = describe(name, extra);
  const info: BackendInfo = {
    name,
    kernels: extra.kernels,
    ...(extra.blas !== undefined ? { blas: extra.blas } : {}),
    ...(extra.blasUnavailable !== undefined ? { blasUnavailable: extra.blasUnavailable } : {}),
    message,
    tfjs: tf.version.tfjs,
  };
  current = { key, info, overrides: activeOverrides().join() };
  if (!o.quiet) o.log(message);
  return info;
}

/**
 * The backend in effect, for run configs: what {@link initBackend} chose, or, when it was never
 * called (or the backend was switched since), the current tfjs backend and overrides.
 */
export function backendInfo(): BackendInfo {
  const name = tf.getBackend();
  if (current !== undefined && current.info.name === name) return current.info;
  const kernels = name === 'wasm' ? activeOverrides() : [];
  return {
    name,
    kernels,
    message: `manytask: backend ${name} (not selected by initBackend)`,
    tfjs: tf.version.tfjs,
  };
}

/** The BLAS handle behind the wasm matmul, when one is active (perf, worker set-up). */
export function activeBlas(): BlasHandle | undefined {
  return current?.info.blas !== undefined ? blasHandle : undefined;
}

/**
 * Options that make another thread's {@link initBackend} choose what this thread runs on (the
 * backend, and the native BLAS when one is active), so that its results match this thread's.
 */
export function sameBackendOptions(): BackendOptions {
  const info = backendInfo();
  return {
    prefer: info.name === 'cpu' || info.name === 'tensorflow' ? info.name : 'wasm',
    blas: info.blas !== undefined ? 'auto' : 'off',
  };
}
