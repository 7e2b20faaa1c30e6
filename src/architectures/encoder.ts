/**
 * Input encoders shared by every architecture: tabular/recommender columns (numeric values and
 * categorical embeddings) and a small LeNet-like convolutional trunk for images. Whatever the
 * {@link InputSpec} holds, the encoder turns one batch into one `[B, D]` representation `x`, so
 * every architecture runs on tabular, image and mixed input.
 *
 * Categorical convention (matches `DataSplit.categorical`): indices live in `[0, vocabSize)` and
 * index 0 means missing or out-of-vocabulary. Anything outside `[0, vocabSize)` (including NaN
 * in a float input) is mapped to 0, so missing and unseen values share their own learned row.
 * When `vocabSize > maxVocab` the column is hashed into `maxVocab` rows: index 0 stays 0 and
 * `i ≥ 1` goes to `1 + (i − 1) mod (maxVocab − 1)` (the hashing trick on integer ids; collisions
 * share a row).
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { InputSpec, ModelInputs } from '../core/model.js';
import type { OptionsSchema } from '../core/options.js';
import { conv2d, dense, flatten, maxPool, type Block, checkSizes } from './layers.js';
import { checkActivation, type ActivationName, type NonlinearOps } from './ops.js';
import { uniformInit, type ParamScope } from './params.js';

/** Options of the input encoder (shared by every architecture's options). */
export interface EncoderOptions {
  /** Embedding width per categorical column. Default 8. */
  readonly embeddingDim: number;
  /** Largest embedding table; larger vocabularies are hashed into it. Default 10 000. */
  readonly maxVocab: number;
  /** Filters of each conv stage of the image trunk. Default `[5, 10]` (LeNet as in CAGrad's MultiMNIST). */
  readonly convFilters: readonly number[];
  /**
   * Kernel size of each conv stage. Default (absent): chosen from the image by
   * {@link resolveConvKernels} — `[9, 5]` (CAGrad's LeNet) for images of at least 36×36 with two
   * stages, otherwise 3 per stage, so that small images such as the 12×12 MultiDigits canvas work.
   */
  readonly convKernels?: readonly number[];
  /** Width of the dense layer after the conv stages; 0 = flatten only. Default 50. */
  readonly imageDense: number;
  /** Activation of the conv stages and the image dense layer. Default `'relu'`. */
  readonly activation: ActivationName;
}

/** Defaults of {@link EncoderOptions}. */
export const ENCODER_DEFAULTS: EncoderOptions = {
  embeddingDim: 8,
  maxVocab: 10_000,
  convFilters: [5, 10],
  imageDense: 50,
  activation: 'relu',
};

/** Option schema of the encoder, merged into each architecture's schema. */
export const ENCODER_SCHEMA: OptionsSchema = {
  embeddingDim: {
    type: 'integer',
    min: 1,
    default: ENCODER_DEFAULTS.embeddingDim,
    description: 'embedding width per categorical column',
  },
  maxVocab: {
    type: 'integer',
    min: 2,
    default: ENCODER_DEFAULTS.maxVocab,
    description: 'largest embedding table; larger vocabularies are hashed (index 0 = missing/OOV)',
  },
  convFilters: {
    type: 'number[]',
    default: ENCODER_DEFAULTS.convFilters,
    description: 'image trunk: filters per conv stage (conv → maxpool 2 → activation)',
  },
  convKernels: {
    type: 'number[]',
    description:
      'image trunk: kernel size per conv stage (valid padding); default [9, 5] for images ≥ 36×36 with two stages, else 3 per stage',
  },
  imageDense: {
    type: 'integer',
    min: 0,
    default: ENCODER_DEFAULTS.imageDense,
    description: 'image trunk: width of the dense layer after the conv stages (0 = flatten only)',
  },
};

/** Reads the encoder options out of validated architecture options. */
export function encoderOptions(
  owner: string,
  o: Readonly<Record<string, unknown>>,
  activation: ActivationName,
): EncoderOptions {
  const convFilters = checkSizes(owner, 'convFilters', o['convFilters'], { allowEmpty: false });
  const convKernels =
    o['convKernels'] === undefined
      ? undefined
      : checkSizes(owner, 'convKernels', o['convKernels'], { allowEmpty: false });
  if (convKernels !== undefined && convFilters.length !== convKernels.length) {
    throw new ConfigError(
      `${owner}: options \`convFilters\` (${convFilters.length}) and \`convKernels\` (${convKernels.length}) must have the same length, one entry per conv stage`,
    );
  }
  return {
    embeddingDim: o['embeddingDim'] as number,
    maxVocab: o['maxVocab'] as number,
    convFilters,
    ...(convKernels !== undefined ? { convKernels } : {}),
    imageDense: o['imageDense'] as number,
    activation: checkActivation(owner, 'activation', activation),
  };
}

/**
 * Checks an {@link InputSpec} at build time.
 *
 * @throws {ConfigError} On a negative or fractional size, an empty spec, or a bad vocabulary.
 */
export function checkInputSpec(owner: string, spec: InputSpec): void {
  if (!Number.isInteger(spec.numeric) || spec.numeric < 0) {
    throw new ConfigError(
      `${owner}: inputSpec.numeric must be an integer ≥ 0, got ${spec.numeric}`,
    );
  }
  spec.categorical.forEach((c, i) => {
    if (!Number.isInteger(c.vocabSize) || c.vocabSize < 1) {
      throw new ConfigError(
        `${owner}: inputSpec.categorical[${i}] ('${c.name}') needs an integer vocabSize ≥ 1 (index 0 = missing/OOV), got ${c.vocabSize}`,
      );
    }
  });
  if (spec.image !== undefined) {
    const { height, width, channels } = spec.image;
    for (const [k, v] of [
      ['height', height],
      ['width', width],
      ['channels', channels],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new ConfigError(
          `${owner}: inputSpec.image.${k} must be a positive integer, got ${v}`,
        );
      }
    }
  }
  if (spec.numeric === 0 && spec.categorical.length === 0 && spec.image === undefined) {
    throw new ConfigError(
      `${owner}: inputSpec has no numeric, categorical or image input; describe at least one`,
    );
  }
}

/**
 * Checks one batch against the spec and returns its batch size.
 *
 * @throws {ShapeError} Naming the missing or mis-shaped input.
 */
export function checkInputs(owner: string, spec: InputSpec, inputs: ModelInputs): number {
  let batch: number | undefined;
  const check = (name: string, t: tf.Tensor | undefined, shape: readonly number[]): void => {
    if (t === undefined) {
      throw new ShapeError(`${owner}: inputs.${name} is required by the inputSpec but missing`);
    }
    const ok = t.rank === shape.length + 1 && shape.every((d, i) => t.shape[i + 1] === d);
    if (!ok) {
      throw new ShapeError(
        `${owner}: inputs.${name} must be [B, ${shape.join(', ')}], got [${t.shape.join(', ')}]`,
      );
    }
    const b = t.shape[0] as number;
    if (batch !== undefined && b !== batch) {
      throw new ShapeError(
        `${owner}: inputs.${name} has ${b} rows but another input has ${batch}; every input needs the same batch size`,
      );
    }
    batch = b;
  };
  if (spec.numeric > 0) check('numeric', inputs.numeric, [spec.numeric]);
  if (spec.categorical.length > 0)
    check('categorical', inputs.categorical, [spec.categorical.length]);
  if (spec.image !== undefined) {
    const { height, width, channels } = spec.image;
    check('image', inputs.image, [height, width, channels]);
  }
  return batch as number;
}

/** Rows of the embedding table of a column with `vocabSize` values. */
export function tableRows(vocabSize: number, maxVocab: number): number {
  return Math.min(vocabSize, maxVocab);
}

/**
 * Maps raw categorical indices `[B]` (int32 or float32) to embedding rows `[B]` int32: out of
 * range → 0 (missing/OOV), then hashing when `vocabSize > maxVocab` (see the module docs).
 */
export function categoricalRows(
  raw: tf.Tensor1D,
  vocabSize: number,
  maxVocab: number,
): tf.Tensor1D {
  return tf.tidy((): tf.Tensor1D => {
    const i = raw.dtype === 'int32' ? raw : tf.cast(raw, 'int32');
    const zero = tf.zerosLike(i);
    const inRange = tf.logicalAnd(tf.greaterEqual(i, 0), tf.less(i, vocabSize));
    const idx = tf.where(inRange, i, zero);
    if (vocabSize <= maxVocab) return idx as tf.Tensor1D;
    // Integer scalars: a plain number would promote the arithmetic to float32.
    const one = tf.scalar(1, 'int32');
    const hashed = tf.add(tf.mod(tf.sub(idx, one), tf.scalar(maxVocab - 1, 'int32')), one);
    return tf.where(tf.equal(idx, 0), zero, hashed) as tf.Tensor1D;
  });
}

/** Tabular part: numeric columns as they are, then one embedding per categorical column. */
export interface TabularEncoder {
  readonly outDim: number;
  readonly variables: readonly tf.Variable[];
  apply(inputs: ModelInputs): tf.Tensor2D;
}

/** Creates the tabular encoder, or returns undefined when the spec has no tabular columns. */
export function createTabularEncoder(
  scope: ParamScope,
  spec: InputSpec,
  opts: Pick<EncoderOptions, 'embeddingDim' | 'maxVocab'>,
): TabularEncoder | undefined {
  if (spec.numeric === 0 && spec.categorical.length === 0) return undefined;
  const { embeddingDim, maxVocab } = opts;
  const tables = spec.categorical.map((c, i) =>
    scope
      .child(`embedding${i}`)
      .variable(
        'table',
        [tableRows(c.vocabSize, maxVocab), embeddingDim],
        uniformInit(-0.05, 0.05),
      ),
  );
  return {
    outDim: spec.numeric + embeddingDim * spec.categorical.length,
    variables: tables,
    apply(inputs) {
      const parts: tf.Tensor[] = [];
      if (spec.numeric > 0) parts.push(inputs.numeric as tf.Tensor2D);
      if (tables.length > 0) {
        const cat = inputs.categorical as tf.Tensor2D;
        const cols = tf.unstack(cat, 1) as tf.Tensor1D[];
        spec.categorical.forEach((c, i) => {
          const rows = categoricalRows(cols[i] as tf.Tensor1D, c.vocabSize, maxVocab);
          parts.push(tf.gather(tables[i] as tf.Variable, rows));
        });
      }
      return (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor2D;
    },
  };
}

/** One conv stage of the image trunk: `f = act(conv(x))`, then `p = maxpool₂(f)`. */
export interface ConvStage {
  readonly conv: Block;
  readonly pool: Block;
}

/** LeNet-like image trunk. */
export interface ImageTrunk {
  readonly stages: readonly ConvStage[];
  /** Shape of the last pooled map `[h, w, c]`. */
  readonly mapShape: readonly [number, number, number];
  /** Dense layer after flattening (absent when `imageDense = 0`). */
  readonly dense: Block | undefined;
  readonly outDim: number;
  readonly variables: readonly tf.Variable[];
  /** Image `[B, H, W, C]` → `[B, outDim]`. */
  apply(image: tf.Tensor4D): tf.Tensor2D;
}

/**
 * Creates the image trunk: per stage conv (valid, stride 1) → activation → maxpool 2, then
 * flatten and an optional dense layer. With the defaults on 36×36 MultiMNIST this is the shrunk
 * LeNet of CAGrad's appendix (36 → conv9 → 28 → pool → 14 → conv5 → 10 → pool → 5; 5·5·10 = 250
 * → 50). Batch normalisation is left out on purpose: its batch statistics make one row's output
 * depend on the other rows, and its moving averages are state outside the parameter groups.
 *
 * @param withDense - false to stop at the flattened maps (MTAN attends to the stages itself).
 */
/** Kernel sizes of the image trunk: the configured ones, or the size-dependent default. */
export function resolveConvKernels(
  image: NonNullable<InputSpec['image']>,
  opts: Pick<EncoderOptions, 'convFilters' | 'convKernels'>,
): readonly number[] {
  if (opts.convKernels !== undefined) return opts.convKernels;
  const lenet = opts.convFilters.length === 2 && Math.min(image.height, image.width) >= 36;
  return lenet ? [9, 5] : opts.convFilters.map(() => 3);
}

export function createImageTrunk(
  scope: ParamScope,
  image: NonNullable<InputSpec['image']>,
  opts: EncoderOptions,
  ops: NonlinearOps,
  withDense = true,
): ImageTrunk {
  const stages: ConvStage[] = [];
  let shape: [number, number, number] = [image.height, image.width, image.channels];
  const kernels = resolveConvKernels(image, opts);
  opts.convFilters.forEach((filters, i) => {
    const conv = conv2d(scope.child(`conv${i}`), shape, filters, kernels[i] as number, ops, {
      activation: opts.activation,
    });
    const pool = maxPool(conv.outShape as [number, number, number]);
    stages.push({ conv, pool });
    shape = pool.outShape as [number, number, number];
  });
  const flatDim = shape[0] * shape[1] * shape[2];
  const denseBlock =
    withDense && opts.imageDense > 0
      ? dense(scope.child('dense'), flatDim, opts.imageDense, ops, { activation: opts.activation })
      : undefined;
  const mapShape = shape;
  return {
    stages,
    mapShape,
    dense: denseBlock,
    outDim: denseBlock === undefined ? flatDim : opts.imageDense,
    variables: [...stages.flatMap((s) => s.conv.variables), ...(denseBlock?.variables ?? [])],
    apply(img) {
      let x: tf.Tensor = img;
      for (const s of stages) x = s.pool.apply(s.conv.apply(x));
      const flat = flatten(x);
      return (denseBlock === undefined ? flat : denseBlock.apply(flat)) as tf.Tensor2D;
    },
  };
}

/** The whole input encoder: `x = [tabular(inputs), image(inputs)]`, `[B, outDim]`. */
export interface InputEncoder {
  readonly outDim: number;
  readonly variables: readonly tf.Variable[];
  readonly tabular: TabularEncoder | undefined;
  readonly image: ImageTrunk | undefined;
  encode(inputs: ModelInputs): tf.Tensor2D;
}

/** Creates the encoder for `spec` under `scope` (its variables take the scope's group). */
export function createInputEncoder(
  scope: ParamScope,
  spec: InputSpec,
  opts: EncoderOptions,
  ops: NonlinearOps,
): InputEncoder {
  const tabular = createTabularEncoder(scope, spec, opts);
  const image =
    spec.image === undefined
      ? undefined
      : createImageTrunk(scope.child('image'), spec.image, opts, ops);
  return {
    outDim: (tabular?.outDim ?? 0) + (image?.outDim ?? 0),
    variables: [...(tabular?.variables ?? []), ...(image?.variables ?? [])],
    tabular,
    image,
    encode(inputs) {
      const parts: tf.Tensor2D[] = [];
      if (tabular !== undefined) parts.push(tabular.apply(inputs));
      if (image !== undefined) parts.push(image.apply(inputs.image as tf.Tensor4D));
      return parts.length === 1 ? (parts[0] as tf.Tensor2D) : tf.concat(parts, 1);
    },
  };
}
