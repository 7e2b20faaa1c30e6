/**
 * Multi-Task Attention Network (MTAN): task-specific soft attention masks over the stages of a
 * shared network.
 *
 * Shared stages `f^1..f^J`: on image input, the conv stages of the LeNet-like trunk
 * (`f^j = act(conv_j(p^{j−1}))`, `p^j = maxpool₂(f^j)`, `p^0` = image); on tabular input, dense
 * stages with `hidden` sizes (`f^j = act(W_j f^{j−1})`, `f^0` = encoded input).
 * Per task k and stage j, an attention module reads the shared features and the task's previous
 * attended output:
 * `m_k^j = σ(W_b act(W_a [f^j; â_k^{j−1}]))` (1×1 convolutions on images, dense on vectors;
 * at j = 1 the input is `f^1` alone), `a_k^j = m_k^j ⊙ f^j`, and
 * `â_k^j = act(g_k^j(pool(a_k^j)))` with `g_k^j` shaped like the next shared stage (same kernel and
 * filters, or the same width) so that it can be concatenated with `f^{j+1}`.
 * The tower reads `a_k^J` (pooled and flattened for images; with the tabular encoding appended on
 * mixed input).
 *
 * Parameter groups: encoder and shared stages are shared; every attention module, projection and
 * tower of task k is task k's. Trunk features: `[f^1, …, f^J]` (plus the tabular encoding on mixed
 * input). Diagnostics: `attention[task][j]` = mean mask value of stage j.
 *
 * Reference: Liu, Johns, Davison, "End-to-End Multi-Task Learning with Attention", CVPR 2019.
 * Evidence: [STANDARD]; adapted from the SegNet-MTAN design to this library's small trunks
 * (one convolution per stage, no batch normalisation: see `createImageTrunk`).
 * Cost: J shared stages plus K·J attention modules per forward.
 */
import * as tf from '@tensorflow/tfjs';
import type { ArchitectureBuilder, ModelInputs } from '../core/model.js';
import type { OptionsSchema } from '../core/options.js';
import type { RegistryEntry } from '../registry/types.js';
import { createImageTrunk, createTabularEncoder, resolveConvKernels } from './encoder.js';
import { createHead } from './heads.js';
import { checkSizes, conv2d, dense, flatten, type Block } from './layers.js';
import { architectureEntry, defineArchitecture } from './model.js';
import { taskGroup } from './params.js';

/** Options of {@link mtan} (plus the common and encoder options). */
export interface MtanOptions {
  /** Dense stage widths on tabular-only input (images use the conv stages). Default `[32, 16]`. */
  readonly hidden?: readonly number[];
  readonly [common: string]: unknown;
}

/** Option schema of `mtan` (without the common options). */
export const MTAN_SCHEMA: OptionsSchema = {
  hidden: {
    type: 'number[]',
    default: [32, 16],
    description: 'dense stage widths on tabular-only input (image input uses the conv stages)',
  },
};

/** One shared stage: its feature map and how the next stage's input is derived from it. */
interface Stage {
  /** Shape of `f^j` without the batch axis. */
  readonly shape: readonly number[];
  readonly layer: Block;
  /** `p^j` from `f^j` (max pooling on images, identity on vectors). */
  next(f: tf.Tensor): tf.Tensor;
}

const define = defineArchitecture(
  'mtan',
  MTAN_SCHEMA,
  (o) => ({ hidden: checkSizes('mtan', 'hidden', o['hidden'], { allowEmpty: false }) }),
  ({ inputSpec, tasks, store, ops, common }, { hidden }) => {
    const root = store.root;
    const act = common.activation;
    const enc = common.encoder;
    const tabular = createTabularEncoder(root.child('encoder'), inputSpec, enc);
    const image =
      inputSpec.image === undefined
        ? undefined
        : createImageTrunk(root.child('encoder').child('image'), inputSpec.image, enc, ops, false);

    const stages: Stage[] =
      image !== undefined
        ? image.stages.map((s) => ({
            shape: s.conv.outShape,
            layer: s.conv,
            next: (f) => s.pool.apply(f),
          }))
        : (() => {
            let d = (tabular as NonNullable<typeof tabular>).outDim;
            return hidden.map((units, j) => {
              const layer = dense(root.child('stage').child(`dense${j}`), d, units, ops, {
                activation: act,
              });
              d = units;
              return { shape: [units], layer, next: (f: tf.Tensor) => f };
            });
          })();
    const channels = (j: number): number => {
      const shape = (stages[j] as Stage).shape;
      return shape[shape.length - 1] as number;
    };

    const perTask = tasks.map((t) => {
      const scope = root.child('task').child(t.id, taskGroup(t.id));
      const attention = stages.map((_, j) => {
        const s = scope.child(`attention${j}`);
        const inC = channels(j) + (j === 0 ? 0 : channels(j));
        return {
          a: dense(s.child('a'), inC, channels(j), ops, { activation: act }),
          b: dense(s.child('b'), channels(j), channels(j), ops),
        };
      });
      // â_k^j: shaped like the next shared stage.
      const project = stages.slice(0, -1).map((_, j) => {
        const s = scope.child(`project${j}`);
        if (image !== undefined) {
          const pooled = (image.stages[j] as (typeof image.stages)[number]).pool.outShape;
          return conv2d(
            s,
            pooled as [number, number, number],
            enc.convFilters[j + 1] as number,
            resolveConvKernels(inputSpec.image!, enc)[j + 1] as number,
            ops,
            { activation: act },
          );
        }
        return dense(s, channels(j), channels(j + 1), ops, { activation: act });
      });
      return { task: t, attention, project };
    });

    const lastStage = stages[stages.length - 1] as Stage;
    const flatDim =
      image !== undefined
        ? image.mapShape[0] * image.mapShape[1] * image.mapShape[2]
        : (lastStage.shape[0] as number);
    const towerIn = flatDim + (image !== undefined ? (tabular?.outDim ?? 0) : 0);
    const heads = tasks.map((t) =>
      createHead(
        root.child('head').child(t.id, taskGroup(t.id)),
        t,
        towerIn,
        common.towerHidden,
        ops,
        act,
      ),
    );
    const withTabular = image !== undefined && tabular !== undefined;

    /** Attention of one task over the shared stage features; also returns the masks. */
    const attend = (k: number, fs: readonly tf.Tensor[]) => {
      const p = perTask[k] as (typeof perTask)[number];
      const masks: tf.Tensor[] = [];
      let prev: tf.Tensor | undefined;
      let a: tf.Tensor | undefined;
      fs.forEach((f, j) => {
        const att = p.attention[j] as (typeof p.attention)[number];
        const input = prev === undefined ? f : tf.concat([f, prev], -1);
        const mask = ops.sigmoid(att.b.apply(att.a.apply(input)));
        masks.push(mask);
        a = tf.mul(mask, f);
        if (j < fs.length - 1) {
          prev = (p.project[j] as Block).apply((stages[j] as Stage).next(a));
        }
      });
      const last = lastStage.next(a as tf.Tensor);
      return { out: image !== undefined ? flatten(last) : last, masks };
    };

    const trunk = (inputs: ModelInputs): { features: tf.Tensor[] } => {
      const fs: tf.Tensor[] = [];
      let p: tf.Tensor =
        image !== undefined
          ? (inputs.image as tf.Tensor4D)
          : (tabular as NonNullable<typeof tabular>).apply(inputs);
      for (const s of stages) {
        const f = s.layer.apply(p);
        fs.push(f);
        p = s.next(f);
      }
      if (withTabular) fs.push((tabular as NonNullable<typeof tabular>).apply(inputs));
      return { features: fs };
    };
    return {
      trunk,
      heads(features) {
        const fs = features.slice(0, stages.length);
        const outputs = Object.fromEntries(
          heads.map((hd, k) => {
            const { out } = attend(k, fs);
            const x = withTabular ? tf.concat([out, features[stages.length] as tf.Tensor], 1) : out;
            return [hd.task.id, hd.apply(x)];
          }),
        );
        return { outputs };
      },
      diagnostics(inputs) {
        const fs = trunk(inputs).features;
        return {
          attention: Object.fromEntries(
            tasks.map((t, k) => [
              t.id,
              attend(k, fs.slice(0, stages.length)).masks.map((m) => tf.mean(m)),
            ]),
          ),
        };
      },
    };
  },
);

/**
 * MTAN architecture builder.
 *
 * @example
 * const model = mtan({ hidden: [32, 16] }).build(spec, tasks, createRng(0));
 */
export function mtan(options: MtanOptions = {}): ArchitectureBuilder {
  return define(options);
}

/** Registry entry of `mtan`. */
export const mtanEntry: RegistryEntry<ArchitectureBuilder> = architectureEntry(
  {
    id: 'mtan',
    displayName: 'MTAN',
    summary: 'Task-specific attention masks over the stages of a shared (convolutional) trunk.',
    reference:
      'Liu, Johns, Davison, "End-to-End Multi-Task Learning with Attention", CVPR 2019. Implemented by manytask from the paper\'s attention-module design, adapted to small trunks (no batch normalisation).',
    evidence: 'standard',
    cost: {
      backward: 'K (params mode) or 1 trunk + K heads (features mode)',
      notes: 'K·J attention modules per forward',
    },
  },
  MTAN_SCHEMA,
  define,
);
