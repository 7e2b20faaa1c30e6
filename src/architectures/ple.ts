/**
 * Progressive Layered Extraction (PLE), and its one-level case CGC (Customized Gate Control).
 *
 * Level ℓ = 1..L takes per-task inputs `h_k^{ℓ−1}` and a shared input `h_s^{ℓ−1}` (all equal to
 * the encoded input `x` at ℓ = 1). It has `taskExperts` experts `E_k^ℓ` per task and
 * `sharedExperts` experts `E_s^ℓ`:
 *
 * - task gate: `h_k^ℓ = softmax(W_k^ℓ h_k^{ℓ−1})ᵀ [E_k^ℓ(h_k^{ℓ−1}); E_s^ℓ(h_s^{ℓ−1})]`;
 * - shared gate (every level but the last): `h_s^ℓ = softmax(W_s^ℓ h_s^{ℓ−1})ᵀ [E_1^ℓ; …; E_K^ℓ; E_s^ℓ]`;
 * - towers read `h_k^L`: `ŷ_k = tower_k(h_k^L)`.
 *
 * Parameter groups (which variables can receive gradient from several tasks):
 * - levels ℓ < L: everything is shared. A task-k expert at a non-final level feeds the shared gate,
 *   so every task's loss reaches it. The task-k gate of level L−1 is only reached by task k, but it
 *   lives in the trunk; it is grouped as shared (allowed by the contract: "shared variables *may*
 *   receive gradient from several tasks"), which keeps the trunk/heads split a clean cut.
 * - level L: the shared experts are shared; task k's experts and gate are task k's, as is its tower.
 *
 * Trunk features: `[S^L, h_1^{L−1}, …, h_K^{L−1}]` with `S^L` the stacked last-level shared-expert
 * outputs (`[B, m_s, H]`); for CGC (L = 1) `[S^1, x]`.
 * Diagnostics: `levels[ℓ].gates[task]` (mean task-gate weights: own experts first, then shared),
 * `levels[ℓ].sharedGate` (ℓ < L), and `sharedShare[task]`: the weight task k's last gate puts on
 * the shared experts.
 *
 * Reference: Tang, Liu, Zhao, Gong, "Progressive Layered Extraction (PLE): A Novel Multi-Task
 * Learning (MTL) Model for Personalized Recommendations", RecSys 2020. Evidence: [STANDARD]
 * (ALGORITHMS.md §6.3).
 */
import * as tf from '@tensorflow/tfjs';
import type { ArchitectureBuilder, ModelInputs, TaskSpec } from '../core/model.js';
import type { OptionsSchema } from '../core/options.js';
import type { RegistryEntry } from '../registry/types.js';
import {
  mixComponents,
  mlpExperts,
  softmaxGate,
  type ComponentLayer,
  type SoftmaxGate,
} from './components.js';
import { createInputEncoder } from './encoder.js';
import { createHead, type Head } from './heads.js';
import { checkSizes } from './layers.js';
import {
  architectureEntry,
  defineArchitecture,
  intOption,
  type ArchitectureImpl,
  type BuildContext,
  type TensorTree,
} from './model.js';
import { taskGroup, type ParamScope } from './params.js';

/** Options of {@link ple} and `cgc` (plus the common and encoder options). */
export interface PleOptions {
  /** Extraction levels L (PLE only; CGC is L = 1). Default 2. */
  readonly levels?: number;
  /** Shared experts per level m_s. Default 2. */
  readonly sharedExperts?: number;
  /** Experts per task per level m_k. Default 1. */
  readonly taskExperts?: number;
  /** Hidden sizes of each expert MLP (last = expert width). Default `[32]`. */
  readonly expertHidden?: readonly number[];
  readonly [common: string]: unknown;
}

/** Option schema of `cgc` (without the common options). */
export const CGC_SCHEMA: OptionsSchema = {
  sharedExperts: { type: 'integer', min: 1, default: 2, description: 'shared experts m_s' },
  taskExperts: { type: 'integer', min: 1, default: 1, description: 'experts per task m_k' },
  expertHidden: {
    type: 'number[]',
    default: [32],
    description: 'hidden sizes of each expert MLP (last = expert output width)',
  },
};

/** Option schema of `ple` (without the common options). */
export const PLE_SCHEMA: OptionsSchema = {
  levels: { type: 'integer', min: 1, default: 2, description: 'extraction levels L' },
  ...CGC_SCHEMA,
};

/** Parsed PLE/CGC options. */
export interface PleConfig {
  readonly levels: number;
  readonly sharedExperts: number;
  readonly taskExperts: number;
  readonly expertHidden: readonly number[];
}

interface Level {
  readonly shared: ComponentLayer;
  readonly taskExperts: readonly ComponentLayer[];
  readonly taskGates: readonly SoftmaxGate[];
  readonly sharedGate: SoftmaxGate | undefined;
}

/** Reads the PLE/CGC options (validated already) into a {@link PleConfig}. */
export function parsePle(
  owner: string,
  o: Readonly<Record<string, unknown>>,
  levels: number,
): PleConfig {
  return {
    levels,
    sharedExperts: intOption(owner, o, 'sharedExperts', 1),
    taskExperts: intOption(owner, o, 'taskExperts', 1),
    expertHidden: checkSizes(owner, 'expertHidden', o['expertHidden'], { allowEmpty: false }),
  };
}

/** Builds PLE with `cfg.levels` levels (CGC when 1). */
export function buildPle(ctx: BuildContext, cfg: PleConfig): ArchitectureImpl {
  const { inputSpec, tasks, store, ops, common } = ctx;
  const root = store.root;
  const encoder = createInputEncoder(root.child('encoder'), inputSpec, common.encoder, ops);
  const width = cfg.expertHidden[cfg.expertHidden.length - 1] as number;
  const L = cfg.levels;
  const experts = (scope: ParamScope, count: number, inDim: number): ComponentLayer =>
    mlpExperts(scope, count, inDim, cfg.expertHidden, ops, common.activation);

  const levels: Level[] = [];
  for (let l = 0; l < L; l++) {
    const last = l === L - 1;
    const inDim = l === 0 ? encoder.outDim : width;
    const scope = root.child(`level${l}`);
    const taskScope = (t: TaskSpec): ParamScope =>
      scope.child('task').child(t.id, last ? taskGroup(t.id) : undefined);
    const gateSize = cfg.taskExperts + cfg.sharedExperts;
    levels.push({
      shared: experts(scope.child('shared'), cfg.sharedExperts, inDim),
      taskExperts: tasks.map((t) => experts(taskScope(t), cfg.taskExperts, inDim)),
      taskGates: tasks.map((t) => softmaxGate(taskScope(t).child('gate'), inDim, gateSize, ops)),
      sharedGate: last
        ? undefined
        : softmaxGate(
            scope.child('shared_gate'),
            inDim,
            tasks.length * cfg.taskExperts + cfg.sharedExperts,
            ops,
          ),
    });
  }
  const heads: Head[] = tasks.map((t) =>
    createHead(
      root.child('head').child(t.id, taskGroup(t.id)),
      t,
      width,
      common.towerHidden,
      ops,
      common.activation,
    ),
  );

  /** Runs levels 0..L−2 (and keeps the gate weights for diagnostics). */
  const lowerLevels = (x: tf.Tensor) => {
    let hs = x;
    let hk: tf.Tensor[] = tasks.map(() => x);
    const gates: { task: tf.Tensor[]; shared: tf.Tensor }[] = [];
    for (const lv of levels.slice(0, L - 1)) {
      const s = lv.shared.applyAll(hs);
      const t = lv.taskExperts.map((e, k) => e.applyAll(hk[k] as tf.Tensor));
      const gTask = lv.taskGates.map((g, k) => g.apply(hk[k] as tf.Tensor));
      const gShared = (lv.sharedGate as SoftmaxGate).apply(hs);
      hk = t.map((tk, k) => mixComponents(tf.concat([tk, s], 1), gTask[k] as tf.Tensor));
      hs = mixComponents(tf.concat([...t, s], 1), gShared);
      gates.push({ task: gTask, shared: gShared });
    }
    return { hs, hk, gates };
  };
  const top = levels[L - 1] as Level;
  const trunk = (inputs: ModelInputs): { features: tf.Tensor[] } => {
    const x = encoder.encode(inputs);
    const { hs, hk } = lowerLevels(x);
    const sTop = top.shared.applyAll(hs);
    return { features: L === 1 ? [sTop, x] : [sTop, ...hk] };
  };
  // Last level, task part: what the heads compute from the features.
  const topGates = (features: readonly tf.Tensor[]) => {
    const sTop = features[0] as tf.Tensor;
    const input = (k: number): tf.Tensor => features[L === 1 ? 1 : 1 + k] as tf.Tensor;
    return tasks.map((_, k) => {
      const own = (top.taskExperts[k] as ComponentLayer).applyAll(input(k));
      const g = (top.taskGates[k] as SoftmaxGate).apply(input(k));
      return { h: mixComponents(tf.concat([own, sTop], 1), g), g };
    });
  };
  return {
    trunk,
    heads(features) {
      const mixed = topGates(features);
      return {
        outputs: Object.fromEntries(
          heads.map((hd, k) => [hd.task.id, hd.apply((mixed[k] as { h: tf.Tensor }).h)]),
        ),
      };
    },
    diagnostics(inputs) {
      const x = encoder.encode(inputs);
      const low = lowerLevels(x);
      const features = trunk(inputs).features;
      const topG = topGates(features).map((m) => m.g);
      const mean = (w: tf.Tensor): tf.Tensor => tf.mean(w, 0);
      const byTask = (ws: readonly tf.Tensor[]): Record<string, TensorTree> =>
        Object.fromEntries(tasks.map((t, k) => [t.id, mean(ws[k] as tf.Tensor)]));
      return {
        levels: [
          ...low.gates.map((g) => ({ gates: byTask(g.task), sharedGate: mean(g.shared) })),
          { gates: byTask(topG) },
        ],
        sharedShare: Object.fromEntries(
          tasks.map((t, k) => [
            t.id,
            tf.sum(mean(topG[k] as tf.Tensor).slice([cfg.taskExperts], [cfg.sharedExperts])),
          ]),
        ),
      };
    },
  };
}

const definePle = defineArchitecture(
  'ple',
  PLE_SCHEMA,
  (o) => parsePle('ple', o, intOption('ple', o, 'levels', 1)),
  buildPle,
);

/**
 * PLE architecture builder (L extraction levels).
 *
 * @example
 * const model = ple({ levels: 2, sharedExperts: 2, taskExperts: 1 }).build(spec, tasks, createRng(0));
 */
export function ple(options: PleOptions = {}): ArchitectureBuilder {
  return definePle(options);
}

/** Reference string shared by `ple` and `cgc`. */
export const PLE_REFERENCE =
  'Tang, Liu, Zhao, Gong, "Progressive Layered Extraction (PLE): A Novel Multi-Task Learning (MTL) Model for Personalized Recommendations", RecSys 2020. Implemented by manytask from the standard formulas (ALGORITHMS.md §6.3).';

/** Registry entry of `ple`. */
export const pleEntry: RegistryEntry<ArchitectureBuilder> = architectureEntry(
  {
    id: 'ple',
    displayName: 'PLE',
    summary:
      'Progressive Layered Extraction: stacked CGC levels whose shared gates mix every expert.',
    reference: PLE_REFERENCE,
    evidence: 'standard',
    cost: {
      backward: 'K (params mode) or 1 trunk + K heads (features mode)',
      notes: 'L·(K·m_k + m_s) expert MLPs per forward',
    },
  },
  PLE_SCHEMA,
  definePle,
);
