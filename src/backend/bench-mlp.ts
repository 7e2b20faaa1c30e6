/**
 * The benchmark model of PERFORMANCE.md §2, built from plain `tf.variable`s so that it measures
 * the backend and not a layer library: a shared trunk X[B, d] → Linear d→h → ReLU → Linear h→h →
 * ReLU = Z, then K linear heads h→o, an MSE loss per head (mean over all B·o elements), and plain
 * SGD. `bench/pytorch_step.py` builds the same model in PyTorch.
 *
 * FLOP convention: a train step counts 6·B·P FLOP, P = number of matmul weights
 * (d·h + h·h + K·h·o), i.e. 3× the forward matmul work.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { createRng, type Rng } from '../core/rng.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ShardBatch, ShardProgram } from './parallel.js';

/** Sizes of the benchmark MLP (defaults: the PERFORMANCE.md model). */
export interface BenchMlpOptions {
  /** Number of tasks (heads). */
  readonly k: number;
  readonly batch?: number;
  readonly input?: number;
  readonly hidden?: number;
  readonly output?: number;
  readonly seed?: number;
}

/** Resolved sizes. */
export interface BenchMlpSizes {
  readonly k: number;
  readonly batch: number;
  readonly input: number;
  readonly hidden: number;
  readonly output: number;
  readonly seed: number;
}

const SCHEMA: OptionsSchema = {
  k: { type: 'integer', min: 1, max: 64, description: 'tasks (heads)' },
  batch: { type: 'integer', min: 1, default: 1024, description: 'batch rows' },
  input: { type: 'integer', min: 1, default: 256, description: 'input features' },
  hidden: { type: 'integer', min: 1, default: 512, description: 'trunk width' },
  output: { type: 'integer', min: 1, default: 16, description: 'outputs per head' },
  seed: { type: 'integer', default: 1, description: 'weights and data seed' },
};

/** Validates and fills the sizes. */
export function benchMlpSizes(options: BenchMlpOptions): BenchMlpSizes {
  if (typeof options !== 'object' || options === null || options.k === undefined)
    throw new ConfigError('createBenchMlp: option `k` (number of tasks) is required');
  return validateOptions('createBenchMlp', SCHEMA, { ...options }) as unknown as BenchMlpSizes;
}

/** Matmul weights P of the model (the 6·B·P FLOP convention). */
export function benchMlpMatmulParams(s: BenchMlpSizes): number {
  return s.input * s.hidden + s.hidden * s.hidden + s.k * s.hidden * s.output;
}

/** FLOP of one train step, 6·B·P. */
export function benchMlpStepFlop(s: BenchMlpSizes): number {
  return 6 * s.batch * benchMlpMatmulParams(s);
}

/** Host data of the model: parameters in order, then the batch. */
export interface BenchMlpHost {
  readonly sizes: BenchMlpSizes;
  /** Shapes of the parameters, in order: w1, b1, w2, b2, then (w, b) per head. */
  readonly shapes: readonly (readonly number[])[];
  /** Initial parameter values (He-normal weights, zero biases), same order. */
  readonly params: readonly Float32Array[];
  /** Inputs [B, d]. */
  readonly x: Float32Array;
  /** Targets per task, each [B, o]. */
  readonly ys: readonly Float32Array[];
}

function normals(rng: Rng, n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

/**
 * Seeded host data for the model. Workers and the main thread build identical copies from the
 * same sizes, so nothing but the sizes has to cross a thread boundary.
 */
export function benchMlpHost(options: BenchMlpOptions): BenchMlpHost {
  const s = benchMlpSizes(options);
  const rng = createRng(s.seed);
  const shapes: number[][] = [[s.input, s.hidden], [s.hidden], [s.hidden, s.hidden], [s.hidden]];
  for (let k = 0; k < s.k; k++) shapes.push([s.hidden, s.output], [s.output]);
  const params = shapes.map((shape) =>
    shape.length === 1
      ? new Float32Array(shape[0] as number)
      : normals(
          rng.split(),
          (shape[0] as number) * (shape[1] as number),
          Math.sqrt(2 / (shape[0] as number)),
        ),
  );
  const x = normals(rng.split(), s.batch * s.input, 1);
  const ys = Array.from({ length: s.k }, () => normals(rng.split(), s.batch * s.output, 1));
  return { sizes: s, shapes, params, x, ys };
}

/** The model on the device. */
export interface BenchMlp {
  readonly sizes: BenchMlpSizes;
  /** w1, b1, w2, b2 (shared), then (w, b) per head. */
  readonly params: readonly tf.Variable[];
  /** The shared trunk parameters (first four). */
  readonly shared: readonly tf.Variable[];
  readonly x: tf.Tensor2D;
  readonly ys: readonly tf.Tensor2D[];
  /** Trunk features Z [B, h] of inputs `x` (call inside a tidy). */
  trunk(x: tf.Tensor2D): tf.Tensor2D;
  /** Per-task losses of features `z` against targets `ys` (call inside a tidy). */
  taskLosses(z: tf.Tensor2D, ys: readonly tf.Tensor2D[]): tf.Scalar[];
  dispose(): void;
}

/** Builds the model on the active backend from {@link benchMlpHost} data. */
export function createBenchMlp(options: BenchMlpOptions): BenchMlp {
  const host = benchMlpHost(options);
  const s = host.sizes;
  const params = host.params.map((p, i) => tf.variable(tf.tensor(p, [...host.shapes[i]!])));
  const x = tf.tensor2d(host.x, [s.batch, s.input]);
  const ys = host.ys.map((y) => tf.tensor2d(y, [s.batch, s.output]));
  const [w1, b1, w2, b2] = params as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  return {
    sizes: s,
    params,
    shared: [w1, b1, w2, b2],
    x,
    ys,
    trunk: (xin) =>
      tf.relu(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(xin, w1), b1)), w2), b2)) as tf.Tensor2D,
    taskLosses: (z, targets) =>
      targets.map((y, k) => {
        const pred = tf.add(tf.matMul(z, params[4 + 2 * k]! as tf.Tensor2D), params[5 + 2 * k]!);
        return tf.mean(tf.squaredDifference(pred, y));
      }),
    dispose() {
      for (const t of [...params, x, ...ys]) t.dispose();
    },
  };
}

/**
 * One equal-weight SGD step: forward, backward of Σ_k L_k, `p ← p − lr·g`. Returns the summed loss
 * before the update (the step's one host read-back, a single float).
 */
export function ewSgdStep(m: BenchMlp, lr: number): number {
  const loss = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(
      () => tf.addN(m.taskLosses(m.trunk(m.x), m.ys)) as tf.Scalar,
      m.params as tf.Variable[],
    );
    for (const p of m.params) p.assign(tf.sub(p, tf.mul(grads[p.name]!, lr)));
    return value;
  });
  const v = loss.dataSync()[0] as number;
  loss.dispose();
  return v;
}

/** Batch arrays of {@link benchMlpHost} data for a {@link ShardProgram}: `x`, then `y0..y{K-1}`. */
export function benchMlpBatch(host: BenchMlpHost): ShardBatch {
  const s = host.sizes;
  const out: Record<string, { data: Float32Array; shape: readonly number[] }> = {
    x: { data: host.x, shape: [s.batch, s.input] },
  };
  host.ys.forEach((y, k) => (out[`y${k}`] = { data: y, shape: [s.batch, s.output] }));
  return out;
}

/** Options of {@link benchMlpProgram}: the model sizes plus what a shard computes. */
export interface BenchMlpProgramOptions extends BenchMlpOptions {
  /** `ew`: one row, ∇Σ_k L_k; `jacobian`: K rows, ∇L_k (one forward per task). Default `ew`. */
  readonly mode?: 'ew' | 'jacobian';
}

/**
 * The benchmark MLP as a {@link ShardProgram} for {@link createDataParallel}: parameters in the
 * order of {@link BenchMlpHost.shapes}; batch arrays as from {@link benchMlpBatch}. Each task loss
 * is a mean over rows, as the data-parallel reduction requires.
 */
export function benchMlpProgram(options: Readonly<Record<string, unknown>>): ShardProgram {
  const { mode = 'ew', ...sizes } = options as unknown as BenchMlpProgramOptions;
  if (mode !== 'ew' && mode !== 'jacobian')
    throw new ConfigError(
      `benchMlpProgram: option \`mode\` must be 'ew' or 'jacobian', got '${String(mode)}'`,
    );
  const m = createBenchMlp(sizes);
  const s = m.sizes;
  const params = m.params as tf.Variable[];
  const sizesOf = params.map((p) => p.size);
  const total = sizesOf.reduce((a, b) => a + b, 0);
  const rowsOf = (batch: ShardBatch, name: string, lo: number, hi: number): tf.Tensor2D => {
    const a = batch[name];
    if (a === undefined) throw new ConfigError(`benchMlpProgram: the batch has no array '${name}'`);
    const cols = a.shape[1] as number;
    const view = a.data.subarray(lo * cols, hi * cols);
    return tf.tensor2d(copyable(view), [hi - lo, cols]);
  };
  return {
    shapes: params.map((p) => p.shape),
    tasks: s.k,
    rows: mode === 'ew' ? 1 : s.k,
    setParams(values) {
      tf.tidy(() => params.forEach((p, i) => p.assign(tf.tensor(copyable(values[i]!), p.shape))));
    },
    compute(batch, lo, hi, grad, losses) {
      // Per task row (one row in `ew` mode): the gradient of every parameter, in order; a null
      // gradient (another task's head, not on task k's path) is zero.
      const [rows, l] = tf.tidy(() => {
        const x = rowsOf(batch, 'x', lo, hi);
        const ys = Array.from({ length: s.k }, (_, k) => rowsOf(batch, `y${k}`, lo, hi));
        const taskLoss = (): tf.Scalar[] => m.taskLosses(m.trunk(x), ys);
        const ordered = (g: tf.NamedTensorMap): tf.Tensor[] =>
          params.map((p) => g[p.name] ?? tf.zerosLike(p));
        if (mode === 'ew') {
          let lossVec: tf.Tensor | undefined;
          const { value, grads } = tf.variableGrads(() => {
            const ls = taskLoss();
            lossVec = tf.keep(tf.stack(ls));
            return tf.addN(ls) as tf.Scalar;
          }, params);
          value.dispose();
          return [[ordered(grads)], lossVec!] as [tf.Tensor[][], tf.Tensor];
        }
        const out: tf.Tensor[][] = [];
        const ls: tf.Scalar[] = [];
        for (let k = 0; k < s.k; k++) {
          const { value, grads } = tf.variableGrads(() => taskLoss()[k]!, params);
          out.push(ordered(grads));
          ls.push(value);
        }
        return [out, tf.stack(ls)] as [tf.Tensor[][], tf.Tensor];
      });
      rows.forEach((row, r) => {
        let off = r * total;
        row.forEach((g, i) => {
          copyOut(g, grad.subarray(off, off + sizesOf[i]!));
          off += sizesOf[i]!;
        });
      });
      copyOut(l, losses);
      tf.dispose([...rows.flat(), l]);
    },
    dispose: () => m.dispose(),
  };
}

/**
 * Values for `tf.tensor` from a (possibly shared-memory) view: the wasm backend copies them into
 * its heap anyway; other backends may keep the array, so they get a private copy.
 */
function copyable(view: Float32Array): Float32Array {
  return tf.getBackend() === 'wasm' ? view : view.slice();
}

/** Copies a tensor's values into `dst`: straight from the wasm heap when possible (one copy). */
function copyOut(t: tf.Tensor, dst: Float32Array | Float64Array): void {
  const be = tf.backend() as Partial<BackendWasm>;
  if (
    tf.getBackend() === 'wasm' &&
    typeof be.typedArrayFromHeap === 'function' &&
    t.dtype === 'float32'
  )
    dst.set(be.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }));
  else dst.set(t.dataSync());
}
