/**
 * Gumbel-Matrix routing: learned parameter allocation between tasks (seed method 3,
 * ALGORITHMS.md §3).
 *
 * Evidence: [CODE]. Ported from the authors' official code (google-research/google-research,
 * `learning_parameter_allocation/`: `pathnet/pathnet_lib.py` for the router, components and
 * combiner, `utils.py` for the auxiliary losses, `omniglot/omniglot_train.py` for the
 * hyper-parameters).
 *
 * Structure: encoder → L routed layers of C components each (independent dense blocks with the
 * same shapes) → one head per task. Per routed layer, allocation logits `[K, C, 2]` (router
 * variables, the model's `extra` group); p_tc = softmax(logits[t][c])[0] = P(task t uses
 * component c), initialised to `probsInit`.
 *
 * Forward for task t, layer ℓ (training): two Gumbel samples G = −log(−log(U + 1e-20) + 1e-20)
 * per (t, c) from the forward's seeded rng; y_soft = softmax((logits[t][c] + G)/τ); the hard
 * sample z_tc = 1 iff (logits + G)[0] ≥ (logits + G)[1] (a tie gives 1, as the official code);
 * straight-through: the forward value is z, the gradient is that of y_soft[0]. Inference: no
 * noise, z_tc = 1 iff p_tc ≥ 0.5. Aggregation: the mean of the selected components,
 * out_t = Σ_c z_tc/max(Σ_c z_tc, 1)·component_c(h_t) (zeros when none is selected).
 * Temperature τ(s) = max(τ_min, τ_0/√(s + 1)) with s the optimiser step.
 *
 * Auxiliary losses (training only, summed over tasks; active when their coefficient is > 0):
 * budget λ_b·max(0, Σ_ℓ Σ_c p_tc/N − b); connection λ_c·Σ p_tc; disconnect λ_d·Σ_ℓ Π_c(1 − p_tc);
 * entropy λ_e·(s/S)^α·Σ H(Bernoulli(p_tc)); L2 `l2`·Σ ½‖W‖² over every kernel and embedding table
 * (not biases, not router logits).
 *
 * Deviation (documented): the official schedule trains one task per batch, alternating tasks
 * (s counts task batches); the library's training step sees every task on each batch, so all K
 * routed paths are computed in one forward and s counts joint steps (S = `totalSteps`).
 *
 * Parameter groups: encoder and components shared; router logits `extra` (each row only receives
 * its task's gradient); heads per task. Trunk features: one `[B, H]` representation per task (task
 * order). Cost: layer 1's components run once on the batch, later layers on the K task inputs
 * stacked (K·B rows); all components run in training (dense cost).
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import type { ArchitectureBuilder, ForwardOptions, ModelInputs } from '../core/model.js';
import type { OptionsSchema } from '../core/options.js';
import type { Rng } from '../core/rng.js';
import type { RegistryEntry } from '../registry/types.js';
import { componentLayer, mixComponents, type ComponentLayer } from './components.js';
import { createInputEncoder } from './encoder.js';
import { createHead } from './heads.js';
import { checkSizes, dense } from './layers.js';
import { architectureEntry, defineArchitecture, intOption } from './model.js';
import type { NonlinearOps } from './ops.js';
import { taskGroup, valuesInit } from './params.js';

/** Options of {@link gumbelMatrix} (plus the common and encoder options). */
export interface GumbelMatrixOptions {
  /** Width of each routed layer (one entry per layer). Default `[32, 32]`. */
  readonly layers?: readonly number[];
  /** Components C per routed layer. Default 4. */
  readonly components?: number;
  /** Initial P(task uses component): a number, or K·L·C values (task, layer, component). Default 0.97 (Omniglot). */
  readonly probsInit?: number | readonly number[];
  readonly tau0?: number;
  readonly tauMin?: number;
  readonly budgetWeight?: number;
  readonly budget?: number;
  readonly connectionWeight?: number;
  readonly disconnectWeight?: number;
  readonly entropyWeight?: number;
  readonly entropyPower?: number;
  readonly totalSteps?: number;
  readonly l2?: number;
  readonly [common: string]: unknown;
}

/** Option schema of `gumbel-matrix` (without the common options). */
export const GUMBEL_MATRIX_SCHEMA: OptionsSchema = {
  layers: {
    type: 'number[]',
    default: [32, 32],
    description: 'width of each routed layer (one entry per layer)',
  },
  components: { type: 'integer', min: 1, default: 4, description: 'components C per routed layer' },
  probsInit: {
    type: 'number|number[]',
    default: 0.97,
    description:
      'initial P(task uses component): one number (default 0.97 = the Omniglot setting, start almost fully shared; the official class default is 0.5) or K·L·C values (task, layer, component)',
  },
  tau0: {
    type: 'number',
    min: 0,
    exclusiveMin: true,
    default: 50,
    description: 'initial temperature τ₀',
  },
  tauMin: {
    type: 'number',
    min: 0,
    exclusiveMin: true,
    default: 0.5,
    description: 'minimum temperature',
  },
  budgetWeight: { type: 'number', min: 0, default: 0, description: 'λ_b of the budget penalty' },
  budget: {
    type: 'number',
    min: 0,
    max: 1,
    default: 1,
    description: 'b: allowed share of active components per task',
  },
  connectionWeight: {
    type: 'number',
    min: 0,
    default: 0,
    description: 'λ_c of the connection penalty Σ p',
  },
  disconnectWeight: {
    type: 'number',
    min: 0,
    default: 0,
    description:
      'λ_d of the disconnect penalty Σ_ℓ Π_c (1 − p) (≈ 1 if tasks lose every component)',
  },
  entropyWeight: {
    type: 'number',
    min: 0,
    default: 0,
    description: 'λ_e of the allocation-entropy penalty',
  },
  entropyPower: {
    type: 'number',
    min: 0,
    default: 1,
    description: 'α of the (s/S)^α entropy schedule',
  },
  totalSteps: {
    type: 'integer',
    min: 1,
    description: 'S: training steps, for the entropy schedule (required when entropyWeight > 0)',
  },
  l2: {
    type: 'number',
    min: 0,
    default: 3e-4,
    description: 'L2 coefficient on every kernel and embedding table (not biases or router logits)',
  },
};

interface Parsed {
  readonly layers: readonly number[];
  readonly components: number;
  readonly probsInit: number | readonly number[];
  readonly tau0: number;
  readonly tauMin: number;
  readonly budgetWeight: number;
  readonly budget: number;
  readonly connectionWeight: number;
  readonly disconnectWeight: number;
  readonly entropyWeight: number;
  readonly entropyPower: number;
  readonly totalSteps: number | undefined;
  readonly l2: number;
}

const OWNER = 'gumbel-matrix';

function parse(o: Readonly<Record<string, unknown>>): Parsed {
  const layers = checkSizes(OWNER, 'layers', o['layers'], { allowEmpty: false });
  const probsInit = o['probsInit'] as number | readonly number[];
  const ps = typeof probsInit === 'number' ? [probsInit] : probsInit;
  if (ps.length === 0 || ps.some((p) => !(p > 0 && p < 1))) {
    throw new ConfigError(
      `${OWNER}: option \`probsInit\` must be probabilities strictly between 0 and 1 (a number or K·L·C values), got ${JSON.stringify(probsInit)}`,
    );
  }
  const entropyWeight = o['entropyWeight'] as number;
  const totalSteps = o['totalSteps'] as number | undefined;
  if (entropyWeight > 0 && totalSteps === undefined) {
    throw new ConfigError(
      `${OWNER}: option \`entropyWeight\` > 0 needs \`totalSteps\` (S of the (s/S)^α schedule); pass the number of training steps`,
    );
  }
  return {
    layers,
    components: intOption(OWNER, o, 'components', 1),
    probsInit,
    tau0: o['tau0'] as number,
    tauMin: o['tauMin'] as number,
    budgetWeight: o['budgetWeight'] as number,
    budget: o['budget'] as number,
    connectionWeight: o['connectionWeight'] as number,
    disconnectWeight: o['disconnectWeight'] as number,
    entropyWeight,
    entropyPower: o['entropyPower'] as number,
    totalSteps,
    l2: o['l2'] as number,
  };
}

/** τ(s) = max(τ_min, τ_0/√(s + 1)) (reaches 0.5 at s = 9,999 with the defaults). */
export function gumbelTemperature(step: number, tau0 = 50, tauMin = 0.5): number {
  return Math.max(tauMin, tau0 / Math.sqrt(step + 1));
}

/**
 * Forward value: the hard sample 1[margin ≥ 0]; gradient: that of the soft sample (straight-through
 * estimator; the margin gets none).
 */
const straightThrough = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const margin = args[1] as tf.Tensor;
  return {
    value: tf.cast(tf.greaterEqual(margin, 0), 'float32'),
    gradFunc: (dy: tf.Tensor) => [dy, tf.zerosLike(margin)],
  };
});

/**
 * Component selections z `[K, C]` of one routed layer. Training: Gumbel straight-through samples
 * at temperature τ; inference: z = 1[p ≥ 0.5]. `logits` is `[K, C, 2]`.
 */
export function sampleAllocation(
  logits: tf.Tensor,
  opts: Pick<ForwardOptions, 'training' | 'rng'>,
  tau: number,
  ops: NonlinearOps,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [k, c] = logits.shape as [number, number, number];
    const [l0, l1] = tf.unstack(logits, 2) as [tf.Tensor, tf.Tensor];
    const diff = tf.sub(l0, l1); // [K, C]; p = sigmoid(diff)
    if (!opts.training) return tf.cast(tf.greaterEqual(diff, 0), 'float32') as tf.Tensor2D;
    const noise = gumbelDifference(opts.rng, k * c);
    const margin = tf.add(diff, tf.tensor2d(noise, [k, c]));
    const soft = ops.sigmoid(tf.div(margin, tau)); // softmax((l + G)/τ)[0] for two classes
    return straightThrough(soft, margin) as tf.Tensor2D;
  });
}

/** G0 − G1 for `n` pairs of Gumbel samples G = −log(−log(U + 1e-20) + 1e-20), U ~ U(0, 1). */
function gumbelDifference(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  const g = (): number => -Math.log(-Math.log(rng.uniform() + 1e-20) + 1e-20);
  for (let i = 0; i < n; i++) {
    const g0 = g();
    out[i] = g0 - g();
  }
  return out;
}

/** Mean of the selected components: a = z/max(Σ_c z, 1) (zeros when nothing is selected). */
function meanWeights(z: tf.Tensor2D): tf.Tensor2D {
  return tf.div(z, tf.maximum(tf.sum(z, 1, true), 1));
}

interface RoutedLayer {
  readonly layer: ComponentLayer;
  readonly logits: tf.Variable;
}

function initialLogits(p: Parsed, k: number, layer: number): Float32Array {
  const c = p.components;
  const nLayers = p.layers.length;
  const probs = p.probsInit;
  if (typeof probs !== 'number' && probs.length !== k * nLayers * c) {
    throw new ConfigError(
      `${OWNER}: option \`probsInit\` has ${probs.length} values; pass one number or K·L·C = ${k}·${nLayers}·${c} = ${k * nLayers * c} (task, layer, component)`,
    );
  }
  const out = new Float32Array(k * c * 2);
  for (let t = 0; t < k; t++) {
    for (let j = 0; j < c; j++) {
      const q = typeof probs === 'number' ? probs : probs[(t * nLayers + layer) * c + j]!;
      out[(t * c + j) * 2] = Math.log(q);
      out[(t * c + j) * 2 + 1] = Math.log(1 - q);
    }
  }
  return out;
}

/** ½‖W‖² over the given variables (kernels and tables). */
function halfSquares(vars: readonly tf.Variable[]): tf.Scalar {
  return tf.mul(0.5, tf.addN(vars.map((v) => tf.sum(tf.square(v))))) as tf.Scalar;
}

const isWeight = (v: tf.Variable): boolean => !v.name.endsWith('/bias');

const define = defineArchitecture(OWNER, GUMBEL_MATRIX_SCHEMA, parse, (ctx, p) => {
  const { inputSpec, tasks, store, ops, common } = ctx;
  const k = tasks.length;
  const root = store.root;
  const encoder = createInputEncoder(root.child('encoder'), inputSpec, common.encoder, ops);
  const router = root.child('router', { kind: 'extra' });
  let inDim = encoder.outDim;
  const routed: RoutedLayer[] = p.layers.map((width, l) => {
    const layer = componentLayer(
      root.child(`layer${l}`),
      p.components,
      (s) => dense(s, inDim, width, ops, { activation: common.activation }),
      'component',
    );
    inDim = width;
    return {
      layer,
      logits: router.variable(
        `layer${l}`,
        [k, p.components, 2],
        valuesInit(initialLogits(p, k, l)),
      ),
    };
  });
  const heads = tasks.map((t) =>
    createHead(
      root.child('head').child(t.id, taskGroup(t.id)),
      t,
      inDim,
      common.towerHidden,
      ops,
      common.activation,
    ),
  );
  const sharedWeights = [...encoder.variables, ...routed.flatMap((r) => r.layer.variables)].filter(
    isWeight,
  );
  const headWeights = heads.map((h) => h.variables.filter(isWeight));
  const nTotal = p.layers.length * p.components;

  /** Per-layer probabilities p `[K, C]` = sigmoid(l0 − l1). */
  const probabilities = (r: RoutedLayer): tf.Tensor2D => {
    const [l0, l1] = tf.unstack(r.logits, 2) as [tf.Tensor, tf.Tensor];
    return ops.sigmoid(tf.sub(l0, l1)) as tf.Tensor2D;
  };

  const auxiliary = (step: number): tf.Scalar | undefined => {
    const terms: tf.Tensor[] = [];
    if (p.l2 > 0 && sharedWeights.length > 0) terms.push(tf.mul(p.l2, halfSquares(sharedWeights)));
    const probs = routed.map(probabilities);
    if (p.budgetWeight > 0) {
      const active = tf.div(tf.addN(probs.map((q) => tf.sum(q, 1))), nTotal); // [K]
      terms.push(tf.mul(p.budgetWeight, tf.sum(tf.relu(tf.sub(active, p.budget)))));
    }
    if (p.connectionWeight > 0) {
      terms.push(tf.mul(p.connectionWeight, tf.addN(probs.map((q) => tf.sum(q)))));
    }
    if (p.disconnectWeight > 0) {
      terms.push(
        tf.mul(p.disconnectWeight, tf.addN(probs.map((q) => tf.sum(tf.prod(tf.sub(1, q), 1))))),
      );
    }
    if (p.entropyWeight > 0) {
      const sched = Math.min(1, step / (p.totalSteps as number)) ** p.entropyPower;
      const entropy = tf.addN(
        routed.map((r) => {
          const [l0, l1] = tf.unstack(r.logits, 2) as [tf.Tensor, tf.Tensor];
          const d = tf.sub(l0, l1);
          // H = −p log p − (1 − p) log(1 − p) with log p = −softplus(−d), log(1 − p) = −softplus(d).
          const q = ops.sigmoid(d);
          return tf.sum(
            tf.add(tf.mul(q, ops.softplus(tf.neg(d))), tf.mul(tf.sub(1, q), ops.softplus(d))),
          );
        }),
      );
      terms.push(tf.mul(p.entropyWeight * sched, entropy));
    }
    return terms.length === 0 ? undefined : (tf.addN(terms) as tf.Scalar);
  };

  return {
    trunk(inputs: ModelInputs, opts: ForwardOptions) {
      const x = encoder.encode(inputs);
      const tau = gumbelTemperature(opts.step, p.tau0, p.tauMin);
      let hs: tf.Tensor[] | null = null;
      for (const r of routed) {
        const a = tf.unstack(meanWeights(sampleAllocation(r.logits, opts, tau, ops)));
        if (hs === null) {
          const out = r.layer.applyAll(x); // every task reads the encoded input: run once
          hs = a.map((at) => mixComponents(out, at));
        } else {
          const b = x.shape[0] as number;
          const out = r.layer.applyAll(tf.concat(hs, 0)); // [K·B, C, H]
          hs = a.map((at, t) => mixComponents(tf.slice(out, [t * b, 0, 0], [b, -1, -1]), at));
        }
      }
      const aux = opts.training ? auxiliary(opts.step) : undefined;
      return { features: hs as tf.Tensor[], ...(aux !== undefined ? { auxLoss: aux } : {}) };
    },
    heads(features: readonly tf.Tensor[], _inputs: ModelInputs, opts: ForwardOptions) {
      const outputs = Object.fromEntries(heads.map((h, t) => [h.task.id, h.apply(features[t]!)]));
      const ws = headWeights.flat();
      if (!opts.training || p.l2 === 0 || ws.length === 0) return { outputs };
      return { outputs, auxLoss: tf.mul(p.l2, halfSquares(ws)) as tf.Scalar };
    },
    diagnostics(_inputs: ModelInputs, opts: ForwardOptions) {
      return {
        probabilities: Object.fromEntries(routed.map((r, l) => [`layer${l}`, probabilities(r)])),
        allocation: Object.fromEntries(
          routed.map((r, l) => [
            `layer${l}`,
            sampleAllocation(r.logits, { training: false, rng: opts.rng }, 1, ops),
          ]),
        ),
        temperature: tf.scalar(gumbelTemperature(opts.step, p.tau0, p.tauMin)),
      };
    },
  };
});

/**
 * Gumbel-Matrix architecture builder (learned parameter allocation). **Ported from the authors'
 * official code (google-research/google-research: learning_parameter_allocation); see
 * docs/architectures/gumbel-matrix.md.**
 *
 * Diagnostics: `probabilities[layerℓ]` and the greedy `allocation[layerℓ]` (K×C, task order),
 * `temperature`. Train the router logits (`model.extra`) with their own optimiser
 * (`extraOptimizer`, Adam lr 2e-3 in the official code).
 * @example
 * const model = gumbelMatrix({ layers: [32, 32], components: 4 }).build(spec, tasks, createRng(0));
 */
export function gumbelMatrix(options: GumbelMatrixOptions = {}): ArchitectureBuilder {
  return define(options);
}

/**
 * K×K counts of shared components: S[i][j] = Σ_ℓ Σ_c z_ic·z_jc over the given allocation
 * matrices (each K×C, e.g. `diagnostics().allocation`); the diagonal is each task's total.
 */
export function sharedComponents(
  allocations: readonly (readonly (readonly number[])[])[],
): number[][] {
  const k = allocations[0]?.length ?? 0;
  const s = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const a of allocations) {
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) a[i]!.forEach((z, c) => (s[i]![j]! += z * a[j]![c]!));
  }
  return s;
}

/** Registry entry of `gumbel-matrix`. */
export const gumbelMatrixEntry: RegistryEntry<ArchitectureBuilder> = architectureEntry(
  {
    id: 'gumbel-matrix',
    displayName: 'Gumbel-Matrix routing',
    summary:
      'Learns which components of each routed layer every task uses (binary allocations by Gumbel-Softmax with straight-through sampling).',
    reference:
      'Ported from the authors\' official code (google-research/google-research: learning_parameter_allocation). Maziarz, Kokiopoulou, Gesmundo, Sbaiz, Bartok & Berent, "Flexible Multi-task Networks by Learning Parameter Allocation" (earlier "Gumbel-Matrix Routing for Flexible Multi-task Learning"), arXiv 1910.04915; docs/architectures/gumbel-matrix.md.',
    evidence: 'code',
    cost: {
      backward: 'K (params mode) or 1 trunk + K heads (features mode)',
      notes: 'all components run in training; routed layers after the first run on K·B rows',
    },
  },
  GUMBEL_MATRIX_SCHEMA,
  define,
);
