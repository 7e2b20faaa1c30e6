/**
 * Multi-gate Mixture-of-Experts (MMoE).
 *
 * `x = encoder(inputs)`; E experts `f_e` (MLPs with `expertHidden` sizes); per task k a softmax
 * gate `g_k(x) = softmax(W_k x + b_k) ∈ Δ^E`; `h_k = Σ_e g_k(x)_e f_e(x)`; `ŷ_k = tower_k(h_k)`.
 *
 * Parameter groups: encoder and experts are shared; gate k and tower k are task k's.
 * Trunk features: `[x, F]` with `F = stack_e f_e(x)` (`[B, E, H]`): the gates read the encoded
 * input, and since the encoder is shared, `x` must be a feature for the `features` Jacobian mode.
 * Diagnostics: `gates[task]` = mean gate weight per expert over the batch; `utilisation` = mean
 * over tasks of those (sums to 1).
 *
 * Reference: Ma, Zhao, Yi, Chen, Hong, Chi, "Modeling Task Relationships in Multi-task Learning
 * with Multi-gate Mixture-of-Experts", KDD 2018. Evidence: [STANDARD] (ALGORITHMS.md §6.2).
 * Cost: E expert MLPs per forward; K gates; per-task Jacobians cost K trunk backward passes.
 */
import * as tf from '@tensorflow/tfjs';
import type { ArchitectureBuilder, ModelInputs } from '../core/model.js';
import type { OptionsSchema } from '../core/options.js';
import type { RegistryEntry } from '../registry/types.js';
import { mixComponents, mlpExperts, softmaxGate, utilisation } from './components.js';
import { createInputEncoder } from './encoder.js';
import { createHead } from './heads.js';
import { checkSizes } from './layers.js';
import { architectureEntry, defineArchitecture, intOption } from './model.js';
import { taskGroup } from './params.js';

/** Options of {@link mmoe} (plus the common and encoder options). */
export interface MmoeOptions {
  /** Number of experts E. Default 4. */
  readonly numExperts?: number;
  /** Hidden sizes of each expert MLP (the last is the expert output width). Default `[32]`. */
  readonly expertHidden?: readonly number[];
  readonly [common: string]: unknown;
}

/** Option schema of `mmoe` (without the common options). */
export const MMOE_SCHEMA: OptionsSchema = {
  numExperts: { type: 'integer', min: 1, default: 4, description: 'number of experts E' },
  expertHidden: {
    type: 'number[]',
    default: [32],
    description: 'hidden sizes of each expert MLP (last = expert output width)',
  },
};

const define = defineArchitecture(
  'mmoe',
  MMOE_SCHEMA,
  (o) => ({
    numExperts: intOption('mmoe', o, 'numExperts', 1),
    expertHidden: checkSizes('mmoe', 'expertHidden', o['expertHidden'], { allowEmpty: false }),
  }),
  ({ inputSpec, tasks, store, ops, common }, { numExperts, expertHidden }) => {
    const root = store.root;
    const encoder = createInputEncoder(root.child('encoder'), inputSpec, common.encoder, ops);
    const experts = mlpExperts(
      root,
      numExperts,
      encoder.outDim,
      expertHidden,
      ops,
      common.activation,
    );
    const hDim = experts.outShape[0] as number;
    const perTask = tasks.map((t) => {
      const scope = root.child('task').child(t.id, taskGroup(t.id));
      return {
        task: t,
        gate: softmaxGate(scope.child('gate'), encoder.outDim, numExperts, ops),
        head: createHead(scope, t, hDim, common.towerHidden, ops, common.activation),
      };
    });
    const trunk = (inputs: ModelInputs): { features: tf.Tensor[] } => {
      const x = encoder.encode(inputs);
      return { features: [x, experts.applyAll(x)] };
    };
    const gateWeights = (x: tf.Tensor): tf.Tensor[] => perTask.map((p) => p.gate.apply(x));
    return {
      trunk,
      heads(features) {
        const [x, stacked] = features as [tf.Tensor, tf.Tensor];
        const weights = gateWeights(x);
        return {
          outputs: Object.fromEntries(
            perTask.map((p, k) => [
              p.task.id,
              p.head.apply(mixComponents(stacked, weights[k] as tf.Tensor)),
            ]),
          ),
        };
      },
      diagnostics(inputs) {
        const weights = gateWeights(encoder.encode(inputs));
        return {
          gates: Object.fromEntries(
            perTask.map((p, k) => [p.task.id, tf.mean(weights[k] as tf.Tensor, 0)]),
          ),
          utilisation: utilisation(weights),
        };
      },
    };
  },
);

/**
 * MMoE architecture builder.
 *
 * @example
 * const model = mmoe({ numExperts: 4, expertHidden: [32] }).build(spec, tasks, createRng(0));
 */
export function mmoe(options: MmoeOptions = {}): ArchitectureBuilder {
  return define(options);
}

/** Registry entry of `mmoe`. */
export const mmoeEntry: RegistryEntry<ArchitectureBuilder> = architectureEntry(
  {
    id: 'mmoe',
    displayName: 'MMoE',
    summary: 'Shared experts mixed by one softmax gate per task (Multi-gate Mixture-of-Experts).',
    reference:
      'Ma, Zhao, Yi, Chen, Hong, Chi, "Modeling Task Relationships in Multi-task Learning with Multi-gate Mixture-of-Experts", KDD 2018. Implemented by manytask from the standard formula (ALGORITHMS.md §6.2).',
    evidence: 'standard',
    cost: {
      backward: 'K (params mode) or 1 trunk + K heads (features mode)',
      notes: 'E experts evaluated densely',
    },
  },
  MMOE_SCHEMA,
  define,
);
