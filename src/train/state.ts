/**
 * Generic handling of method and optimiser states: trees of plain objects, arrays, numbers,
 * strings, booleans, null, typed arrays and tensors. Used to dispose replaced state tensors after
 * a step and to serialise the complete training state into a checkpoint (JSON + binary buffers).
 */
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../core/errors.js';

/** Every tensor in a state tree (depth-first, each tensor once). */
export function collectTensors(
  x: unknown,
  out: tf.Tensor[] = [],
  seen = new Set<unknown>(),
): tf.Tensor[] {
  if (x === null || typeof x !== 'object' || seen.has(x)) return out;
  seen.add(x);
  if (x instanceof tf.Tensor) {
    out.push(x);
    return out;
  }
  if (ArrayBuffer.isView(x)) return out;
  for (const v of Array.isArray(x) ? x : Object.values(x)) collectTensors(v, out, seen);
  return out;
}

/**
 * Disposes the tensors of `old` that `next` does not reuse. Transforms may carry state tensors
 * over unchanged (keys without a gradient), so blindly disposing the old state would free live
 * tensors.
 */
export function disposeReplaced(old: unknown, next: unknown): void {
  const keep = new Set(collectTensors(next));
  for (const t of collectTensors(old)) if (!keep.has(t) && !t.isDisposed) t.dispose();
}

/** Disposes every tensor of a state tree. */
export function disposeState(x: unknown): void {
  for (const t of collectTensors(x)) if (!t.isDisposed) t.dispose();
}

/** Binary payloads of a serialised state, referenced from the JSON by index. */
export type StateBuffer = Float32Array | Float64Array | Int32Array | Uint8Array;

/** A serialised state tree: JSON-compatible value plus the binary buffers it references. */
export interface SerializedState {
  readonly json: unknown;
  readonly buffers: StateBuffer[];
}

type Marker =
  | { readonly $tensor: number; readonly shape: number[]; readonly dtype: string }
  | { readonly $array: number; readonly kind: string }
  | { readonly $number: 'NaN' | 'Infinity' | '-Infinity' };

function typedKind(x: ArrayBufferView): string {
  if (x instanceof Float32Array) return 'f32';
  if (x instanceof Float64Array) return 'f64';
  if (x instanceof Int32Array) return 'i32';
  if (x instanceof Uint8Array) return 'u8';
  throw new DataError(
    `serializeState: unsupported typed array ${x.constructor.name}; use Float32Array, Float64Array, Int32Array or Uint8Array in states`,
  );
}

/**
 * Serialises a state tree. Tensors are read back (`dataSync`) into buffers; typed arrays are
 * copied; non-finite numbers are tagged (JSON has no NaN). Objects must be plain (no classes,
 * functions or cycles).
 */
export function serializeState(x: unknown, buffers: StateBuffer[] = []): SerializedState {
  const walk = (v: unknown, path: string): unknown => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      if (Number.isFinite(v)) return v;
      return { $number: String(v) } as Marker;
    }
    if (v instanceof tf.Tensor) {
      if (v.isDisposed) {
        throw new DataError(
          `serializeState: tensor at '${path}' is disposed; checkpoint a live state`,
        );
      }
      const data = v.dataSync();
      const copy =
        v.dtype === 'int32'
          ? Int32Array.from(data)
          : v.dtype === 'bool'
            ? Uint8Array.from(data)
            : Float32Array.from(data);
      buffers.push(copy);
      return { $tensor: buffers.length - 1, shape: [...v.shape], dtype: v.dtype } as Marker;
    }
    if (ArrayBuffer.isView(v)) {
      const kind = typedKind(v);
      buffers.push((v as StateBuffer).slice());
      return { $array: buffers.length - 1, kind } as Marker;
    }
    if (Array.isArray(v)) return v.map((e, i) => walk(e, `${path}[${i}]`));
    if (typeof v === 'object') {
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new DataError(
          `serializeState: value at '${path}' is a ${(v as object).constructor.name}, not a plain object; states must be plain data and tensors`,
        );
      }
      const out: Record<string, unknown> = {};
      for (const [k, e] of Object.entries(v)) {
        if (k.startsWith('$')) {
          throw new DataError(
            `serializeState: key '${k}' at '${path}' starts with '$', which is reserved`,
          );
        }
        out[k] = walk(e, `${path}.${k}`);
      }
      return out;
    }
    throw new DataError(`serializeState: cannot serialise a ${typeof v} at '${path}'`);
  };
  return { json: walk(x, '$'), buffers };
}

/** Rebuilds a state tree; tensors are created anew (owned by the caller). */
export function deserializeState(json: unknown, buffers: readonly StateBuffer[]): unknown {
  const buffer = (i: number): StateBuffer => {
    const b = buffers[i];
    if (b === undefined) {
      throw new DataError(
        `deserializeState: the checkpoint references buffer ${i}, which is missing (truncated file?)`,
      );
    }
    return b;
  };
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(walk);
    const o = v as Record<string, unknown>;
    if ('$tensor' in o) {
      const m = o as { $tensor: number; shape: number[]; dtype: string };
      const b = buffer(m.$tensor);
      return tf.tensor(
        b.slice() as Float32Array | Int32Array | Uint8Array,
        m.shape,
        m.dtype as tf.DataType,
      );
    }
    if ('$array' in o) return buffer((o as { $array: number }).$array).slice();
    if ('$number' in o) return Number((o as { $number: string }).$number);
    return Object.fromEntries(Object.entries(o).map(([k, e]) => [k, walk(e)]));
  };
  return walk(json);
}
