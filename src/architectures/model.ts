/**
 * Turns an architecture's trunk/heads functions into an {@link MtlModel}: options common to every
 * architecture, input checks, parameter groups from the {@link ParamStore}, tidy forward passes,
 * host-side diagnostics, and the registry-facing {@link ArchitectureBuilder}.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import type {
  ArchitectureBuilder,
  ForwardOptions,
  HeadsResult,
  InputSpec,
  ModelInputs,
  MtlModel,
  TaskSpec,
  TrunkResult,
} from '../core/model.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { Rng } from '../core/rng.js';
import {
  checkInputs,
  checkInputSpec,
  ENCODER_SCHEMA,
  encoderOptions,
  type EncoderOptions,
} from './encoder.js';
import { checkTasks } from './heads.js';
import { checkSizes } from './layers.js';
import {
  ACTIVATIONS,
  checkActivation,
  nonlinearOps,
  type ActivationName,
  type NonlinearOps,
} from './ops.js';
import { createParamStore, type ParamStore } from './params.js';
import type { Evidence, RegistryEntry } from '../registry/types.js';

/** Options every architecture accepts (besides the encoder's). */
export interface CommonOptions {
  /** Hidden-layer activation. Default `'relu'` (second-order correct as it is). */
  readonly activation: ActivationName;
  /** Hidden sizes of each task's tower before its output layer. Default `[16]`. */
  readonly towerHidden: readonly number[];
  /**
   * Use the second-order-correct sigmoid/tanh/softmax of `autodiff/safe-ops` (for second-order
   * regularizers). Default false.
   */
  readonly secondOrderSafe: boolean;
  readonly encoder: EncoderOptions;
}

/** Schema of {@link CommonOptions} plus the encoder options. */
export const COMMON_SCHEMA: OptionsSchema = {
  activation: {
    type: 'enum',
    values: ACTIVATIONS,
    default: 'relu',
    description: 'hidden-layer activation',
  },
  towerHidden: {
    type: 'number[]',
    default: [16],
    description: 'hidden sizes of each task tower (empty = linear head)',
  },
  secondOrderSafe: {
    type: 'boolean',
    default: false,
    description: 'use second-order-correct sigmoid/tanh/softmax (for second-order regularizers)',
  },
  ...ENCODER_SCHEMA,
};

/** Everything an architecture's `build` receives. */
export interface BuildContext {
  readonly id: string;
  readonly inputSpec: InputSpec;
  readonly tasks: readonly TaskSpec[];
  readonly store: ParamStore;
  readonly ops: NonlinearOps;
  readonly common: CommonOptions;
}

/** A nested structure of tensors (diagnostics before read-back). */
export type TensorTree = tf.Tensor | readonly TensorTree[] | { readonly [k: string]: TensorTree };

/** What an architecture implements; `assembleModel` does the rest. */
export interface ArchitectureImpl {
  trunk(inputs: ModelInputs, opts: ForwardOptions): TrunkResult;
  heads(features: readonly tf.Tensor[], inputs: ModelInputs, opts: ForwardOptions): HeadsResult;
  /** Diagnostic tensors of one forward pass; read back to numbers by the model. */
  diagnostics?(inputs: ModelInputs, opts: ForwardOptions): TensorTree;
}

/** A host value of a read-back {@link TensorTree}. */
export type HostTree = number | HostTree[] | { [k: string]: HostTree };

function readBack(t: TensorTree): HostTree {
  if (t instanceof tf.Tensor) return t.arraySync() as HostTree;
  if (Array.isArray(t)) return (t as readonly TensorTree[]).map(readBack);
  const out: Record<string, HostTree> = {};
  for (const [k, v] of Object.entries(t as Record<string, TensorTree>)) out[k] = readBack(v);
  return out;
}

/**
 * Defines an architecture: returns the factory `(options) → ArchitectureBuilder`. Options are
 * validated against `schema` ∪ {@link COMMON_SCHEMA} when the factory is called (never later);
 * `parse` reads the architecture's own options and may throw {@link ConfigError}.
 */
export function defineArchitecture<O>(
  id: string,
  schema: OptionsSchema,
  parse: (o: Readonly<Record<string, unknown>>) => O,
  build: (ctx: BuildContext, options: O) => ArchitectureImpl,
): (options?: Readonly<Record<string, unknown>>) => ArchitectureBuilder {
  const fullSchema: OptionsSchema = { ...COMMON_SCHEMA, ...schema };
  return (options) => {
    const validated = validateOptions(id, fullSchema, options);
    const activation = checkActivation(id, 'activation', validated['activation']);
    const common: CommonOptions = {
      activation,
      towerHidden: checkSizes(id, 'towerHidden', validated['towerHidden']),
      secondOrderSafe: validated['secondOrderSafe'] as boolean,
      encoder: encoderOptions(id, validated, activation),
    };
    const own = parse(validated);
    const ops = nonlinearOps(common.secondOrderSafe);
    const config = Object.freeze({ ...validated });
    return {
      id,
      config,
      build(inputSpec: InputSpec, tasks: readonly TaskSpec[], rng: Rng): MtlModel {
        checkInputSpec(id, inputSpec);
        checkTasks(id, tasks);
        const store = createParamStore(
          id,
          tasks.map((t) => t.id),
          rng,
        );
        try {
          const impl = build({ id, inputSpec, tasks, store, ops, common }, own);
          return assembleModel(id, config, inputSpec, tasks, store, impl);
        } catch (e) {
          store.dispose();
          throw e;
        }
      },
    };
  };
}

/** Wraps an {@link ArchitectureImpl} into an {@link MtlModel}. */
export function assembleModel(
  id: string,
  config: Readonly<Record<string, unknown>>,
  inputSpec: InputSpec,
  tasks: readonly TaskSpec[],
  store: ParamStore,
  impl: ArchitectureImpl,
): MtlModel {
  const groups = store.groups();
  const owner = `${id}.trunk`;
  const model: MtlModel = {
    architecture: id,
    tasks,
    inputSpec,
    shared: groups.shared,
    perTask: groups.perTask,
    ...(groups.extra.length > 0 ? { extra: groups.extra } : {}),
    config,
    trunk(inputs, opts) {
      checkInputs(owner, inputSpec, inputs);
      return tf.tidy(
        () => impl.trunk(inputs, opts) as unknown as tf.TensorContainer,
      ) as unknown as TrunkResult;
    },
    heads(features, inputs, opts) {
      return tf.tidy(
        () => impl.heads(features, inputs, opts) as unknown as tf.TensorContainer,
      ) as unknown as HeadsResult;
    },
    ...(impl.diagnostics === undefined
      ? {}
      : {
          diagnostics(inputs: ModelInputs, opts: ForwardOptions) {
            checkInputs(`${id}.diagnostics`, inputSpec, inputs);
            const diag = impl.diagnostics as NonNullable<ArchitectureImpl['diagnostics']>;
            const tensors = tf.tidy(() => diag(inputs, opts) as tf.TensorContainer) as TensorTree;
            try {
              return readBack(tensors) as Record<string, HostTree>;
            } finally {
              tf.dispose(tensors as tf.TensorContainer);
            }
          },
        }),
    dispose() {
      store.dispose();
    },
  };
  return model;
}

/** Runs trunk then heads: the plain forward pass (`predict`). Outputs are owned by the caller. */
export function forward(
  model: MtlModel,
  inputs: ModelInputs,
  opts: ForwardOptions,
): HeadsResult & { readonly trunkAuxLoss?: tf.Scalar } {
  return tf.tidy(() => {
    const t = model.trunk(inputs, opts);
    const h = model.heads(t.features, inputs, opts);
    return { ...h, ...(t.auxLoss !== undefined ? { trunkAuxLoss: t.auxLoss } : {}) };
  });
}

/** Reads an integer option that must be at least `min` (validated already; re-checked for types). */
export function intOption(
  owner: string,
  o: Readonly<Record<string, unknown>>,
  name: string,
  min: number,
): number {
  const v = o[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ConfigError(
      `${owner}: option \`${name}\` must be an integer ≥ ${min}, got ${String(v)}`,
    );
  }
  return v;
}

/** Facts of an architecture's registry entry (the schema and `create` come from the factory). */
export interface ArchitectureFacts {
  readonly id: string;
  readonly displayName: string;
  readonly summary: string;
  readonly reference: string;
  readonly evidence: Evidence;
  readonly cost: { readonly backward: string; readonly notes?: string };
}

/** A registry entry (kind `'architecture'`) whose options are `schema` ∪ {@link COMMON_SCHEMA}. */
export function architectureEntry(
  facts: ArchitectureFacts,
  schema: OptionsSchema,
  create: (options?: Readonly<Record<string, unknown>>) => ArchitectureBuilder,
): RegistryEntry<ArchitectureBuilder> {
  return { ...facts, kind: 'architecture', options: { ...COMMON_SCHEMA, ...schema }, create };
}
