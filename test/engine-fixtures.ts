/**
 * Small hand-written MtlModel fixtures for the engine's tests (autodiff, optim, train). They do
 * not depend on src/architectures so the engine can be tested on its own.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch, InputSpec, MtlModel, TaskSpec } from '../src/core/model.js';
import { createRng, type Rng } from '../src/core/rng.js';
import * as safe from '../src/autodiff/safe-ops.js';

let counter = 0;

function param(rng: Rng, shape: number[], scale: number, name: string): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = rng.normal() * scale;
  return tf.tidy(() => tf.variable(tf.tensor(data, shape), true, `${name}_${counter}`));
}

function headOut(spec: TaskSpec, z: tf.Tensor2D): tf.Tensor {
  return spec.kind === 'multiclass' ? z : tf.reshape(z, [-1]);
}

function outDim(spec: TaskSpec): number {
  return spec.kind === 'multiclass' ? spec.numClasses! : 1;
}

/** Options of {@link mlpModel}. */
export interface MlpOptions {
  readonly tasks: readonly TaskSpec[];
  readonly inputDim: number;
  readonly hidden?: number;
  readonly seed?: number;
  /** Adds an `extra` scalar gain on the features and a trunk auxiliary loss 0.1·gain². */
  readonly withExtra?: boolean;
  /** Uses dropout (seeded from the forward rng) after the first layer. */
  readonly dropout?: number;
}

/** x → relu(xW1+b1) → tanh(·W2+b2) = features → per-task linear heads. */
export function mlpModel(o: MlpOptions): MtlModel {
  counter++;
  const rng = createRng(o.seed ?? 1);
  const h = o.hidden ?? 6;
  const w1 = param(rng, [o.inputDim, h], 0.6, 'w1');
  const b1 = param(rng, [h], 0.1, 'b1');
  const w2 = param(rng, [h, h], 0.5, 'w2');
  const b2 = param(rng, [h], 0.1, 'b2');
  const gain = o.withExtra === true ? param(rng, [], 0.1, 'gain') : null;
  if (gain !== null) gain.assign(tf.scalar(1.2));
  const perTask: Record<string, tf.Variable[]> = {};
  for (const t of o.tasks) {
    perTask[t.id] = [
      param(rng, [h, outDim(t)], 0.5, `head_${t.id}_w`),
      param(rng, [outDim(t)], 0.1, `head_${t.id}_b`),
    ];
  }
  const inputSpec: InputSpec = { numeric: o.inputDim, categorical: [] };
  return {
    architecture: 'test-mlp',
    tasks: o.tasks,
    inputSpec,
    shared: [w1, b1, w2, b2],
    perTask,
    ...(gain !== null ? { extra: [gain] } : {}),
    trunk(inputs, opts) {
      let a: tf.Tensor = tf.relu(tf.add(tf.matMul(inputs.numeric!, w1), b1));
      if (o.dropout !== undefined && opts.training) {
        a = tf.dropout(a, o.dropout, undefined, opts.rng.seed());
      }
      let z = safe.tanh(tf.add(tf.matMul(a as tf.Tensor2D, w2), b2));
      if (gain !== null) z = tf.mul(z, gain);
      return {
        features: [z],
        ...(gain !== null ? { auxLoss: tf.mul(0.1, tf.square(gain)) as tf.Scalar } : {}),
      };
    },
    heads(features) {
      const z = features[0] as tf.Tensor2D;
      const outputs: Record<string, tf.Tensor> = {};
      for (const t of o.tasks) {
        const [w, b] = perTask[t.id]!;
        outputs[t.id] = headOut(t, tf.add(tf.matMul(z, w!), b!) as tf.Tensor2D);
      }
      return { outputs };
    },
    config: { architecture: 'test-mlp', hidden: h },
    dispose() {
      tf.dispose([w1, b1, w2, b2, ...Object.values(perTask).flat(), ...(gain ? [gain] : [])]);
    },
  };
}

/**
 * A small MMoE: E shared ReLU experts (trunk features `[B, E, H]`), per-task softmax gates on the
 * input and linear towers (heads). Exercises Softmax, Pack/Reshape and broadcasting on the tape.
 */
export function gatedModel(o: {
  tasks: readonly TaskSpec[];
  inputDim: number;
  experts?: number;
  hidden?: number;
  seed?: number;
}): MtlModel {
  counter++;
  const rng = createRng(o.seed ?? 2);
  const e = o.experts ?? 3;
  const h = o.hidden ?? 4;
  const experts = Array.from({ length: e }, (_, i) => [
    param(rng, [o.inputDim, h], 0.6, `exp${i}_w`),
    param(rng, [h], 0.1, `exp${i}_b`),
  ]);
  const perTask: Record<string, tf.Variable[]> = {};
  for (const t of o.tasks) {
    perTask[t.id] = [
      param(rng, [o.inputDim, e], 0.8, `gate_${t.id}`),
      param(rng, [h, outDim(t)], 0.5, `tower_${t.id}_w`),
      param(rng, [outDim(t)], 0.1, `tower_${t.id}_b`),
    ];
  }
  return {
    architecture: 'test-mmoe',
    tasks: o.tasks,
    inputSpec: { numeric: o.inputDim, categorical: [] },
    shared: experts.flat(),
    perTask,
    trunk(inputs) {
      const outs = experts.map(([w, b]) => tf.relu(tf.add(tf.matMul(inputs.numeric!, w!), b!)));
      return { features: [tf.stack(outs, 1)] };
    },
    heads(features, inputs) {
      const ex = features[0] as tf.Tensor3D;
      const outputs: Record<string, tf.Tensor> = {};
      for (const t of o.tasks) {
        const [g, w, b] = perTask[t.id]!;
        const gate = tf.softmax(tf.matMul(inputs.numeric!, g!));
        const mix = tf.sum(tf.mul(ex, tf.expandDims(gate, 2)), 1) as tf.Tensor2D;
        outputs[t.id] = headOut(t, tf.add(tf.matMul(mix, w!), b!) as tf.Tensor2D);
      }
      return { outputs };
    },
    config: { architecture: 'test-mmoe' },
    dispose() {
      tf.dispose([...experts.flat(), ...Object.values(perTask).flat()]);
    },
  };
}

/** A random batch for `tasks` (binary 0/1, multiclass indices, regression normals). */
export function randomBatch(
  tasks: readonly TaskSpec[],
  n: number,
  inputDim: number,
  seed = 3,
  opts: { masks?: Readonly<Record<string, readonly number[]>> } = {},
): Batch {
  const rng = createRng(seed);
  const x = new Float32Array(n * inputDim).map(() => rng.normal());
  const targets: Record<string, tf.Tensor1D> = {};
  for (const t of tasks) {
    if (t.kind === 'multiclass') {
      targets[t.id] = tf.tensor1d(
        Array.from({ length: n }, () => rng.int(t.numClasses!)),
        'int32',
      );
    } else if (t.kind === 'binary') {
      targets[t.id] = tf.tensor1d(Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 0 : 1)));
    } else {
      targets[t.id] = tf.tensor1d(Array.from({ length: n }, () => rng.normal()));
    }
  }
  const masks =
    opts.masks === undefined
      ? undefined
      : Object.fromEntries(Object.entries(opts.masks).map(([k, v]) => [k, tf.tensor1d([...v])]));
  return {
    inputs: { numeric: tf.tensor2d(x, [n, inputDim]) },
    targets,
    ...(masks !== undefined ? { masks } : {}),
    size: n,
  };
}

/** Disposes every tensor of a batch. */
export function disposeBatch(b: Batch): void {
  tf.dispose([
    ...Object.values(b.inputs),
    ...Object.values(b.targets),
    ...Object.values(b.masks ?? {}),
    ...(b.rowWeights ? [b.rowWeights] : []),
  ]);
}

/** Host copy of a tensor tree. */
export function readTree(tree: Readonly<Record<string, tf.Tensor>>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(tree)) out[k] = v.dataSync() as Float32Array;
  return out;
}

/** Largest absolute difference between two host trees with the same keys. */
export function maxAbsDiff(
  a: Readonly<Record<string, Float32Array>>,
  b: Readonly<Record<string, Float32Array>>,
): number {
  let m = 0;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const x = a[k];
    const y = b[k];
    if (x === undefined || y === undefined || x.length !== y.length) return Infinity;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  }
  return m;
}

/**
 * Chained trunk features `[x, h, z]` with h = relu(x·W1 + b1), z = tanh(h·W2): the batch input
 * itself is a feature (as in MMoE, whose gates read it) and later features are functions of
 * earlier ones. Each head reads all three.
 */
export function chainedModel(o: {
  tasks: readonly TaskSpec[];
  inputDim: number;
  seed?: number;
}): MtlModel {
  counter++;
  const rng = createRng(o.seed ?? 6);
  const h = 5;
  const w1 = param(rng, [o.inputDim, h], 0.6, 'cw1');
  const b1 = param(rng, [h], 0.1, 'cb1');
  const w2 = param(rng, [h, h], 0.5, 'cw2');
  const perTask: Record<string, tf.Variable[]> = {};
  for (const t of o.tasks) {
    perTask[t.id] = [
      param(rng, [h, outDim(t)], 0.5, `c_${t.id}_z`),
      param(rng, [h, outDim(t)], 0.5, `c_${t.id}_h`),
      param(rng, [o.inputDim, outDim(t)], 0.5, `c_${t.id}_x`),
    ];
  }
  return {
    architecture: 'test-chained',
    tasks: o.tasks,
    inputSpec: { numeric: o.inputDim, categorical: [] },
    shared: [w1, b1, w2],
    perTask,
    trunk(inputs) {
      const x = inputs.numeric!;
      const hid = tf.relu(tf.add(tf.matMul(x, w1), b1)) as tf.Tensor2D;
      return { features: [x, hid, safe.tanh(tf.matMul(hid, w2))] };
    },
    heads(features) {
      const [x, hid, z] = features as tf.Tensor2D[];
      const outputs: Record<string, tf.Tensor> = {};
      for (const t of o.tasks) {
        const [a, b, c] = perTask[t.id]!;
        const y = tf.addN([
          tf.matMul(z!, a!),
          tf.matMul(hid!, b!),
          tf.matMul(x!, c!),
        ]) as tf.Tensor2D;
        outputs[t.id] = headOut(t, y);
      }
      return { outputs };
    },
    config: { architecture: 'test-chained' },
    dispose() {
      tf.dispose([w1, b1, w2, ...Object.values(perTask).flat()]);
    },
  };
}
