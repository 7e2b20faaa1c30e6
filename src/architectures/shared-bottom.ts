/**
 * Shared-bottom (hard parameter sharing).
 *
 * `x = encoder(inputs)`, `h = f_shared(x)` (an MLP with `hidden` sizes), `ŷ_k = tower_k(h)`.
 *
 * Parameter groups: the encoder and the bottom MLP are shared; each tower is its task's.
 * Trunk features: `[h]`. Diagnostics: none (there is no routing to report).
 *
 * Reference: Caruana, "Multitask Learning", Machine Learning 28, 1997 (hard parameter sharing);
 * the "Shared-Bottom" baseline of Ma et al., KDD 2018. Evidence: [STANDARD] (ALGORITHMS.md §6.1).
 * Cost: one forward/backward through the bottom; per-task Jacobians cost K bottom backward passes.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ArchitectureBuilder, ModelInputs } from '../core/model.js';
import type { OptionsSchema } from '../core/options.js';
import type { RegistryEntry } from '../registry/types.js';
import { createInputEncoder } from './encoder.js';
import { createHead } from './heads.js';
import { checkSizes, mlp } from './layers.js';
import { architectureEntry, defineArchitecture } from './model.js';
import { taskGroup } from './params.js';

/** Options of {@link sharedBottom} (plus the common and encoder options). */
export interface SharedBottomOptions {
  /** Hidden sizes of the shared bottom MLP. Default `[64, 32]`. */
  readonly hidden?: readonly number[];
  readonly [common: string]: unknown;
}

/** Option schema of `shared-bottom` (without the common options). */
export const SHARED_BOTTOM_SCHEMA: OptionsSchema = {
  hidden: {
    type: 'number[]',
    default: [64, 32],
    description: 'hidden sizes of the shared bottom MLP',
  },
};

const define = defineArchitecture(
  'shared-bottom',
  SHARED_BOTTOM_SCHEMA,
  (o) => ({ hidden: checkSizes('shared-bottom', 'hidden', o['hidden']) }),
  ({ inputSpec, tasks, store, ops, common }, { hidden }) => {
    const root = store.root;
    const encoder = createInputEncoder(root.child('encoder'), inputSpec, common.encoder, ops);
    const bottom = mlp(root.child('bottom'), encoder.outDim, hidden, ops, common.activation);
    const hDim = bottom.outShape[0] as number;
    const heads = tasks.map((t) =>
      createHead(
        root.child('head').child(t.id, taskGroup(t.id)),
        t,
        hDim,
        common.towerHidden,
        ops,
        common.activation,
      ),
    );
    return {
      trunk: (inputs: ModelInputs) => ({ features: [bottom.apply(encoder.encode(inputs))] }),
      heads: (features: readonly tf.Tensor[]) => {
        const h = features[0] as tf.Tensor;
        return { outputs: Object.fromEntries(heads.map((hd) => [hd.task.id, hd.apply(h)])) };
      },
    };
  },
);

/**
 * Shared-bottom architecture builder.
 *
 * @example
 * const model = sharedBottom({ hidden: [32] }).build(spec, tasks, createRng(0));
 */
export function sharedBottom(options: SharedBottomOptions = {}): ArchitectureBuilder {
  return define(options);
}

/** Registry entry of `shared-bottom`. */
export const sharedBottomEntry: RegistryEntry<ArchitectureBuilder> = architectureEntry(
  {
    id: 'shared-bottom',
    displayName: 'Shared-Bottom',
    summary: 'Hard parameter sharing: one shared encoder and bottom MLP, one tower per task.',
    reference:
      'Caruana, "Multitask Learning", Machine Learning 28(1), 1997; Shared-Bottom baseline of Ma et al., "Modeling Task Relationships in Multi-task Learning with Multi-gate Mixture-of-Experts", KDD 2018. Implemented by manytask from the standard formula (ALGORITHMS.md §6.1).',
    evidence: 'standard',
    cost: { backward: 'K (params mode) or 1 trunk + K heads (features mode)' },
  },
  SHARED_BOTTOM_SCHEMA,
  define,
);
