/**
 * Row ranges of a device {@link Batch}: as new tensors (bi-level halves, the main thread's shard
 * of a data-parallel step), or as structured-clonable host arrays that another thread turns back
 * into a batch (a worker's shard).
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../core/model.js';
import type { TaskId } from '../core/types.js';

/** Rows `[from, from + size)` of `batch` as new tensors; `dispose` frees them. */
export function sliceBatch(
  batch: Batch,
  from: number,
  size: number,
): { readonly batch: Batch; dispose(): void } {
  const made: tf.Tensor[] = [];
  const cut = (t: tf.Tensor): tf.Tensor => {
    const out = tf.slice(t, [from], [size]);
    made.push(out);
    return out;
  };
  return {
    // Slicing rows keeps every tensor's rank, so the mapped layout is a Batch again.
    batch: mapBatch<tf.Tensor, tf.Tensor>(batch, cut, size) as Batch,
    dispose: () => tf.dispose(made),
  };
}

/** One array of a host batch. */
export interface HostArray {
  readonly data: Float32Array | Int32Array;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
}

/** A batch in host memory, in the same layout as {@link Batch}. */
export interface HostBatch {
  readonly inputs: {
    readonly numeric?: HostArray;
    readonly categorical?: HostArray;
    readonly image?: HostArray;
  };
  readonly targets: Readonly<Record<TaskId, HostArray>>;
  readonly masks?: Readonly<Record<TaskId, HostArray>>;
  readonly rowWeights?: HostArray;
  readonly size: number;
}

/** Row ranges `[lo, hi)`. */
export type RowRanges = readonly (readonly [number, number])[];

/**
 * Row ranges of one tensor copied to host arrays, with a single synchronous read. The arrays own
 * their buffers, so they can be transferred to a worker.
 */
export function tensorRowsToHost(t: tf.Tensor, ranges: RowRanges): HostArray[] {
  const inner = t.shape.slice(1);
  const row = inner.reduce((p, d) => p * d, 1);
  const all = t.dataSync() as Float32Array | Int32Array;
  return ranges.map(([lo, hi]) => ({
    data: all.slice(lo * row, hi * row),
    shape: [hi - lo, ...inner],
    dtype: t.dtype === 'int32' ? 'int32' : 'float32',
  }));
}

/** Row ranges of `batch` as host batches (each tensor read once for all ranges). */
export function batchToHost(batch: Batch, ranges: RowRanges): HostBatch[] {
  const parts = mapBatch(batch, (t: tf.Tensor) => tensorRowsToHost(t, ranges), batch.size);
  return ranges.map(([lo, hi], w) => mapBatch(parts, (arrays) => arrays[w]!, hi - lo));
}

/** A device batch from host arrays (the caller disposes it, e.g. with `disposeBatch`). */
export function batchFromHost(h: HostBatch): Batch {
  // Each array keeps the rank it had in the device batch it was read from.
  return mapBatch(h, (a): tf.Tensor => tf.tensor(a.data, [...a.shape], a.dtype), h.size) as Batch;
}

interface BatchLike<T> {
  readonly inputs: { readonly numeric?: T; readonly categorical?: T; readonly image?: T };
  readonly targets: Readonly<Record<TaskId, T>>;
  readonly masks?: Readonly<Record<TaskId, T>>;
  readonly rowWeights?: T;
}

type Mapped<U> = {
  readonly inputs: { readonly numeric?: U; readonly categorical?: U; readonly image?: U };
  readonly targets: Readonly<Record<TaskId, U>>;
  readonly masks?: Readonly<Record<TaskId, U>>;
  readonly rowWeights?: U;
  readonly size: number;
};

/** Applies `f` to every array of a batch, keeping its layout. */
function mapBatch<T, U>(b: BatchLike<T>, f: (t: T) => U, size: number): Mapped<U> {
  const rec = (r: Readonly<Record<TaskId, T>>): Record<TaskId, U> =>
    Object.fromEntries(Object.entries(r).map(([k, t]) => [k, f(t)]));
  const i = b.inputs;
  const inputs = {
    ...(i.numeric !== undefined ? { numeric: f(i.numeric) } : {}),
    ...(i.categorical !== undefined ? { categorical: f(i.categorical) } : {}),
    ...(i.image !== undefined ? { image: f(i.image) } : {}),
  };
  return {
    inputs,
    targets: rec(b.targets),
    ...(b.masks !== undefined ? { masks: rec(b.masks) } : {}),
    ...(b.rowWeights !== undefined ? { rowWeights: f(b.rowWeights) } : {}),
    size,
  };
}
