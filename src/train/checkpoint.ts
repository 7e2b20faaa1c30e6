/**
 * Checkpoints of the complete training state: model variables, optimiser states, method states
 * (tensors and host arrays), rng states, step/epoch/position in the epoch and the epoch's running
 * loss sums. Resuming from one gives exactly the run that was interrupted (tested bit for bit).
 *
 * A checkpoint is `{ json, buffers }`: a JSON-compatible description whose tensors and typed
 * arrays point into a list of binary buffers. {@link encodeCheckpoint} packs it into one byte
 * array for a file (the CLI writes it; this module never touches the file system).
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, ShapeError } from '../core/errors.js';
import type { MtlModel } from '../core/model.js';
import { deserializeState, serializeState, type StateBuffer } from './state.js';

/** Format tag and version of {@link Checkpoint}. */
export const CHECKPOINT_FORMAT = 'manytask-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** A serialised training state. */
export interface Checkpoint {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: number;
  /** JSON-compatible content; `{ $tensor: i }` / `{ $array: i }` refer to `buffers[i]`. */
  readonly json: CheckpointJson;
  readonly buffers: readonly StateBuffer[];
}

/** The JSON part of a checkpoint. */
export interface CheckpointJson {
  readonly meta: CheckpointMeta;
  /** Every model variable in {@link modelVariableList} order (the name is informative only). */
  readonly variables: readonly { readonly name: string; readonly value: unknown }[];
  /**
   * The trainer's state (serialised with `serializeState`). Object keys equal to a variable's name
   * (optimiser slots, Jacobian blocks) are stored as `@var:<index>`, so a checkpoint loads into
   * another instance of the same architecture whose variables carry another scope prefix.
   */
  readonly state: unknown;
}

/** What a checkpoint was made for; checked on restore. */
export interface CheckpointMeta {
  readonly architecture: string;
  readonly modelConfig: Readonly<Record<string, unknown>>;
  readonly tasks: readonly string[];
  /** Identifies the method and optimisers whose states the checkpoint holds. */
  readonly method: string;
  readonly optimizer: string;
  readonly extraOptimizer: string | null;
  readonly createdWith: string;
}

/** Every variable the model lists (trainable or not), by name. */
export function modelVariableList(model: MtlModel): tf.Variable[] {
  const all = [...model.shared, ...Object.values(model.perTask).flat(), ...(model.extra ?? [])];
  const seen = new Set<string>();
  return all.filter((v) => (seen.has(v.name) ? false : (seen.add(v.name), true)));
}

/** Renames object keys (never values) through `map`, recursively. */
function renameKeys(x: unknown, map: ReadonlyMap<string, string>): unknown {
  if (x === null || typeof x !== 'object') return x;
  if (Array.isArray(x)) return x.map((e) => renameKeys(e, map));
  return Object.fromEntries(
    Object.entries(x as Record<string, unknown>).map(([k, v]) => [
      map.get(k) ?? k,
      renameKeys(v, map),
    ]),
  );
}

/** Captures the model's variables and a state tree into a checkpoint (reads every tensor back). */
export function captureCheckpoint(
  model: MtlModel,
  meta: CheckpointMeta,
  state: unknown,
): Checkpoint {
  const buffers: StateBuffer[] = [];
  const vars = modelVariableList(model);
  const variables = vars.map((v) => ({ name: v.name, value: serializeState(v, buffers).json }));
  const s = serializeState(state, buffers);
  const toIndex = new Map(vars.map((v, i) => [v.name, `@var:${i}`]));
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    json: { meta, variables, state: renameKeys(s.json, toIndex) },
    buffers,
  };
}

/**
 * Checks a checkpoint against the model and `meta`, writes its values into the model's variables
 * and returns the deserialised state tree (tensors owned by the caller).
 *
 * @throws {DataError} For a malformed checkpoint. {@link ConfigError} when it was made for another
 *   architecture, task list, method or optimiser; {@link ShapeError} when a variable is missing or
 *   has another shape.
 */
export function restoreCheckpoint(
  model: MtlModel,
  meta: CheckpointMeta,
  ckpt: Checkpoint,
): unknown {
  if (ckpt.format !== CHECKPOINT_FORMAT) {
    throw new DataError(
      `restoreCheckpoint: not a manytask checkpoint (format '${String(ckpt.format)}')`,
    );
  }
  if (ckpt.version !== CHECKPOINT_VERSION) {
    throw new DataError(
      `restoreCheckpoint: checkpoint version ${ckpt.version} is not supported (this build reads version ${CHECKPOINT_VERSION})`,
    );
  }
  const m = ckpt.json.meta;
  const mismatch = (what: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      throw new ConfigError(
        `restoreCheckpoint: the checkpoint was made with ${what} ${JSON.stringify(a)}, this run uses ${JSON.stringify(b)}; resume with the same configuration`,
      );
    }
  };
  mismatch('architecture', m.architecture, meta.architecture);
  mismatch('tasks', m.tasks, meta.tasks);
  mismatch('method', m.method, meta.method);
  mismatch('optimizer', m.optimizer, meta.optimizer);
  mismatch('extra optimizer', m.extraOptimizer, meta.extraOptimizer);
  const vars = modelVariableList(model);
  if (ckpt.json.variables.length !== vars.length) {
    throw new ShapeError(
      `restoreCheckpoint: the checkpoint has ${ckpt.json.variables.length} variables, the model ${vars.length}; rebuild the model with the checkpoint's configuration`,
    );
  }
  const values: [tf.Variable, tf.Tensor][] = [];
  try {
    vars.forEach((v, i) => {
      const saved = ckpt.json.variables[i]!;
      const t = deserializeState(saved.value, ckpt.buffers) as tf.Tensor;
      values.push([v, t]);
      if (!tf.util.arraysEqual(t.shape, v.shape)) {
        throw new ShapeError(
          `restoreCheckpoint: variable ${i} ('${v.name}') has shape [${v.shape.join(', ')}] in the model and [${t.shape.join(', ')}] in the checkpoint ('${saved.name}')`,
        );
      }
    });
    const toName = new Map(vars.map((v, i) => [`@var:${i}`, v.name]));
    const state = deserializeState(renameKeys(ckpt.json.state, toName), ckpt.buffers);
    for (const [v, t] of values) v.assign(t);
    return state;
  } finally {
    tf.dispose(values.map(([, t]) => t));
  }
}

const MAGIC = 'MTCKPT01';
const KINDS = { f32: Float32Array, f64: Float64Array, i32: Int32Array, u8: Uint8Array } as const;
type Kind = keyof typeof KINDS;

function kindOf(b: StateBuffer): Kind {
  if (b instanceof Float32Array) return 'f32';
  if (b instanceof Float64Array) return 'f64';
  if (b instanceof Int32Array) return 'i32';
  return 'u8';
}

/**
 * Packs a checkpoint into bytes: `MTCKPT01`, a little-endian u32 header length, the UTF-8 JSON
 * header (`{ checkpoint, buffers: [{ kind, offset, length }] }`), then the buffers, each aligned
 * to 8 bytes.
 */
export function encodeCheckpoint(ckpt: Checkpoint): Uint8Array {
  let offset = 0;
  const table = ckpt.buffers.map((b) => {
    const entry = { kind: kindOf(b), offset, length: b.length };
    offset += Math.ceil(b.byteLength / 8) * 8;
    return entry;
  });
  const header = new TextEncoder().encode(
    JSON.stringify({ format: ckpt.format, version: ckpt.version, json: ckpt.json, buffers: table }),
  );
  const start = Math.ceil((MAGIC.length + 4 + header.length) / 8) * 8;
  const out = new Uint8Array(start + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  ckpt.buffers.forEach((b, i) => {
    out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), start + table[i]!.offset);
  });
  return out;
}

/** Reads bytes written by {@link encodeCheckpoint}. @throws {DataError} when they are not one. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const fail = (why: string): never => {
    throw new DataError(`decodeCheckpoint: ${why}; the file is not a complete manytask checkpoint`);
  };
  if (
    bytes.length < MAGIC.length + 4 ||
    new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC
  ) {
    fail('missing the MTCKPT01 signature');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getUint32(MAGIC.length, true);
  const start = Math.ceil((MAGIC.length + 4 + len) / 8) * 8;
  if (start > bytes.length) fail('the header is truncated');
  let parsed: {
    format: typeof CHECKPOINT_FORMAT;
    version: number;
    json: CheckpointJson;
    buffers: { kind: Kind; offset: number; length: number }[];
  };
  try {
    parsed = JSON.parse(
      new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + len)),
    );
  } catch {
    return fail('the header is not valid JSON');
  }
  const buffers = parsed.buffers.map(({ kind, offset, length }) => {
    const Ctor = KINDS[kind];
    if (Ctor === undefined) return fail(`unknown buffer kind '${String(kind)}'`);
    const byteLength = length * Ctor.BYTES_PER_ELEMENT;
    if (start + offset + byteLength > bytes.length) fail('a buffer is truncated');
    // Copy: the aligned slice may not be aligned within the caller's buffer.
    const copy = bytes.slice(start + offset, start + offset + byteLength);
    return new Ctor(copy.buffer, 0, length);
  });
  return { format: parsed.format, version: parsed.version, json: parsed.json, buffers };
}
