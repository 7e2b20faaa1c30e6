/**
 * Per-task gradients with one forward pass: the engine's "gradient session".
 *
 * ```ts
 * const s = recordForward(model, batch, { forward: { training: true, rng, step } });
 * const { jacobian, heads } = s.taskJacobian('params'); // K backward passes, no re-forward
 * const grads = s.backward({ lossWeights: w }, ['shared', 'heads', 'extra']); // Σ_k w_k ∇L_k
 * s.dispose();
 * ```
 *
 * The default `'tape'` engine records the forward once on the TF.js tape and back-propagates it as
 * many times as needed (PERFORMANCE §12b; `./tape.ts`). The `'naive'` engine calls
 * `tf.variableGrads` per request and re-runs the forward each time (up to 6.7× a plain step at
 * K = 8, PERFORMANCE §10.5); it is the test oracle and an explicit fallback when the tape
 * internals are unavailable.
 *
 * Modes of the per-task Jacobian:
 * - `params`: rows are ∂L_k/∂θ_shared, blocks keyed by shared variable name, `[K, ...shape]`.
 *   Exact; K backward passes through the whole model.
 * - `features`: rows are ∂L_k/∂Z for the trunk's features Z (blocks `features:<i>`,
 *   `[K, ...featureShape]`); K cheap passes through the heads only, then ONE trunk backward
 *   with the combined cotangent via {@link GradientSession.backward} (LibMTL `rep_grad`, MGDA-UB).
 *   Inner products of rows only approximate the parameter-space ones.
 *
 * In both modes each head's gradient comes from its own task's loss only.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { Batch, ForwardOptions, MtlModel } from '../core/model.js';
import { rngFromState } from '../core/rng.js';
import type {
  ParamTree,
  Regularizer,
  RegularizerContext,
  TaskId,
  TaskJacobian,
} from '../core/types.js';
import { taskLosses } from '../train/losses.js';
import { assertGradientsRegistered } from './ensure.js';
import { gradKeepGraph } from './higher-order.js';
import {
  disposeCreatedSince,
  recordTape,
  tensorIdMark,
  type RecordedTape,
  type Seed,
} from './tape.js';

/** Which per-task gradients the Jacobian holds. */
export type JacobianMode = 'params' | 'features';

/** How gradients are computed: one recorded forward (`tape`) or a forward per request (`naive`). */
export type EnginePath = 'tape' | 'naive';

/** Variable groups of an {@link MtlModel}. */
export type VariableGroup = 'shared' | 'heads' | 'extra';

/** Prefix of the Jacobian block keys in `features` mode: `features:0`, `features:1`, ... */
export const FEATURE_KEY_PREFIX = 'features:';

/** The model's trainable variables, grouped and checked once. */
export interface ModelVariables {
  readonly tasks: readonly TaskId[];
  readonly shared: readonly tf.Variable[];
  readonly heads: Readonly<Record<TaskId, readonly tf.Variable[]>>;
  readonly extra: readonly tf.Variable[];
  /** Every trainable variable by name. */
  readonly byName: ReadonlyMap<string, tf.Variable>;
}

/**
 * Groups the model's trainable variables (non-trainable ones, e.g. moving statistics, are left
 * out) and checks that names are unique and groups disjoint. Throws {@link ConfigError}.
 */
export function modelVariables(model: MtlModel): ModelVariables {
  const byName = new Map<string, tf.Variable>();
  const add = (v: tf.Variable, where: string): void => {
    if (!v.trainable) return;
    if (byName.has(v.name)) {
      throw new ConfigError(
        `modelVariables: variable '${v.name}' appears twice (again in ${where}); every variable must belong to exactly one of shared, perTask[t], extra and have a unique name`,
      );
    }
    byName.set(v.name, v);
  };
  const tasks = model.tasks.map((t) => t.id);
  const shared = model.shared.filter((v) => v.trainable);
  for (const v of shared) add(v, 'shared');
  const heads: Record<TaskId, tf.Variable[]> = {};
  for (const t of tasks) {
    const vars = model.perTask[t];
    if (vars === undefined) {
      throw new ConfigError(
        `modelVariables: model.perTask has no entry for task '${t}'; give every task a (possibly empty) variable list`,
      );
    }
    heads[t] = vars.filter((v) => v.trainable);
    for (const v of heads[t]) add(v, `perTask['${t}']`);
  }
  const extra = (model.extra ?? []).filter((v) => v.trainable);
  for (const v of extra) add(v, 'extra');
  for (const name of byName.keys()) {
    if (name.startsWith(FEATURE_KEY_PREFIX)) {
      throw new ConfigError(
        `modelVariables: variable name '${name}' collides with the features-mode block keys ('${FEATURE_KEY_PREFIX}<i>'); rename it`,
      );
    }
  }
  return { tasks, shared, heads, extra, byName };
}

/** Options of {@link recordForward}. */
export interface SessionOptions {
  /** Forward options (training flag, rng — advanced exactly as by one forward — and step). */
  readonly forward: ForwardOptions;
  /** Default `'tape'`. */
  readonly engine?: EnginePath;
  /** Penalties whose gradient is added to the objective (order 2 are differentiated twice). */
  readonly regularizers?: readonly Regularizer[];
  /** Epoch (for the regularisers' context). Default 0. */
  readonly epoch?: number;
  /** Variables precomputed by {@link modelVariables} (saves the check per step). */
  readonly variables?: ModelVariables;
}

/** Per-task gradients (all tensors owned by the caller). */
export interface TaskGradients {
  readonly jacobian: TaskJacobian;
  /** Each head's gradient of its own task's loss, keyed by variable name. */
  readonly heads: ParamTree;
  /** `params` mode: Σ_k ∂L_k/∂extra (the summed objective's gradient); empty in `features` mode. */
  readonly extra: ParamTree;
}

/** Cotangents of one backward pass: the objective `Σ_k w_k L_k + Σ_i ⟨Z_i, d_i⟩ (+ additive)`. */
export interface Cotangents {
  /** w_k per task (zeros are skipped). */
  readonly lossWeights?: ArrayLike<number>;
  /** d_i per feature block (`features:<i>` keys), e.g. an aggregated features-mode direction. */
  readonly features?: ParamTree;
  /**
   * Include the additive terms (auxiliary losses and regulariser penalties): `true` with weight 1,
   * a number with that weight (a data-parallel shard takes its share n_w / B).
   */
  readonly additive?: boolean | number;
}

/** One forward pass whose gradients can be requested many times. */
export interface GradientSession {
  readonly engine: EnginePath;
  readonly tasks: readonly TaskId[];
  readonly variables: ModelVariables;
  /** Per-task loss scalars (owned by the session). */
  readonly losses: readonly tf.Scalar[];
  /** `[K]` losses (owned by the session). */
  readonly lossVector: tf.Tensor1D;
  /** `[K]` labelled rows per task (owned by the session). */
  readonly labelled: tf.Tensor1D;
  /** `[R]` value of each regulariser's penalty, or null without regularisers (owned by the session). */
  readonly penalties: tf.Tensor1D | null;
  /** True when the model has auxiliary losses or regularisers are active. */
  readonly hasAdditive: boolean;
  /** Block keys of the features (`features:<i>`), in trunk output order. */
  readonly featureKeys: readonly string[];
  /** Backward passes run so far (cost diagnostics; head-only passes counted in `headPasses`). */
  readonly backwardPasses: number;
  readonly headPasses: number;
  /** Per-task Jacobian (K passes; see the module docs for the two modes). */
  taskJacobian(mode: JacobianMode): TaskGradients;
  /** Each head's own-task gradient only (K cheap passes through the heads). */
  headGrads(): ParamTree;
  /**
   * Gradient of `Σ_k w_k L_k + Σ_i ⟨Z_i, d_i⟩ (+ additive)` for the variables of `groups`, in one
   * backward pass; zeros for variables the objective does not reach. With only `features`
   * cotangents and `['shared']` this is the features-mode trunk backward.
   */
  backward(cotangents: Cotangents, groups: readonly VariableGroup[]): ParamTree;
  /** Frees the recorded forward. Idempotent. */
  dispose(): void;
}

/** What one forward pass produces. */
interface ForwardResult {
  features: tf.Tensor[];
  losses: tf.Scalar[];
  lossVector: tf.Tensor1D;
  labelled: tf.Tensor1D;
  penalties: tf.Tensor1D | null;
  additive: tf.Scalar | null;
  /** Order-2 per-task gradients with the graph kept (params mode: shared ∪ heads_k ∪ extra). */
  secondOrderParams: tf.Tensor[] | null;
}

interface ForwardSpec {
  readonly model: MtlModel;
  readonly batch: Batch;
  readonly vars: ModelVariables;
  readonly regularizers: readonly Regularizer[];
  readonly regCtx: RegularizerContext;
}

function paramsXs(vars: ModelVariables, k: number): tf.Variable[] {
  return [...vars.shared, ...vars.heads[vars.tasks[k]!]!, ...vars.extra];
}

/**
 * Model forward, losses and penalties. With `secondOrder`, order-2 penalties get per-task
 * gradients computed with the graph kept (requires an enclosing gradient scope); without it they
 * are skipped (their value is then NaN in `penalties` and they add nothing).
 */
function forwardPass(
  spec: ForwardSpec,
  fopts: ForwardOptions,
  secondOrder: boolean,
): ForwardResult {
  const { model, batch, vars, regularizers } = spec;
  const trunk = model.trunk(batch.inputs, fopts);
  const heads = model.heads(trunk.features, batch.inputs, fopts);
  const { perTask, labelled } = taskLosses(model.tasks, heads.outputs, batch);
  const features = [...trunk.features];
  const terms: tf.Scalar[] = [];
  if (trunk.auxLoss !== undefined) terms.push(trunk.auxLoss);
  if (heads.auxLoss !== undefined) terms.push(heads.auxLoss);
  let secondOrderParams: tf.Tensor[] | null = null;
  const penalties: tf.Scalar[] = [];
  const perTaskTrees = (wrt: 'params' | 'features'): ParamTree[] => {
    if (wrt === 'params') {
      secondOrderParams ??= perTask.flatMap((l, k) => {
        const xs = paramsXs(vars, k);
        return gradKeepGraph(l, xs).map((g, i) => g ?? tf.zerosLike(xs[i]!));
      });
      const flat = secondOrderParams;
      let offset = 0;
      return perTask.map((_, k) => {
        const xs = paramsXs(vars, k);
        const tree: Record<string, tf.Tensor> = {};
        vars.shared.forEach((v, i) => (tree[v.name] = flat[offset + i]!));
        offset += xs.length;
        return tree;
      });
    }
    return perTask.map((l) => {
      const g = gradKeepGraph(l, features);
      const tree: Record<string, tf.Tensor> = {};
      features.forEach((f, i) => (tree[FEATURE_KEY_PREFIX + i] = g[i] ?? tf.zerosLike(f)));
      return tree;
    });
  };
  for (const reg of regularizers) {
    if (reg.order === 2 && !secondOrder) {
      penalties.push(tf.scalar(NaN));
      continue;
    }
    const input = {
      tasks: vars.tasks,
      losses: perTask,
      shared: vars.shared,
      features,
      ...(reg.order === 2 ? { taskGradients: perTaskTrees(reg.wrt ?? 'params') } : {}),
    };
    const p = reg.penalty(input, spec.regCtx);
    if (p.rank !== 0) {
      throw new ShapeError(
        `regularizer '${reg.id}': penalty() must return a scalar, got shape [${p.shape.join(', ')}]`,
      );
    }
    penalties.push(p);
    terms.push(p);
  }
  return {
    features,
    losses: [...perTask],
    lossVector: tf.stack([...perTask]) as tf.Tensor1D,
    labelled,
    penalties: penalties.length > 0 ? (tf.stack(penalties) as tf.Tensor1D) : null,
    additive: terms.length > 0 ? (tf.addN(terms) as tf.Scalar) : null,
    secondOrderParams,
  };
}

function resultTensors(r: ForwardResult): tf.Tensor[] {
  return (Object.values(r) as (tf.Tensor | tf.Tensor[] | null)[]).flatMap((v) =>
    v === null ? [] : Array.isArray(v) ? v : [v],
  );
}

function toTree(
  keys: readonly string[],
  grads: readonly (tf.Tensor | null)[],
  like: readonly tf.Tensor[],
): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  keys.forEach((k, i) => (out[k] = grads[i] ?? tf.zerosLike(like[i]!)));
  return out;
}

/** Stacks per-task rows into `[K, ...shape]` blocks; consumes (disposes) the rows. */
function stackRows(
  keys: readonly string[],
  rows: readonly Record<string, tf.Tensor>[],
): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const key of keys) out[key] = tf.stack(rows.map((r) => r[key]!));
  for (const r of rows) tf.dispose(Object.values(r));
  return out;
}

function groupVars(vars: ModelVariables, groups: readonly VariableGroup[]): tf.Variable[] {
  const out: tf.Variable[] = [];
  if (groups.includes('shared')) out.push(...vars.shared);
  if (groups.includes('heads')) for (const t of vars.tasks) out.push(...vars.heads[t]!);
  if (groups.includes('extra')) out.push(...vars.extra);
  return out;
}

function checkFeatureCotangents(
  featureKeys: readonly string[],
  d: ParamTree,
  features: readonly tf.Tensor[],
): void {
  for (const key of Object.keys(d)) {
    const i = featureKeys.indexOf(key);
    if (i < 0) {
      throw new ShapeError(
        `GradientSession.backward: unknown feature block '${key}'; expected one of ${featureKeys.join(', ')}`,
      );
    }
    if (!tf.util.arraysEqual(d[key]!.shape, features[i]!.shape)) {
      throw new ShapeError(
        `GradientSession.backward: cotangent '${key}' has shape [${d[key]!.shape.join(', ')}], the feature has [${features[i]!.shape.join(', ')}]`,
      );
    }
  }
}

function checkWeights(k: number, w: ArrayLike<number> | undefined): void {
  if (w !== undefined && w.length !== k) {
    throw new ShapeError(`GradientSession.backward: got ${w.length} loss weights for ${k} tasks`);
  }
}

/**
 * Runs the model forward once on `batch` and returns a {@link GradientSession}.
 *
 * Cost: one forward (plus, with order-2 regularisers, K recorded backward passes for the per-task
 * gradients with graph kept). Memory: the recorded activations stay alive until `dispose()`.
 */
export function recordForward(
  model: MtlModel,
  batch: Batch,
  opts: SessionOptions,
): GradientSession {
  assertGradientsRegistered();
  const vars = opts.variables ?? modelVariables(model);
  const regularizers = opts.regularizers ?? [];
  const spec: ForwardSpec = {
    model,
    batch,
    vars,
    regularizers,
    regCtx: { step: opts.forward.step, epoch: opts.epoch ?? 0, tasks: vars.tasks },
  };
  return (opts.engine ?? 'tape') === 'tape'
    ? tapeSession(spec, opts.forward)
    : naiveSession(spec, opts.forward);
}

/** Weight of the additive terms in a backward's objective. */
function additiveWeight(cot: Cotangents): number {
  return cot.additive === true ? 1 : typeof cot.additive === 'number' ? cot.additive : 0;
}

/** Backward passes a session has run (the cost diagnostics it reports). */
interface PassCount {
  passes: number;
  headPasses: number;
}

/** Block keys of the trunk's features, `features:<i>` in output order. */
function featureKeysOf(r: ForwardResult): string[] {
  return r.features.map((_, i) => FEATURE_KEY_PREFIX + i);
}

/**
 * A session over one forward result: what both engines expose of it (tasks, losses, feature keys,
 * live pass counts), plus the engine's own gradient methods.
 */
function sessionOf(
  engine: EnginePath,
  vars: ModelVariables,
  r: ForwardResult,
  featureKeys: readonly string[],
  count: PassCount,
  methods: Pick<GradientSession, 'taskJacobian' | 'headGrads' | 'backward' | 'dispose'>,
): GradientSession {
  return {
    engine,
    tasks: vars.tasks,
    variables: vars,
    losses: r.losses,
    lossVector: r.lossVector,
    labelled: r.labelled,
    penalties: r.penalties,
    hasAdditive: r.additive !== null,
    featureKeys,
    get backwardPasses() {
      return count.passes;
    },
    get headPasses() {
      return count.headPasses;
    },
    ...methods,
  };
}

function tapeSession(spec: ForwardSpec, fopts: ForwardOptions): GradientSession {
  const { vars } = spec;
  const tape: RecordedTape<ForwardResult> = recordTape('recordForward', () =>
    forwardPass(spec, fopts, true),
  );
  const r = tape.result;
  const featureKeys = featureKeysOf(r);
  const count: PassCount = { passes: 0, headPasses: 0 };
  const vjp = (
    seeds: readonly Seed[],
    xs: readonly tf.Tensor[],
    head = false,
  ): (tf.Tensor | null)[] => {
    if (head) count.headPasses++;
    else count.passes++;
    return tape.vjp(seeds, xs);
  };
  return sessionOf('tape', vars, r, featureKeys, count, {
    taskJacobian(mode) {
      const k = vars.tasks.length;
      const sharedKeys = mode === 'params' ? vars.shared.map((v) => v.name) : featureKeys;
      const rows: Record<string, tf.Tensor>[] = [];
      const heads: Record<string, tf.Tensor> = {};
      const extraRows: Record<string, tf.Tensor>[] = [];
      for (let t = 0; t < k; t++) {
        const headVars = vars.heads[vars.tasks[t]!]!;
        let xs: tf.Tensor[];
        let g: (tf.Tensor | null)[];
        if (mode === 'params') {
          xs = paramsXs(vars, t);
          if (r.secondOrderParams !== null) {
            const offset = vars.tasks
              .slice(0, t)
              .reduce((s, _, j) => s + paramsXs(vars, j).length, 0);
            g = xs.map((_, i) => tf.clone(r.secondOrderParams![offset + i]!));
          } else {
            g = vjp([{ y: r.losses[t]!, dy: 1 }], xs);
          }
        } else {
          xs = [...r.features, ...headVars];
          g = vjp([{ y: r.losses[t]!, dy: 1 }], xs);
        }
        const full = toTree(
          [
            ...sharedKeys,
            ...headVars.map((v) => v.name),
            ...(mode === 'params' ? vars.extra.map((v) => v.name) : []),
          ],
          g,
          xs,
        );
        const row: Record<string, tf.Tensor> = {};
        for (const key of sharedKeys) row[key] = full[key]!;
        rows.push(row);
        for (const v of headVars) heads[v.name] = full[v.name]!;
        if (mode === 'params') {
          const ex: Record<string, tf.Tensor> = {};
          for (const v of vars.extra) ex[v.name] = full[v.name]!;
          extraRows.push(ex);
        }
      }
      const blocks = stackRows(sharedKeys, rows);
      const extra: Record<string, tf.Tensor> = {};
      for (const v of mode === 'params' ? vars.extra : []) {
        extra[v.name] = tf.addN(extraRows.map((e) => e[v.name]!));
      }
      for (const e of extraRows) tf.dispose(Object.values(e));
      return { jacobian: { tasks: vars.tasks, blocks }, heads, extra };
    },
    headGrads() {
      const out: Record<string, tf.Tensor> = {};
      vars.tasks.forEach((t, k) => {
        const hv = vars.heads[t]!;
        if (hv.length === 0) return;
        const g = vjp([{ y: r.losses[k]!, dy: 1 }], hv, true);
        Object.assign(
          out,
          toTree(
            hv.map((v) => v.name),
            g,
            hv,
          ),
        );
      });
      return out;
    },
    backward(cot, groups) {
      checkWeights(vars.tasks.length, cot.lossWeights);
      const seeds: Seed[] = [];
      if (cot.lossWeights !== undefined) {
        for (let t = 0; t < vars.tasks.length; t++) {
          const w = cot.lossWeights[t]!;
          if (w !== 0) seeds.push({ y: r.losses[t]!, dy: w });
        }
      }
      if (cot.features !== undefined) {
        checkFeatureCotangents(featureKeys, cot.features, r.features);
        for (const [key, d] of Object.entries(cot.features)) {
          seeds.push({ y: r.features[featureKeys.indexOf(key)]!, dy: d });
        }
      }
      const a = additiveWeight(cot);
      if (a !== 0 && r.additive !== null) seeds.push({ y: r.additive, dy: a });
      const xs = groupVars(vars, groups);
      const g = seeds.length > 0 && xs.length > 0 ? vjp(seeds, xs) : xs.map(() => null);
      return toTree(
        xs.map((v) => v.name),
        g,
        xs,
      );
    },
    dispose: () => tape.dispose(),
  });
}

/** Gradients by `tf.variableGrads`, re-running the forward for every request (the oracle). */
function naiveSession(spec: ForwardSpec, fopts: ForwardOptions): GradientSession {
  const { vars, model, batch } = spec;
  const rng0 = fopts.rng.state();
  const replay = (): ForwardOptions => ({ ...fopts, rng: rngFromState(rng0) });
  const hasSecondOrder = spec.regularizers.some((r) => r.order === 2);
  const mark = tensorIdMark();
  // The first forward advances the caller's rng exactly like the tape engine's single forward.
  let first: ForwardResult;
  if (hasSecondOrder) {
    // Order-2 penalties need a gradient scope to exist at all; that gradient is discarded.
    let kept: ForwardResult | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const f = forwardPass(spec, fopts, true);
      for (const t of resultTensors(f)) if (t.id > mark) tf.keep(t);
      kept = f;
      return f.additive ?? (tf.addN([...f.losses]) as tf.Scalar);
    }, [...vars.byName.values()]);
    tf.dispose([value, ...Object.values(grads)]);
    first = kept!;
  } else {
    first = tf.tidy(
      () => forwardPass(spec, fopts, false) as unknown as tf.TensorContainer,
    ) as unknown as ForwardResult;
  }
  const featureKeys = featureKeysOf(first);
  const count: PassCount = { passes: 0, headPasses: 0 };
  // tf.variableGrads's own machinery (engine.gradients), minus its assertion that some variable
  // is reached: an auxiliary loss may not touch the requested group at all.
  const grads = (objective: () => tf.Scalar, xs: readonly tf.Variable[]): tf.Tensor[] => {
    const { value, grads: g } = tf.engine().gradients(objective, [...xs], undefined, true);
    value.dispose();
    return xs.map((v, i) => g[i] ?? tf.zerosLike(v));
  };
  const lossOf = (k: number) => (): tf.Scalar => forwardPass(spec, replay(), false).losses[k]!;
  return sessionOf('naive', vars, first, featureKeys, count, {
    taskJacobian(mode) {
      const sharedKeys = mode === 'params' ? vars.shared.map((v) => v.name) : featureKeys;
      const rows: Record<string, tf.Tensor>[] = [];
      const heads: Record<string, tf.Tensor> = {};
      const extra: Record<string, tf.Tensor> = {};
      if (mode === 'params') {
        vars.tasks.forEach((t, k) => {
          count.passes++;
          const xs = paramsXs(vars, k);
          const g = grads(lossOf(k), xs);
          const row: Record<string, tf.Tensor> = {};
          xs.forEach((v, i) => {
            if (i < vars.shared.length) row[v.name] = g[i]!;
            else if (vars.heads[t]!.includes(v)) heads[v.name] = g[i]!;
            else {
              const prev = extra[v.name];
              extra[v.name] = prev === undefined ? g[i]! : tf.add(prev, g[i]!);
              if (prev !== undefined) tf.dispose([prev, g[i]!]);
            }
          });
          rows.push(row);
        });
      } else {
        // Features are computed once (no tape); per task, gradients through the heads only.
        const fwd = replay();
        const zMark = tensorIdMark();
        const z = tf.tidy(() => [...model.trunk(batch.inputs, fwd).features]);
        vars.tasks.forEach((t, k) => {
          count.passes++;
          const headVars = vars.heads[t]!;
          const { value, grads: g } = tf.engine().gradients(
            () => {
              const out = model.heads(z, batch.inputs, fwd).outputs;
              return taskLosses(model.tasks, out, batch).perTask[k]!;
            },
            [...z, ...headVars],
            undefined,
            true,
          );
          value.dispose();
          const tree = toTree([...featureKeys, ...headVars.map((v) => v.name)], g, [
            ...z,
            ...headVars,
          ]);
          const row: Record<string, tf.Tensor> = {};
          for (const key of featureKeys) row[key] = tree[key]!;
          rows.push(row);
          for (const v of headVars) heads[v.name] = tree[v.name]!;
        });
        disposeCreatedSince(z, zMark);
      }
      return { jacobian: { tasks: vars.tasks, blocks: stackRows(sharedKeys, rows) }, heads, extra };
    },
    headGrads() {
      const out: Record<string, tf.Tensor> = {};
      vars.tasks.forEach((t, k) => {
        const hv = vars.heads[t]!;
        if (hv.length === 0) return;
        count.headPasses++;
        const g = grads(lossOf(k), hv);
        hv.forEach((v, i) => (out[v.name] = g[i]!));
      });
      return out;
    },
    backward(cot, groups) {
      checkWeights(vars.tasks.length, cot.lossWeights);
      if (cot.features !== undefined)
        checkFeatureCotangents(featureKeys, cot.features, first.features);
      const xs = groupVars(vars, groups);
      if (xs.length === 0) return {};
      count.passes++;
      const g = grads(() => {
        const f = forwardPass(spec, replay(), true);
        const terms: tf.Tensor[] = [tf.scalar(0)];
        const w = cot.lossWeights;
        if (w !== undefined) f.losses.forEach((l, k) => terms.push(tf.mul(l, w[k]!)));
        for (const [key, d] of Object.entries(cot.features ?? {})) {
          terms.push(tf.sum(tf.mul(f.features[featureKeys.indexOf(key)]!, d)));
        }
        const a = additiveWeight(cot);
        if (a !== 0 && f.additive !== null)
          terms.push(a === 1 ? f.additive : tf.mul(f.additive, a));
        return tf.addN(terms) as tf.Scalar;
      }, xs);
      return toTree(
        xs.map((v) => v.name),
        g,
        xs,
      );
    },
    dispose: () => disposeCreatedSince(resultTensors(first), mark),
  });
}

/** Result of {@link taskGradients}. */
export interface TaskGradientsResult extends TaskGradients {
  /** `[K]` per-task losses (owned by the caller). */
  readonly losses: tf.Tensor1D;
  /** `[K]` labelled rows per task (owned by the caller). */
  readonly labelled: tf.Tensor1D;
}

/**
 * One-shot per-task gradients: one forward, K backward passes (`params`) or K head passes
 * (`features`), then the session is freed. Use {@link recordForward} when the same forward also
 * serves a later backward (features-mode trunk backward, weighted backward).
 */
export function taskGradients(
  model: MtlModel,
  batch: Batch,
  opts: SessionOptions & { readonly mode?: JacobianMode },
): TaskGradientsResult {
  const s = recordForward(model, batch, opts);
  try {
    const g = s.taskJacobian(opts.mode ?? 'params');
    return { ...g, losses: tf.clone(s.lossVector), labelled: tf.clone(s.labelled) };
  } finally {
    s.dispose();
  }
}
