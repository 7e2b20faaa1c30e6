/**
 * AdaTask: task-wise adaptive learning rates on the shared parameters (seed method 4,
 * ALGORITHMS.md §4).
 *
 * Evidence: the Adam variant is ported from the authors' official code (EnnengYang/AdaTask,
 * `adatask.py`, class `Adam_with_AdaTask`) [CODE]. The RMSProp and AdaGrad variants, and the rAU
 * normalisation of the dominance metric, are reconstructed from the paper's abstract (the official
 * code covers Adam only) [RECON].
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type {
  GradientTransformation,
  JacobianSpec,
  ParamTree,
  StepContext,
  TaskJacobian,
  TaskOptimizer,
  TaskOptimizerResult,
} from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import {
  auInit,
  auUpdate,
  dominanceScalars,
  dominanceSummary,
  type AuState,
} from '../metrics/dominance-au.js';
import { adagrad, type AdagradOptions } from './adagrad.js';
import { adam, type AdamOptions } from './adam.js';
import { rmsprop, type RmspropOptions } from './rmsprop.js';

/** The adaptive optimiser whose accumulators AdaTask separates by task. */
export type AdataskBase = 'adam' | 'rmsprop' | 'adagrad';

/** Options of {@link adatask}. Base-optimiser options default to that optimiser's defaults. */
export interface AdataskOptions {
  /** Default `'adam'` (the official variant); `'rmsprop'` and `'adagrad'` are reconstructions. */
  readonly base?: AdataskBase;
  readonly learningRate?: number;
  /** Adam only. */
  readonly beta1?: number;
  /** Adam only. */
  readonly beta2?: number;
  readonly epsilon?: number;
  /** RMSProp only: decay ρ of the mean square. */
  readonly decay?: number;
  /** RMSProp only. */
  readonly momentum?: number;
  /** RMSProp only. */
  readonly centered?: boolean;
  /** AdaGrad only. */
  readonly initialAccumulatorValue?: number;
  /**
   * Divide the summed shared step by K (default false = official behaviour: the shared step is a
   * sum of K unit-scale steps, up to K× that of the base optimiser on Σ_k L_k).
   */
  readonly normalizeByK?: boolean;
  /** Track the AU/rAU dominance metric of the shared parameters (default true). */
  readonly trackDominance?: boolean;
  /** Report the rAU summary every this many steps (default 10; one read-back each time). */
  readonly dominanceEvery?: number;
  /** AU decay β (default 0.999). */
  readonly auBeta?: number;
}

/** State of {@link adatask}: one base-optimiser state per task, and the AU accumulators. */
export interface AdataskState {
  readonly count: number;
  /** Base-optimiser state of task k over the shared parameters. */
  readonly tasks: readonly unknown[];
  readonly dominance: AuState | null;
}

const BASE_KEYS: Readonly<Record<AdataskBase, readonly string[]>> = {
  adam: ['learningRate', 'beta1', 'beta2', 'epsilon'],
  rmsprop: ['learningRate', 'decay', 'momentum', 'epsilon', 'centered'],
  adagrad: ['learningRate', 'initialAccumulatorValue', 'epsilon'],
};

/** Option schema of AdaTask (base options are validated again by the base factory). */
export const adataskSchema: OptionsSchema = {
  base: {
    type: 'enum',
    values: ['adam', 'rmsprop', 'adagrad'],
    default: 'adam',
    description:
      "adaptive optimiser whose accumulators are separated per task: 'adam' (official), 'rmsprop' or 'adagrad' (reconstructions)",
  },
  learningRate: {
    type: 'number',
    min: 0,
    exclusiveMin: true,
    description: "step size η (default: the base optimiser's)",
  },
  beta1: { type: 'number', min: 0, max: 0.999999, description: 'Adam first-moment decay β1' },
  beta2: { type: 'number', min: 0, max: 0.999999, description: 'Adam second-moment decay β2' },
  epsilon: {
    type: 'number',
    min: 0,
    exclusiveMin: true,
    description: "ε of the base optimiser (default: the base optimiser's)",
  },
  decay: { type: 'number', min: 0, max: 0.999999, description: 'RMSProp decay ρ' },
  momentum: { type: 'number', min: 0, max: 1, description: 'RMSProp momentum' },
  centered: { type: 'boolean', description: 'RMSProp centered variant' },
  initialAccumulatorValue: {
    type: 'number',
    min: 0,
    description: 'AdaGrad initial accumulator value',
  },
  normalizeByK: {
    type: 'boolean',
    default: false,
    description: 'divide the summed shared step by K (official code: false)',
  },
  trackDominance: {
    type: 'boolean',
    default: true,
    description: 'track the AU/rAU task-dominance metric of the shared parameters',
  },
  dominanceEvery: {
    type: 'integer',
    default: 10,
    min: 1,
    description: 'report the rAU summary every this many steps',
  },
  auBeta: {
    type: 'number',
    default: 0.999,
    min: 0,
    max: 0.999999,
    description: 'AU decay β',
  },
};

function baseTransform(
  base: AdataskBase,
  config: Readonly<Record<string, unknown>>,
): GradientTransformation {
  const allBaseKeys = new Set(Object.values(BASE_KEYS).flat());
  for (const key of Object.keys(config)) {
    if (allBaseKeys.has(key) && !BASE_KEYS[base].includes(key)) {
      throw new ConfigError(
        `adatask: option \`${key}\` does not apply to base '${base}'; its options are ${BASE_KEYS[base].map((k) => `\`${k}\``).join(', ')}`,
      );
    }
  }
  const own = Object.fromEntries(
    BASE_KEYS[base].filter((k) => config[k] !== undefined).map((k) => [k, config[k]]),
  );
  switch (base) {
    case 'adam':
      return adam(own as AdamOptions) as GradientTransformation;
    case 'rmsprop':
      return rmsprop(own as RmspropOptions) as GradientTransformation;
    case 'adagrad':
      return adagrad(own as AdagradOptions) as GradientTransformation;
  }
}

/**
 * AdaTask (Yang, Pan, Wang, Yu, Shen, Chen, Xiao, Jiang & Guo, "AdaTask: A Task-Aware Adaptive
 * Learning Rate Approach to Multi-Task Learning", AAAI 2023). **Adam variant ported from the
 * authors' official code (EnnengYang/AdaTask); the AdaGrad and RMSProp variants are reconstructed
 * from the paper's abstract (the official code covers Adam only); see docs/methods/adatask.md.**
 *
 * A {@link TaskOptimizer} for the shared parameters: each task k keeps its own accumulators of the
 * base optimiser over the shared parameters and takes its own step on its gradient g_k (row k of
 * the Jacobian); the shared update is the sum of the K steps. With `base: 'adam'` (official):
 *
 *     m_k ← β1 m_k + (1−β1) g_k,   v_k ← β2 v_k + (1−β2) g_k⊙g_k
 *     θ_s ← θ_s − Σ_k lr·m̂_k/(√v̂_k + ε)
 *
 * `'rmsprop'` / `'adagrad'` separate the base optimiser's accumulator the same way (they inherit
 * the base's conventions, i.e. tf.train's ε inside the square root and AdaGrad's initial
 * accumulator 0.1, so that K = 1 is exactly the base optimiser). Task-specific and extra
 * parameters keep the step's ordinary optimiser (plain Adam in the official code).
 *
 * Properties: K = 1 equals the base optimiser exactly; identical task gradients give K× the base
 * step (`normalizeByK` divides by K); each task's step is scale-invariant, so a task with small
 * gradients moves the shared parameters as much as one with large gradients (AdaTask balances
 * magnitudes, it does not deconflict directions). Preset task weights would change nothing but the
 * role of ε, so there is no `taskWeights` option.
 *
 * Cost: K backward passes (the Jacobian; heads reuse them); K element-wise base steps; optimiser
 * memory 2K tensors per shared parameter for Adam (vs 2), plus K for the AU metric. Diagnostics
 * every `dominanceEvery` steps: `rAU/<layer>/<task>`, `rAUmax/<layer>`, `rAUmax`.
 * @example
 * const opt = adatask({ base: 'adam', learningRate: 1e-3 });
 * // createStepSetup({ model, method: { kind: 'task-optimizer', optimizer: opt }, optimizer: adam() })
 */
export function adatask(options: AdataskOptions = {}): TaskOptimizer<AdataskState> {
  const config = validateOptions('adatask', adataskSchema, { ...options });
  const base = config['base'] as AdataskBase;
  const transform = baseTransform(base, config);
  const normalize = config['normalizeByK'] as boolean;
  const track = config['trackDominance'] as boolean;
  const every = config['dominanceEvery'] as number;
  const auBeta = config['auBeta'] as number;
  return {
    kind: 'task-optimizer',
    id: 'adatask',
    config,
    init(spec: JacobianSpec): AdataskState {
      const shapes = tf.tidy(() =>
        Object.fromEntries(Object.entries(spec.blocks).map(([n, s]) => [n, tf.zeros([...s])])),
      );
      try {
        return {
          count: 0,
          tasks: spec.tasks.map(() => transform.init(shapes)),
          dominance: track ? auInit(spec) : null,
        };
      } finally {
        tf.dispose(Object.values(shapes));
      }
    },
    update(
      jacobian: TaskJacobian,
      state: AdataskState,
      ctx: StepContext,
    ): TaskOptimizerResult<AdataskState> {
      const k = jacobian.tasks.length;
      if (state.tasks.length !== k) {
        throw new ConfigError(
          `adatask: the state holds ${state.tasks.length} tasks but the Jacobian has ${k}; call init() with this Jacobian's spec`,
        );
      }
      const names = Object.keys(jacobian.blocks);
      const rows = tf.tidy(() => {
        const perBlock = names.map((n) => tf.unstack(jacobian.blocks[n]!));
        return Array.from({ length: k }, (_, t) =>
          Object.fromEntries(names.map((n, b) => [n, perBlock[b]![t]!])),
        );
      });
      const steps: ParamTree[] = [];
      const tasks: unknown[] = [];
      try {
        rows.forEach((g, t) => {
          const r = transform.update(g, state.tasks[t]);
          steps.push(r.updates);
          tasks.push(r.state);
        });
      } finally {
        for (const r of rows) tf.dispose(Object.values(r));
      }
      const scale = normalize ? 1 / k : 1;
      const { updates, deltas } = tf.tidy(() => {
        const u: Record<string, tf.Tensor> = {};
        const d: Record<string, tf.Tensor> = {};
        for (const n of names) {
          const perTask = steps.map((s) => s[n]!);
          u[n] = tf.mul(tf.addN(perTask), scale);
          if (track) d[n] = tf.mul(tf.stack(perTask), scale);
        }
        return { updates: u, deltas: d };
      });
      for (const s of steps) tf.dispose(Object.values(s));
      let dominance = state.dominance;
      let diagnostics: Record<string, number> | undefined;
      if (dominance !== null) {
        dominance = auUpdate(dominance, deltas, auBeta);
        if (ctx.step % every === 0) {
          diagnostics = dominanceScalars(dominanceSummary(dominance), jacobian.tasks);
        }
      }
      tf.dispose(Object.values(deltas));
      return {
        updates,
        state: { count: state.count + 1, tasks, dominance },
        ...(diagnostics !== undefined ? { diagnostics } : {}),
      };
    },
  };
}

export const adataskEntry: RegistryEntry<TaskOptimizer<AdataskState>> = {
  id: 'adatask',
  kind: 'optimizer',
  displayName: 'AdaTask',
  summary:
    'Separates the adaptive optimiser’s accumulators (and hence learning rates) of each task on every shared parameter; reports the AU/rAU task-dominance metric.',
  reference:
    'Adam variant ported from the authors\' official code (EnnengYang/AdaTask); the AdaGrad and RMSProp variants and the rAU normalisation are reconstructed from the paper\'s abstract (the official code covers Adam only); see docs. Yang, Pan, Wang, Yu, Shen, Chen, Xiao, Jiang & Guo, "AdaTask: A Task-Aware Adaptive Learning Rate Approach to Multi-Task Learning", AAAI 2023 (arXiv 2211.15055); docs/methods/adatask.md.',
  evidence: 'code',
  cost: {
    backward: 'K',
    notes:
      'task optimiser over the shared parameters: K element-wise base steps, 2K state tensors per shared parameter (Adam), plus K for the AU metric',
  },
  options: adataskSchema,
  create: (o) => adatask(o as AdataskOptions),
};
