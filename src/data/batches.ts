/**
 * Host splits → device batches, and seeded batch orders. The training engine and `evaluate` use
 * these; they are the only place where data crosses to TF.js tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { Batch, InputSpec, TaskSpec } from '../core/model.js';
import type { Rng } from '../core/rng.js';
import type { TaskId } from '../core/types.js';
import type { DataSplit } from './types.js';

function gather<T extends Float32Array | Int32Array>(
  src: T,
  width: number,
  indices: ArrayLike<number>,
  make: (n: number) => T,
): T {
  const b = indices.length;
  const out = make(b * width);
  for (let i = 0; i < b; i++) {
    const r = indices[i] as number;
    out.set(src.subarray(r * width, (r + 1) * width), i * width);
  }
  return out;
}

function checkPart(
  name: string,
  data: Float32Array | Int32Array | undefined,
  n: number,
  width: number,
): void {
  if (width === 0) return;
  if (data === undefined) {
    throw new ShapeError(
      `splitToBatch: the input spec has ${name} inputs (${width} per row) but the split has no \`${name}\` array; load the data with the same input spec as the model`,
    );
  }
  if (data.length !== n * width) {
    throw new ShapeError(
      `splitToBatch: split.${name} has ${data.length} values, expected n·${width} = ${n * width}; the split does not match the input spec`,
    );
  }
}

/**
 * Builds a device {@link Batch} from rows `indices` of a host split.
 *
 * Shapes: `inputs.numeric` [B, inputSpec.numeric] float32, `inputs.categorical`
 * [B, categorical.length] int32, `inputs.image` [B, h, w, c] float32; `targets[t]` [B] (float32 for
 * binary and regression, int32 for multiclass); `masks[t]` [B] float32 when the split has masks
 * (a task absent from `split.masks` is fully labelled); `rowWeights` [B] when present.
 * The returned tensors are owned by the caller (see {@link disposeBatch}).
 *
 * @throws ShapeError when the split does not match `inputSpec` or lacks a task's labels.
 */
export function splitToBatch(
  split: DataSplit,
  inputSpec: InputSpec,
  tasks: readonly TaskSpec[],
  indices: ArrayLike<number>,
): Batch {
  const n = split.n;
  const b = indices.length;
  for (let i = 0; i < b; i++) {
    const r = indices[i] as number;
    if (!Number.isInteger(r) || r < 0 || r >= n) {
      throw new ShapeError(`splitToBatch: row index ${r} is outside the split (n = ${n})`);
    }
  }
  const nNum = inputSpec.numeric;
  const nCat = inputSpec.categorical.length;
  const img = inputSpec.image;
  const imgSize = img !== undefined ? img.height * img.width * img.channels : 0;
  checkPart('numeric', split.numeric, n, nNum);
  checkPart('categorical', split.categorical, n, nCat);
  checkPart('image', split.image, n, imgSize);
  for (const t of tasks) {
    const y = split.labels[t.id];
    if (y === undefined || y.length !== n) {
      throw new ShapeError(
        `splitToBatch: task '${t.id}' has ${y === undefined ? 'no labels' : `${y.length} labels for ${n} rows`} in the split; load the data set whose tasks the model was built for`,
      );
    }
  }
  const f32 = (k: number): Float32Array => new Float32Array(k);
  const i32 = (k: number): Int32Array => new Int32Array(k);
  const inputs = {
    ...(nNum > 0
      ? { numeric: tf.tensor2d(gather(split.numeric!, nNum, indices, f32), [b, nNum], 'float32') }
      : {}),
    ...(nCat > 0
      ? {
          categorical: tf.tensor2d(
            gather(split.categorical!, nCat, indices, i32),
            [b, nCat],
            'int32',
          ),
        }
      : {}),
    ...(img !== undefined
      ? {
          image: tf.tensor4d(
            gather(split.image!, imgSize, indices, f32),
            [b, img.height, img.width, img.channels],
            'float32',
          ),
        }
      : {}),
  };
  const targets: Record<TaskId, tf.Tensor1D> = {};
  for (const t of tasks) {
    const y = split.labels[t.id] as Float32Array | Int32Array;
    if (t.kind === 'multiclass') {
      const out = new Int32Array(b);
      for (let i = 0; i < b; i++) out[i] = y[indices[i] as number] as number;
      targets[t.id] = tf.tensor1d(out, 'int32');
    } else {
      const out = new Float32Array(b);
      for (let i = 0; i < b; i++) out[i] = y[indices[i] as number] as number;
      targets[t.id] = tf.tensor1d(out, 'float32');
    }
  }
  let masks: Record<TaskId, tf.Tensor1D> | undefined;
  if (split.masks !== undefined) {
    masks = {};
    for (const t of tasks) {
      const m = split.masks[t.id];
      const out = new Float32Array(b);
      for (let i = 0; i < b; i++)
        out[i] = m === undefined ? 1 : (m[indices[i] as number] as number);
      masks[t.id] = tf.tensor1d(out, 'float32');
    }
  }
  let rowWeights: tf.Tensor1D | undefined;
  if (split.rowWeights !== undefined) {
    const out = new Float32Array(b);
    for (let i = 0; i < b; i++) out[i] = split.rowWeights[indices[i] as number] as number;
    rowWeights = tf.tensor1d(out, 'float32');
  }
  return {
    inputs,
    targets,
    ...(masks !== undefined ? { masks } : {}),
    ...(rowWeights !== undefined ? { rowWeights } : {}),
    size: b,
  };
}

/** Every array of a batch-shaped object (a device batch, or its host copy): inputs, targets, masks, row weights. */
export function batchArrays<T>(b: {
  readonly inputs: { readonly numeric?: T; readonly categorical?: T; readonly image?: T };
  readonly targets: Readonly<Record<TaskId, T>>;
  readonly masks?: Readonly<Record<TaskId, T>>;
  readonly rowWeights?: T;
}): T[] {
  return [
    ...Object.values(b.inputs).filter((x): x is T => x !== undefined),
    ...Object.values(b.targets),
    ...Object.values(b.masks ?? {}),
    ...(b.rowWeights !== undefined ? [b.rowWeights] : []),
  ];
}

/** Disposes every tensor of a batch. */
export function disposeBatch(batch: Batch): void {
  tf.dispose(batchArrays<tf.Tensor>(batch));
}

/** Options of {@link batchIndices}. */
export interface BatchIndicesOptions {
  /** Seeded permutation of the rows (default true); false keeps row order. */
  readonly shuffle?: boolean;
  /** Drop the last batch when it is smaller than `batchSize` (default false). */
  readonly dropLast?: boolean;
}

/**
 * Row indices of one epoch, cut into batches of `batchSize` (the last one smaller unless
 * `dropLast`). With `shuffle` it consumes one `rng.permutation(n)`; without, it draws nothing.
 *
 * @throws ConfigError when `batchSize` is not a positive integer.
 */
export function batchIndices(
  n: number,
  batchSize: number,
  rng: Rng,
  options: BatchIndicesOptions = {},
): Int32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ConfigError(`batchIndices: \`batchSize\` must be an integer ≥ 1, got ${batchSize}`);
  }
  let order: Int32Array;
  if (options.shuffle ?? true) {
    order = rng.permutation(n);
  } else {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  }
  const out: Int32Array[] = [];
  for (let s = 0; s < n; s += batchSize) {
    const e = Math.min(s + batchSize, n);
    if (e - s < batchSize && options.dropLast === true) break;
    out.push(order.subarray(s, e));
  }
  return out;
}
