/**
 * Saving and loading models: a self-contained JSON artifact with the architecture id, its options,
 * the input spec, the tasks and every weight (base64 of little-endian float32). Loading rebuilds
 * the model from the registry entry and the config, then assigns the weights by name, so a
 * reloaded model predicts exactly what the saved one did.
 *
 * Weights are keyed by the variable name without its model scope (`expert0/dense0/kernel`, see
 * `relativeName`), so an artifact loads while the original model (scope `mmoe`) still exists and
 * the copy gets the scope `mmoe_1`.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { ArchitectureBuilder, InputSpec, MtlModel, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import type { RegistryEntry } from '../registry/types.js';
import { entries as builtinEntries } from './entries.js';
import { relativeName } from './params.js';

/** Current artifact version. */
export const MODEL_ARTIFACT_VERSION = 1;

/** One saved weight. */
export interface SavedWeight {
  /** Variable name without the model scope. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32';
  /** Base64 of the little-endian float32 values, row-major. */
  readonly data: string;
}

/** A saved model: JSON-serialisable. */
export interface ModelArtifact {
  readonly format: 'manytask-model';
  readonly version: number;
  readonly architecture: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly inputSpec: InputSpec;
  readonly tasks: readonly TaskSpec[];
  readonly weights: readonly SavedWeight[];
}

/** Base64 of float32 values, little-endian on every platform. */
export function encodeFloat32(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/**
 * Inverse of {@link encodeFloat32}.
 *
 * @throws {ShapeError} If the byte length is not a multiple of 4.
 */
export function decodeFloat32(data: string): Float32Array {
  const binary = atob(data);
  if (binary.length % 4 !== 0) {
    throw new ShapeError(
      `decodeFloat32: ${binary.length} bytes is not a whole number of float32 values; the artifact is corrupt`,
    );
  }
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  const out = new Float32Array(binary.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

function modelVariables(model: MtlModel): tf.Variable[] {
  return [...model.shared, ...Object.values(model.perTask).flat(), ...(model.extra ?? [])];
}

/** Saves `model` (weights read back synchronously; call between training steps). */
export function saveModel(model: MtlModel): ModelArtifact {
  const weights = modelVariables(model).map((v) => ({
    name: relativeName(v.name),
    shape: [...v.shape],
    dtype: 'float32' as const,
    data: encodeFloat32(v.dataSync() as Float32Array),
  }));
  return {
    format: 'manytask-model',
    version: MODEL_ARTIFACT_VERSION,
    ...modelRecipe(model),
    weights,
  };
}

/** Where {@link loadModel} finds architecture entries. */
export interface LoadModelOptions {
  /** Entries to search (e.g. `defaultRegistry.list('architecture')` or a custom list). */
  readonly entries?: readonly RegistryEntry[];
}

/**
 * Rebuilds a model from an artifact: creates the architecture from its registry entry and
 * config, builds it for the saved input spec and tasks, and assigns every weight.
 *
 * @throws {ConfigError} On a foreign format, a newer version, or an unknown architecture.
 * @throws {ShapeError} If the saved weights do not match the rebuilt model's variables exactly.
 */
export function loadModel(artifact: ModelArtifact, options: LoadModelOptions = {}): MtlModel {
  const a = artifact as Partial<ModelArtifact> | null;
  if (a === null || typeof a !== 'object' || a.format !== 'manytask-model') {
    throw new ConfigError(
      `loadModel: not a manytask model artifact (format ${JSON.stringify(a?.format)}); pass the object saveModel returned`,
    );
  }
  if (typeof a.version !== 'number' || a.version > MODEL_ARTIFACT_VERSION) {
    throw new ConfigError(
      `loadModel: artifact version ${String(a.version)} is newer than this library's ${MODEL_ARTIFACT_VERSION}; upgrade manytask`,
    );
  }
  const model = buildModel(artifact, options);
  try {
    assignWeights(model, artifact.weights);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** What rebuilds a model's variables and forward (a {@link ModelArtifact} without its weights). */
export type ModelRecipe = Pick<ModelArtifact, 'architecture' | 'config' | 'inputSpec' | 'tasks'>;

/** The recipe of a live model (JSON-serialisable). */
export function modelRecipe(model: MtlModel): ModelRecipe {
  return JSON.parse(
    JSON.stringify({
      architecture: model.architecture,
      config: model.config,
      inputSpec: model.inputSpec,
      tasks: model.tasks,
    }),
  ) as ModelRecipe;
}

/**
 * Builds a fresh model from its recipe through the architecture's registry entry (weights from
 * a fixed seed: callers overwrite them).
 *
 * @throws {ConfigError} On an unknown architecture.
 */
export function buildModel(recipe: ModelRecipe, options: LoadModelOptions = {}): MtlModel {
  const list = options.entries ?? builtinEntries;
  const entry = list.find((e) => e.kind === 'architecture' && e.id === recipe.architecture);
  if (entry === undefined) {
    throw new ConfigError(
      `loadModel: unknown architecture '${recipe.architecture}'; pass its registry entry in options.entries`,
    );
  }
  const builder = entry.create(recipe.config) as ArchitectureBuilder;
  return builder.build(recipe.inputSpec, recipe.tasks, createRng(0));
}

/**
 * Assigns saved weights to a model's variables by relative name.
 *
 * @throws {ShapeError} On a missing, extra or mis-shaped weight.
 */
export function assignWeights(model: MtlModel, weights: readonly SavedWeight[]): void {
  const byName = new Map(weights.map((w) => [w.name, w]));
  const vars = modelVariables(model);
  const names = new Set(vars.map((v) => relativeName(v.name)));
  const extra = weights.filter((w) => !names.has(w.name)).map((w) => w.name);
  const missing = [...names].filter((n) => !byName.has(n));
  if (extra.length > 0 || missing.length > 0) {
    throw new ShapeError(
      `loadModel: saved weights do not match ${model.architecture}'s variables (missing: ${missing.join(', ') || 'none'}; unexpected: ${extra.join(', ') || 'none'}); was the artifact saved with another config?`,
    );
  }
  for (const v of vars) {
    const w = byName.get(relativeName(v.name)) as SavedWeight;
    if (w.shape.join(',') !== v.shape.join(',')) {
      throw new ShapeError(
        `loadModel: weight '${w.name}' has shape [${w.shape.join(', ')}], the model expects [${v.shape.join(', ')}]`,
      );
    }
    const values = decodeFloat32(w.data);
    if (values.length !== v.size) {
      throw new ShapeError(
        `loadModel: weight '${w.name}' holds ${values.length} values for shape [${w.shape.join(', ')}] (${v.size}); the artifact is corrupt`,
      );
    }
    tf.tidy(() => v.assign(tf.tensor(values, v.shape, 'float32')));
  }
}
