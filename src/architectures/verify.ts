/**
 * Checks that any {@link MtlModel} honours the model contract, for the built-in architectures'
 * tests and for third-party ones (e.g. a routed architecture built from `components.ts`):
 *
 * - output shapes per task kind;
 * - every trainable variable receives gradient;
 * - parameter groups: task k's output has zero gradient on every other task's variables;
 * - the trunk/heads split is exact: heads read no shared variable, and back-propagating the
 *   heads' feature gradients through the trunk reproduces the direct gradient (what the engine's
 *   `features` Jacobian mode relies on);
 * - a short seeded training run with simple local losses lowers every task's loss.
 *
 * Each check returns findings (names, numbers) instead of throwing, so tests state their
 * expectation explicitly. Plus {@link syntheticBatch}: small seeded batches with learnable
 * targets for any {@link InputSpec} and task list.
 */
import * as tf from '@tensorflow/tfjs';
import type {
  Batch,
  ForwardOptions,
  InputSpec,
  ModelInputs,
  MtlModel,
  TaskSpec,
} from '../core/model.js';
import { createRng, type Rng } from '../core/rng.js';
import type { TaskId } from '../core/types.js';

function allVariables(model: MtlModel): tf.Variable[] {
  return [...model.shared, ...Object.values(model.perTask).flat(), ...(model.extra ?? [])];
}

function evalOpts(training = false): ForwardOptions {
  return { training, rng: createRng(1234), step: 0 };
}

/**
 * Shape problems of one forward pass (empty when all is well): binary and regression outputs
 * must be `[B]`, multiclass `[B, C]`, every task present, nothing extra, all values finite.
 */
export function outputShapeProblems(model: MtlModel, inputs: ModelInputs, batch: number): string[] {
  const problems: string[] = [];
  const result = tf.tidy(() => {
    const t = model.trunk(inputs, evalOpts());
    return model.heads(t.features, inputs, evalOpts()).outputs as Record<string, tf.Tensor>;
  });
  try {
    for (const task of model.tasks) {
      const y = result[task.id];
      const want = task.kind === 'multiclass' ? [batch, task.numClasses as number] : [batch];
      if (y === undefined) problems.push(`${task.id}: no output`);
      else if (y.shape.join(',') !== want.join(','))
        problems.push(`${task.id}: shape [${y.shape.join(', ')}], want [${want.join(', ')}]`);
      else if (!(y.dataSync() as Float32Array).every(Number.isFinite))
        problems.push(`${task.id}: non-finite output`);
    }
    for (const k of Object.keys(result)) {
      if (!model.tasks.some((t) => t.id === k)) problems.push(`${k}: output for an unknown task`);
    }
  } finally {
    tf.dispose(result);
  }
  return problems;
}

// A fixed random projection of every output, so no gradient cancels by symmetry (Σ of logits
// over classes has zero gradient through a softmax-like gate on constant shifts, for example).
function probe(y: tf.Tensor, seed: number): tf.Scalar {
  const rng = createRng(seed);
  const r = Float32Array.from({ length: y.size }, () => rng.normal());
  return tf.sum(tf.mul(y, tf.tensor(r, y.shape)));
}

function taskProbe(
  model: MtlModel,
  inputs: ModelInputs,
  opts: ForwardOptions,
  tasks: readonly TaskId[],
): tf.Scalar {
  const t = model.trunk(inputs, opts);
  const h = model.heads(t.features, inputs, opts);
  const terms = tasks.map((id, i) => probe(h.outputs[id] as tf.Tensor, 17 + i));
  return tf.addN(terms);
}

function gradNorms(grads: tf.NamedTensorMap, names: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of names) {
    const g = grads[n];
    if (g === undefined) {
      out.set(n, 0);
      continue;
    }
    const m = tf.tidy(() => tf.max(tf.abs(g)));
    out.set(n, m.dataSync()[0] as number);
    m.dispose();
  }
  return out;
}

/**
 * Names of trainable variables whose gradient of a random projection of all outputs (plus the
 * auxiliary losses) is missing or identically zero on `inputs`.
 */
export function variablesWithoutGradient(
  model: MtlModel,
  inputs: ModelInputs,
  opts: ForwardOptions = evalOpts(true),
): string[] {
  const vars = allVariables(model);
  const { value, grads } = tf.variableGrads(() => {
    const t = model.trunk(inputs, opts);
    const h = model.heads(t.features, inputs, opts);
    const terms = model.tasks.map((task, i) => probe(h.outputs[task.id] as tf.Tensor, 17 + i));
    if (t.auxLoss !== undefined) terms.push(t.auxLoss);
    if (h.auxLoss !== undefined) terms.push(h.auxLoss);
    return tf.addN(terms);
  }, vars);
  try {
    const norms = gradNorms(
      grads,
      vars.map((v) => v.name),
    );
    return [...norms].filter(([, n]) => !(n > 0)).map(([name]) => name);
  } finally {
    value.dispose();
    tf.dispose(grads);
  }
}

/**
 * Grouping violations: for each task k, every variable of another task's group that receives a
 * nonzero gradient from task k's output alone. Empty when `perTask` is honest.
 */
export function groupingViolations(
  model: MtlModel,
  inputs: ModelInputs,
  opts: ForwardOptions = evalOpts(),
): string[] {
  const problems: string[] = [];
  const vars = allVariables(model);
  for (const task of model.tasks) {
    const { value, grads } = tf.variableGrads(
      () => taskProbe(model, inputs, opts, [task.id]),
      vars,
    );
    try {
      for (const other of model.tasks) {
        if (other.id === task.id) continue;
        const names = (model.perTask[other.id] ?? []).map((v) => v.name);
        for (const [name, n] of gradNorms(grads, names)) {
          if (n > 0) problems.push(`${task.id}'s output reaches ${other.id}'s variable ${name}`);
        }
      }
    } finally {
      value.dispose();
      tf.dispose(grads);
    }
  }
  return problems;
}

/** Findings of {@link checkTrunkHeadsSplit}. */
export interface SplitReport {
  /** Shared variables that `heads` reads directly (must be empty). */
  readonly headsReadShared: readonly string[];
  /**
   * Max over tasks and shared variables of `‖g_direct − g_chain‖∞ / (‖g_direct‖∞ + 1e-12)`,
   * where `g_chain` back-propagates `∂probe_k/∂features` through the trunk.
   */
  readonly maxRelError: number;
}

/**
 * Checks the trunk/heads split that the `features` Jacobian mode relies on: heads computed on
 * detached copies of the features must not reach any shared variable, and for every task the
 * chain rule through the features must equal the direct gradient on the shared variables.
 */
export function checkTrunkHeadsSplit(
  model: MtlModel,
  inputs: ModelInputs,
  opts: ForwardOptions = evalOpts(),
): SplitReport {
  const shared = model.shared;
  const sharedNames = new Set(shared.map((v) => v.name));
  const headsReadShared = new Set<string>();
  let maxRelError = 0;
  const features = tf.tidy(() => model.trunk(inputs, opts).features.map((f) => f.clone()));
  try {
    const all = allVariables(model);
    for (const task of model.tasks) {
      // Heads alone, on detached features: which variables does it touch?
      const headOnly = tf.variableGrads(() => {
        const h = model.heads(features, inputs, opts);
        return probe(h.outputs[task.id] as tf.Tensor, 17);
      }, all);
      for (const name of Object.keys(headOnly.grads)) {
        if (sharedNames.has(name)) headsReadShared.add(name);
      }
      headOnly.value.dispose();
      tf.dispose(headOnly.grads);
      if (shared.length === 0) continue;

      // Feature cotangents, then one VJP through the trunk. A task need not read every feature
      // (PLE's per-task inputs, cross-stitch columns): its cotangent there is zero, which
      // tf.grads refuses, so the features are wrapped in temporary variables.
      const dFeatures = featureCotangents(model, features, inputs, opts, task.id);
      const chain = tf.variableGrads(() => {
        const t = model.trunk(inputs, opts);
        const terms = t.features.map((f, i) => tf.sum(tf.mul(f, dFeatures[i] as tf.Tensor)));
        return tf.addN(terms) as tf.Scalar;
      }, [...shared]);
      const direct = tf.variableGrads(() => {
        const t = model.trunk(inputs, opts);
        const h = model.heads(t.features, inputs, opts);
        return probe(h.outputs[task.id] as tf.Tensor, 17);
      }, [...shared]);
      for (const v of shared) {
        const a = direct.grads[v.name];
        const b = chain.grads[v.name];
        const err = tf.tidy(() => {
          const za = a ?? tf.zerosLike(v);
          const zb = b ?? tf.zerosLike(v);
          const diff = tf.max(tf.abs(tf.sub(za, zb)));
          return tf.div(diff, tf.add(tf.max(tf.abs(za)), 1e-12));
        });
        maxRelError = Math.max(maxRelError, err.dataSync()[0] as number);
        err.dispose();
      }
      tf.dispose([dFeatures, chain.value, direct.value]);
      tf.dispose(chain.grads);
      tf.dispose(direct.grads);
    }
  } finally {
    tf.dispose(features);
  }
  return { headsReadShared: [...headsReadShared], maxRelError };
}

/**
 * `∂probe_k/∂features` for task `taskId`, with zeros for features the task does not read.
 * Returned tensors are owned by the caller.
 */
export function featureCotangents(
  model: MtlModel,
  features: readonly tf.Tensor[],
  inputs: ModelInputs,
  opts: ForwardOptions,
  taskId: TaskId,
): tf.Tensor[] {
  const wrapped = features.map((f) => tf.variable(f, true));
  try {
    const { value, grads } = tf.variableGrads(() => {
      const h = model.heads(wrapped, inputs, opts);
      return probe(h.outputs[taskId] as tf.Tensor, 17);
    }, wrapped);
    value.dispose();
    return wrapped.map((w) => grads[w.name] ?? tf.zerosLike(w));
  } finally {
    for (const w of wrapped) w.dispose();
  }
}

/**
 * Simple per-task losses for checks and smoke training (the engine has its own, richer ones):
 * binary → sigmoid logloss, multiclass → softmax cross-entropy, regression → MSE.
 */
export function localTaskLoss(task: TaskSpec, output: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    switch (task.kind) {
      case 'binary':
        return tf.losses.sigmoidCrossEntropy(target, output) as tf.Scalar;
      case 'multiclass':
        return tf.losses.softmaxCrossEntropy(
          tf.oneHot(tf.cast(target, 'int32') as tf.Tensor1D, task.numClasses as number),
          output,
        ) as tf.Scalar;
      case 'regression':
        return tf.mean(tf.square(tf.sub(output, target)));
    }
  });
}

function taskLosses(model: MtlModel, batch: Batch, opts: ForwardOptions): tf.Scalar[] {
  const t = model.trunk(batch.inputs, opts);
  const h = model.heads(t.features, batch.inputs, opts);
  return model.tasks.map((task) =>
    localTaskLoss(task, h.outputs[task.id] as tf.Tensor, batch.targets[task.id] as tf.Tensor),
  );
}

/** Per-task losses (host) in evaluation mode. */
export function evaluateLosses(model: MtlModel, batch: Batch): Record<TaskId, number> {
  const values = tf.tidy(() => tf.stack(taskLosses(model, batch, evalOpts())));
  const data = values.dataSync();
  values.dispose();
  return Object.fromEntries(model.tasks.map((t, i) => [t.id, data[i] as number]));
}

/** Result of {@link trainBriefly}. */
export interface BriefTrainingReport {
  readonly before: Record<TaskId, number>;
  readonly after: Record<TaskId, number>;
}

/**
 * A minimal training loop (Adam on Σ_k L_k + auxiliary losses, all variables, full batch) for
 * smoke tests: returns the per-task losses before and after `steps` updates.
 */
export function trainBriefly(
  model: MtlModel,
  batch: Batch,
  {
    steps = 30,
    learningRate = 0.01,
    seed = 0,
  }: { steps?: number; learningRate?: number; seed?: number } = {},
): BriefTrainingReport {
  const before = evaluateLosses(model, batch);
  const optimizer = tf.train.adam(learningRate);
  const vars = allVariables(model);
  const rng = createRng(seed);
  try {
    for (let step = 0; step < steps; step++) {
      const opts: ForwardOptions = { training: true, rng, step };
      const cost = optimizer.minimize(
        () => {
          const t = model.trunk(batch.inputs, opts);
          const h = model.heads(t.features, batch.inputs, opts);
          const terms: tf.Scalar[] = model.tasks.map((task) =>
            localTaskLoss(
              task,
              h.outputs[task.id] as tf.Tensor,
              batch.targets[task.id] as tf.Tensor,
            ),
          );
          if (t.auxLoss !== undefined) terms.push(t.auxLoss);
          if (h.auxLoss !== undefined) terms.push(h.auxLoss);
          return tf.addN(terms) as tf.Scalar;
        },
        false,
        vars,
      );
      cost?.dispose();
    }
  } finally {
    optimizer.dispose();
  }
  return { before, after: evaluateLosses(model, batch) };
}

/**
 * A seeded batch for `spec` and `tasks` whose targets are learnable functions of the inputs:
 * each task scores a row with its own random linear map of the numeric columns, a random value
 * per category, and the mean of a random image quadrant; binary tasks threshold the score at its
 * median, multiclass tasks bucket it by quantiles, regression tasks use it directly.
 */
export function syntheticBatch(
  spec: InputSpec,
  tasks: readonly TaskSpec[],
  n: number,
  seed: number,
): Batch {
  const rng: Rng = createRng(seed);
  const numeric = Float32Array.from({ length: n * spec.numeric }, () => rng.normal());
  const cats = spec.categorical;
  const categorical = Int32Array.from({ length: n * cats.length }, (_, i) =>
    rng.int((cats[i % cats.length] as { vocabSize: number }).vocabSize),
  );
  const img = spec.image;
  const pixels = img === undefined ? 0 : img.height * img.width * img.channels;
  const image = Float32Array.from({ length: n * pixels }, () => rng.uniform());
  const targets: Record<TaskId, tf.Tensor1D> = {};
  for (const task of tasks) {
    const a = Array.from({ length: spec.numeric }, () => rng.normal());
    const b = cats.map((c) => Array.from({ length: c.vocabSize }, () => rng.normal()));
    const quadrant = rng.int(4);
    const score = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = 0; j < spec.numeric; j++)
        s += (a[j] as number) * (numeric[r * spec.numeric + j] as number);
      cats.forEach((_, j) => {
        s += (b[j] as number[])[categorical[r * cats.length + j] as number] as number;
      });
      if (img !== undefined) {
        let sum = 0;
        let count = 0;
        const h0 = quadrant < 2 ? 0 : Math.floor(img.height / 2);
        const w0 = quadrant % 2 === 0 ? 0 : Math.floor(img.width / 2);
        for (let y = h0; y < h0 + Math.ceil(img.height / 2) && y < img.height; y++)
          for (let x = w0; x < w0 + Math.ceil(img.width / 2) && x < img.width; x++)
            for (let c = 0; c < img.channels; c++) {
              sum += image[r * pixels + (y * img.width + x) * img.channels + c] as number;
              count++;
            }
        s += 8 * (sum / count - 0.5);
      }
      score[r] = s;
    }
    const sorted = [...score].sort((p, q) => p - q);
    const quantile = (q: number): number => sorted[Math.min(n - 1, Math.floor(q * n))] as number;
    if (task.kind === 'regression') targets[task.id] = tf.tensor1d(Float32Array.from(score));
    else if (task.kind === 'binary') {
      const m = quantile(0.5);
      targets[task.id] = tf.tensor1d(Float32Array.from(score, (s) => (s > m ? 1 : 0)));
    } else {
      const c = task.numClasses as number;
      const cuts = Array.from({ length: c - 1 }, (_, i) => quantile((i + 1) / c));
      targets[task.id] = tf.tensor1d(
        Int32Array.from(score, (s) => cuts.filter((cut) => s > cut).length),
        'int32',
      );
    }
  }
  const inputs: ModelInputs = {
    ...(spec.numeric > 0 ? { numeric: tf.tensor2d(numeric, [n, spec.numeric]) } : {}),
    ...(cats.length > 0
      ? { categorical: tf.tensor2d(categorical, [n, cats.length], 'int32') }
      : {}),
    ...(img !== undefined
      ? { image: tf.tensor4d(image, [n, img.height, img.width, img.channels]) }
      : {}),
  };
  return { inputs, targets, size: n };
}

/** Disposes every tensor of a batch made by {@link syntheticBatch}. */
export function disposeSyntheticBatch(batch: Batch): void {
  tf.dispose([
    ...Object.values(batch.inputs as Record<string, tf.Tensor>),
    ...Object.values(batch.targets),
    ...Object.values(batch.masks ?? {}),
    ...(batch.rowWeights !== undefined ? [batch.rowWeights] : []),
  ]);
}
