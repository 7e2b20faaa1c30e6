/**
 * Named, grouped, seeded variables for the architectures.
 *
 * Every architecture creates its `tf.Variable`s through a {@link ParamStore}: the store gives each
 * variable a stable, descriptive name (`<scope>/<path>/<name>`, e.g. `mmoe/expert0/dense0/kernel`),
 * records which parameter group it belongs to (shared, one task's, or extra), and initialises it
 * from the seeded {@link Rng} (never from TF.js's unseeded initialisers).
 *
 * Why names matter: the Jacobian blocks and the checkpoints are keyed by variable names. TF.js
 * registers variables in one process-wide table and refuses duplicate names, so a second model of
 * the same architecture living at the same time (a reloaded copy, a single-task baseline) gets the
 * scope `mmoe_1`, `mmoe_2`, ... (as Keras uniquifies layer names). Checkpoints (`io.ts`) store the
 * names without the scope segment, so they load into any instance.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { TaskId } from '../core/types.js';

/** Which parameter group a variable belongs to (see `MtlModel.shared` / `perTask` / `extra`). */
export type ParamGroup =
  | { readonly kind: 'shared' }
  | { readonly kind: 'task'; readonly task: TaskId }
  | { readonly kind: 'extra' };

/** The shared group (a constant, to avoid allocating the same object everywhere). */
export const SHARED: ParamGroup = { kind: 'shared' };

/** The group of one task's variables. */
export function taskGroup(task: TaskId): ParamGroup {
  return { kind: 'task', task };
}

/** Fills a new buffer of `size` values for a variable of `shape`, drawing from `rng`. */
export type Initializer = (shape: readonly number[], rng: Rng) => Float32Array;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Fan-in and fan-out as Keras computes them: a dense kernel `[in, out]` has fans (in, out); a conv
 * kernel `[kh, kw, in, out]` has fans (kh·kw·in, kh·kw·out); a vector has fans (n, n).
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0] as number, fanOut: shape[0] as number };
  const receptive = sizeOf(shape.slice(0, -2));
  return {
    fanIn: receptive * (shape[shape.length - 2] as number),
    fanOut: receptive * (shape[shape.length - 1] as number),
  };
}

/** Glorot/Xavier uniform: U(−l, l) with l = √(6 / (fanIn + fanOut)) (Keras' default kernel init). */
export function glorotUniform(): Initializer {
  return (shape, rng) => {
    const { fanIn, fanOut } = fans(shape);
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const out = new Float32Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) out[i] = (2 * rng.uniform() - 1) * limit;
    return out;
  };
}

/** He normal: N(0, 2/fanIn), suited to ReLU layers. */
export function heNormal(): Initializer {
  return (shape, rng) => {
    const std = Math.sqrt(2 / fans(shape).fanIn);
    const out = new Float32Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) out[i] = rng.normal() * std;
    return out;
  };
}

/** Uniform on [lo, hi). */
export function uniformInit(lo: number, hi: number): Initializer {
  return (shape, rng) => {
    const out = new Float32Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * rng.uniform();
    return out;
  };
}

/** Every entry equal to `value` (biases: 0). Draws nothing from the rng. */
export function constantInit(value: number): Initializer {
  return (shape) => new Float32Array(sizeOf(shape)).fill(value);
}

/** Explicit values (row-major), checked against the shape. */
export function valuesInit(values: ArrayLike<number>): Initializer {
  return (shape) => {
    if (values.length !== sizeOf(shape)) {
      throw new ConfigError(
        `valuesInit: ${values.length} values given for shape [${shape.join(', ')}]; pass exactly ${sizeOf(shape)}`,
      );
    }
    return Float32Array.from(values);
  };
}

/** A named sub-scope of a {@link ParamStore}: creates variables under its path, in its group. */
export interface ParamScope {
  /** Path below the model scope, e.g. `expert0/dense0` (empty at the root). */
  readonly path: string;
  readonly group: ParamGroup;
  /** A child scope `path/name`; inherits the group unless one is given. */
  child(name: string, group?: ParamGroup): ParamScope;
  /**
   * Creates a trainable float32 variable named `<scope>/<path>/<name>`. Each variable draws from
   * its own stream split off the store's rng, in creation order.
   */
  variable(name: string, shape: readonly number[], init: Initializer): tf.Variable;
}

/** Variables of a model, by group. */
export interface ParamGroups {
  readonly shared: readonly tf.Variable[];
  readonly perTask: Readonly<Record<TaskId, readonly tf.Variable[]>>;
  readonly extra: readonly tf.Variable[];
}

/** Creates and owns the variables of one model instance. */
export interface ParamStore {
  /** The model scope: the architecture id, or `id_1`, `id_2`, ... when that one is taken. */
  readonly scope: string;
  readonly root: ParamScope;
  /** Every variable, in creation order. */
  readonly variables: readonly tf.Variable[];
  /** The variables by group; every task of `tasks` has an entry (possibly empty). */
  groups(): ParamGroups;
  /** Disposes every variable (unregisters their names). */
  dispose(): void;
}

const PATH_SEGMENT = /^[A-Za-z0-9_.-]+$/;

function scopeTaken(scope: string): boolean {
  const prefix = `${scope}/`;
  return Object.keys(tf.engine().registeredVariables).some((n) => n.startsWith(prefix));
}

/**
 * Creates a store for a model of architecture `architecture` with `tasks`.
 *
 * @throws {ConfigError} If a path segment is not `[A-Za-z0-9_.-]+`, a name is used twice, or a
 *   variable is assigned to a task that is not in `tasks`.
 */
export function createParamStore(
  architecture: string,
  tasks: readonly TaskId[],
  rng: Rng,
): ParamStore {
  if (!PATH_SEGMENT.test(architecture)) {
    throw new ConfigError(
      `createParamStore: architecture id '${architecture}' must match [A-Za-z0-9_.-]+`,
    );
  }
  let scope = architecture;
  for (let i = 1; scopeTaken(scope); i++) scope = `${architecture}_${i}`;
  const variables: tf.Variable[] = [];
  const groupOf = new Map<tf.Variable, ParamGroup>();
  const names = new Set<string>();
  const taskSet = new Set(tasks);

  const makeScope = (path: string, group: ParamGroup): ParamScope => ({
    path,
    group,
    child(name, g) {
      if (!PATH_SEGMENT.test(name)) {
        throw new ConfigError(
          `ParamScope.child: segment '${name}' under '${path}' must match [A-Za-z0-9_.-]+`,
        );
      }
      return makeScope(path === '' ? name : `${path}/${name}`, g ?? group);
    },
    variable(name, shape, init) {
      if (!PATH_SEGMENT.test(name)) {
        throw new ConfigError(
          `ParamScope.variable: name '${name}' under '${path}' must match [A-Za-z0-9_.-]+`,
        );
      }
      if (group.kind === 'task' && !taskSet.has(group.task)) {
        throw new ConfigError(
          `ParamScope.variable: '${path}/${name}' assigned to unknown task '${group.task}'`,
        );
      }
      const full = `${scope}/${path === '' ? '' : `${path}/`}${name}`;
      if (names.has(full)) {
        throw new ConfigError(`ParamScope.variable: '${full}' created twice; use distinct names`);
      }
      names.add(full);
      const values = init(shape, rng.split());
      const v = tf.tidy(() => tf.variable(tf.tensor(values, [...shape], 'float32'), true, full));
      variables.push(v);
      groupOf.set(v, group);
      return v;
    },
  });

  return {
    scope,
    root: makeScope('', SHARED),
    variables,
    groups() {
      const shared: tf.Variable[] = [];
      const extra: tf.Variable[] = [];
      const perTask: Record<TaskId, tf.Variable[]> = {};
      for (const t of tasks) perTask[t] = [];
      for (const v of variables) {
        const g = groupOf.get(v) as ParamGroup;
        if (g.kind === 'shared') shared.push(v);
        else if (g.kind === 'extra') extra.push(v);
        else (perTask[g.task] as tf.Variable[]).push(v);
      }
      return { shared, perTask, extra };
    },
    dispose() {
      for (const v of variables) v.dispose();
      variables.length = 0;
    },
  };
}

/**
 * The checkpoint key of a variable: its name without the first path segment (the model scope),
 * so that `mmoe_1/expert0/dense0/kernel` and `mmoe/expert0/dense0/kernel` share the key
 * `expert0/dense0/kernel`.
 */
export function relativeName(variableName: string): string {
  const i = variableName.indexOf('/');
  return i < 0 ? variableName : variableName.slice(i + 1);
}
