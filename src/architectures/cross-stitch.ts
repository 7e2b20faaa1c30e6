/**
 * Cross-stitch networks.
 *
 * One column (an MLP with `hidden` sizes) per task on the shared encoded input `x`. After every
 * column layer ℓ the K activations are mixed by a learned cross-stitch unit:
 * `x̃_k^ℓ = Σ_j α^ℓ_kj · y_j^ℓ` with `y_j^ℓ = act(W_j^ℓ x̃_j^{ℓ−1} + b_j^ℓ)` and `x̃_j^0 = x`.
 * `alphaMode: 'scalar'` learns one K×K matrix per layer; `'channel'` one per unit (the per-channel
 * variant). Initialisation: `α_kk = alphaSame`, `α_kj = (1 − alphaSame)/(K − 1)` (rows sum to 1;
 * the paper's 0.9 / 0.1 for two tasks). Towers read the last stitched activations:
 * `ŷ_k = tower_k(x̃_k^L)`.
 *
 * Parameter groups: the encoder, every column and every α are shared (each stitch lets every
 * task's loss reach every column); each tower is its task's. Trunk features: `[x̃_1^L, …, x̃_K^L]`
 * (task k's head reads only the k-th). Diagnostics: `alpha[ℓ]`, the K×K matrix of layer ℓ (mean
 * over units in `'channel'` mode).
 *
 * Reference: Misra, Shrivastava, Gupta, Hebert, "Cross-stitch Networks for Multi-task Learning",
 * CVPR 2016. Evidence: [STANDARD] (ALGORITHMS.md §6.4). The paper trains α with a much larger
 * learning rate; α variables are named `…/stitch<ℓ>/alpha` so an optimiser can single them out.
 * Cost: K column MLPs per forward; per-task Jacobians cost K trunk backward passes.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import type { ArchitectureBuilder, ModelInputs } from '../core/model.js';
import type { OptionsSchema } from '../core/options.js';
import type { RegistryEntry } from '../registry/types.js';
import { createInputEncoder } from './encoder.js';
import { createHead } from './heads.js';
import { checkSizes, dense, type Block } from './layers.js';
import { architectureEntry, defineArchitecture } from './model.js';
import { taskGroup, valuesInit } from './params.js';

/** Options of {@link crossStitch} (plus the common and encoder options). */
export interface CrossStitchOptions {
  /** Layer sizes of each column; a cross-stitch unit follows every layer. Default `[32, 16]`. */
  readonly hidden?: readonly number[];
  /** Initial α on the diagonal (own column). Default 0.9. */
  readonly alphaSame?: number;
  /** One α matrix per layer (`'scalar'`) or per unit (`'channel'`). Default `'scalar'`. */
  readonly alphaMode?: 'scalar' | 'channel';
  readonly [common: string]: unknown;
}

/** Option schema of `cross-stitch` (without the common options). */
export const CROSS_STITCH_SCHEMA: OptionsSchema = {
  hidden: {
    type: 'number[]',
    default: [32, 16],
    description: 'layer sizes of each task column (a cross-stitch unit after each)',
  },
  alphaSame: {
    type: 'number',
    min: 0,
    max: 1,
    default: 0.9,
    description: 'initial weight of a column on itself; the rest is spread over the others',
  },
  alphaMode: {
    type: 'enum',
    values: ['scalar', 'channel'],
    default: 'scalar',
    description: "one K×K α per layer ('scalar') or per unit ('channel')",
  },
};

/** Initial α values `[K, K]` (row-major), repeated `units` times along a last axis when given. */
export function initialAlpha(k: number, alphaSame: number, units = 1): Float32Array {
  const out = new Float32Array(k * k * units);
  const other = k === 1 ? 0 : (1 - alphaSame) / (k - 1);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++)
      out.fill(
        i === j ? (k === 1 ? 1 : alphaSame) : other,
        (i * k + j) * units,
        (i * k + j + 1) * units,
      );
  return out;
}

/**
 * A cross-stitch unit: `ys` is `[K, B, H]` (the K columns' activations); returns `[K, B, H]` with
 * row k = `Σ_j α_kj y_j` (α `[K, K]`) or per unit `Σ_j α_kj[h] y_j[:, h]` (α `[K, K, H]`).
 */
export function stitch(alpha: tf.Tensor, ys: tf.Tensor): tf.Tensor {
  const [k, b, h] = ys.shape as [number, number, number];
  if (alpha.rank === 2) {
    return tf.reshape(tf.matMul(alpha as tf.Tensor2D, tf.reshape(ys, [k, b * h])), [k, b, h]);
  }
  return tf.sum(tf.mul(tf.reshape(alpha, [k, k, 1, h]), tf.expandDims(ys, 0)), 1);
}

const define = defineArchitecture(
  'cross-stitch',
  CROSS_STITCH_SCHEMA,
  (o) => {
    const hidden = checkSizes('cross-stitch', 'hidden', o['hidden'], { allowEmpty: false });
    const alphaSame = o['alphaSame'] as number;
    if (alphaSame === 0) {
      throw new ConfigError(
        'cross-stitch: option `alphaSame` must be > 0 (0 cuts every column from its own task); use e.g. 0.9',
      );
    }
    return { hidden, alphaSame, alphaMode: o['alphaMode'] as 'scalar' | 'channel' };
  },
  ({ inputSpec, tasks, store, ops, common }, { hidden, alphaSame, alphaMode }) => {
    const root = store.root;
    const k = tasks.length;
    const encoder = createInputEncoder(root.child('encoder'), inputSpec, common.encoder, ops);
    const columns: Block[][] = tasks.map((t) => {
      let d = encoder.outDim;
      return hidden.map((units, l) => {
        const layer = dense(root.child('column').child(t.id).child(`dense${l}`), d, units, ops, {
          activation: common.activation,
        });
        d = units;
        return layer;
      });
    });
    const alphas = hidden.map((units, l) => {
      const shape = alphaMode === 'scalar' ? [k, k] : [k, k, units];
      const init = initialAlpha(k, alphaSame, alphaMode === 'scalar' ? 1 : units);
      return root.child(`stitch${l}`).variable('alpha', shape, valuesInit(init));
    });
    const width = hidden[hidden.length - 1] as number;
    const heads = tasks.map((t) =>
      createHead(
        root.child('head').child(t.id, taskGroup(t.id)),
        t,
        width,
        common.towerHidden,
        ops,
        common.activation,
      ),
    );
    return {
      trunk(inputs: ModelInputs) {
        const x = encoder.encode(inputs);
        let xs: tf.Tensor[] = tasks.map(() => x);
        hidden.forEach((_, l) => {
          const ys = tf.stack(columns.map((c, j) => (c[l] as Block).apply(xs[j] as tf.Tensor)));
          xs = tf.unstack(stitch(alphas[l] as tf.Variable, ys));
        });
        return { features: xs };
      },
      heads(features) {
        return {
          outputs: Object.fromEntries(
            heads.map((hd, j) => [hd.task.id, hd.apply(features[j] as tf.Tensor)]),
          ),
        };
      },
      diagnostics() {
        return {
          alpha: alphas.map((a) => (a.rank === 2 ? a.clone() : tf.mean(a, 2))),
        };
      },
    };
  },
);

/**
 * Cross-stitch architecture builder.
 *
 * @example
 * const model = crossStitch({ hidden: [32, 16] }).build(spec, tasks, createRng(0));
 */
export function crossStitch(options: CrossStitchOptions = {}): ArchitectureBuilder {
  return define(options);
}

/** Registry entry of `cross-stitch`. */
export const crossStitchEntry: RegistryEntry<ArchitectureBuilder> = architectureEntry(
  {
    id: 'cross-stitch',
    displayName: 'Cross-Stitch',
    summary: 'One column per task, mixed after every layer by learned cross-stitch units.',
    reference:
      'Misra, Shrivastava, Gupta, Hebert, "Cross-stitch Networks for Multi-task Learning", CVPR 2016. Implemented by manytask from the standard formula (ALGORITHMS.md §6.4).',
    evidence: 'standard',
    cost: {
      backward: 'K (params mode) or 1 trunk + K heads (features mode)',
      notes: 'K column MLPs per forward',
    },
  },
  CROSS_STITCH_SCHEMA,
  define,
);
