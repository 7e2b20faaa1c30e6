/**
 * Functional layers on explicit variables: dense, MLP and convolution blocks.
 *
 * A {@link Block} is a pure function of its input and its variables. Blocks are the unit the
 * architectures assemble (experts, towers, columns, Gumbel-Matrix components), and they compose
 * with any parameter grouping because each block creates its variables in the {@link ParamScope}
 * it is given.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import { activate, type ActivationName, type NonlinearOps } from './ops.js';
import { constantInit, glorotUniform, type Initializer, type ParamScope } from './params.js';

/** A differentiable function of one tensor with its own variables. */
export interface Block {
  readonly variables: readonly tf.Variable[];
  /** Output shape without the batch axis. */
  readonly outShape: readonly number[];
  apply(x: tf.Tensor): tf.Tensor;
}

/** Options of {@link dense}. */
export interface DenseOptions {
  readonly activation?: ActivationName;
  readonly useBias?: boolean;
  /** Kernel initialiser. Default Glorot uniform. */
  readonly kernelInit?: Initializer;
  /** Bias initialiser. Default zeros. */
  readonly biasInit?: Initializer;
}

/**
 * Dense layer `y = act(x·W + b)` on the last axis: `x` is `[..., inDim]`, `W` is `[inDim, units]`
 * (Glorot uniform), `b` is `[units]` (zeros).
 */
export function dense(
  scope: ParamScope,
  inDim: number,
  units: number,
  ops: NonlinearOps,
  {
    activation = 'linear',
    useBias = true,
    kernelInit = glorotUniform(),
    biasInit = constantInit(0),
  }: DenseOptions = {},
): Block {
  checkSize('dense', `${scope.path}: inDim`, inDim);
  checkSize('dense', `${scope.path}: units`, units);
  const kernel = scope.variable('kernel', [inDim, units], kernelInit);
  const bias = useBias ? scope.variable('bias', [units], biasInit) : undefined;
  return {
    variables: bias === undefined ? [kernel] : [kernel, bias],
    outShape: [units],
    apply(x) {
      const lead = x.shape.slice(0, -1);
      const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, inDim]);
      let y: tf.Tensor = tf.matMul(x2 as tf.Tensor2D, kernel);
      if (bias !== undefined) y = tf.add(y, bias);
      y = activate(activation, y, ops);
      return x.rank === 2 ? y : tf.reshape(y, [...lead, units]);
    },
  };
}

/**
 * Multi-layer perceptron: one {@link dense} layer per entry of `sizes` (named `dense0`,
 * `dense1`, ...), `activation` after each; `finalActivation` (default: `activation`) after the last.
 * With `sizes = []` it is the identity.
 */
export function mlp(
  scope: ParamScope,
  inDim: number,
  sizes: readonly number[],
  ops: NonlinearOps,
  activation: ActivationName,
  finalActivation: ActivationName = activation,
): Block {
  const layers: Block[] = [];
  let d = inDim;
  sizes.forEach((units, i) => {
    layers.push(
      dense(scope.child(`dense${i}`), d, units, ops, {
        activation: i === sizes.length - 1 ? finalActivation : activation,
      }),
    );
    d = units;
  });
  return sequential(layers, [inDim]);
}

/** Applies `blocks` in order; `inShape` is the output shape when `blocks` is empty. */
export function sequential(blocks: readonly Block[], inShape: readonly number[]): Block {
  return {
    variables: blocks.flatMap((b) => b.variables),
    outShape: blocks.length === 0 ? inShape : (blocks[blocks.length - 1] as Block).outShape,
    apply(x) {
      let y = x;
      for (const b of blocks) y = b.apply(y);
      return y;
    },
  };
}

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  readonly activation?: ActivationName;
  readonly padding?: 'valid' | 'same';
}

/**
 * 2-D convolution `y = act(conv(x, W) + b)`, stride 1, NHWC: `x` is `[B, H, W, inChannels]`,
 * `W` is `[k, k, inChannels, filters]` (Glorot uniform), `b` is `[filters]` (zeros).
 *
 * @throws {ConfigError} If a `'valid'` convolution leaves no spatial extent.
 */
export function conv2d(
  scope: ParamScope,
  inShape: readonly [number, number, number],
  filters: number,
  kernelSize: number,
  ops: NonlinearOps,
  { activation = 'linear', padding = 'valid' }: Conv2dOptions = {},
): Block {
  const [h, w, c] = inShape;
  checkSize('conv2d', `${scope.path}: filters`, filters);
  checkSize('conv2d', `${scope.path}: kernelSize`, kernelSize);
  const oh = padding === 'valid' ? h - kernelSize + 1 : h;
  const ow = padding === 'valid' ? w - kernelSize + 1 : w;
  if (oh < 1 || ow < 1) {
    throw new ConfigError(
      `conv2d: ${scope.path}: kernel ${kernelSize} is larger than its ${h}×${w} input; use smaller \`convKernels\` or a larger image`,
    );
  }
  const kernel = scope.variable('kernel', [kernelSize, kernelSize, c, filters], glorotUniform());
  const bias = scope.variable('bias', [filters], constantInit(0));
  return {
    variables: [kernel, bias],
    outShape: [oh, ow, filters],
    apply(x) {
      const y = tf.add(tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, 1, padding), bias);
      return activate(activation, y, ops);
    },
  };
}

/** Non-overlapping 2×2 (or `size`×`size`) max pooling, `'valid'` (floors odd sizes). */
export function maxPool(inShape: readonly [number, number, number], size = 2): Block {
  const [h, w, c] = inShape;
  const oh = Math.floor(h / size);
  const ow = Math.floor(w / size);
  if (oh < 1 || ow < 1) {
    throw new ConfigError(
      `maxPool: a ${h}×${w} map cannot be pooled by ${size}; use smaller \`convKernels\` or a larger image`,
    );
  }
  return {
    variables: [],
    outShape: [oh, ow, c],
    apply: (x) => tf.maxPool(x as tf.Tensor4D, size, size, 'valid'),
  };
}

/** Flattens `[B, ...]` to `[B, prod(...)]`. */
export function flatten(x: tf.Tensor): tf.Tensor2D {
  return tf.reshape(x, [x.shape[0] as number, -1]);
}

function checkSize(fn: string, what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new ConfigError(`${fn}: ${what} must be a positive integer, got ${n}`);
  }
}

/**
 * Checks a list-of-sizes option (hidden sizes, filters, kernels): positive integers.
 *
 * @throws {ConfigError} Naming the owner and the option.
 */
export function checkSizes(
  owner: string,
  option: string,
  v: unknown,
  { allowEmpty = true }: { allowEmpty?: boolean } = {},
): number[] {
  if (
    !Array.isArray(v) ||
    v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 1) ||
    (!allowEmpty && v.length === 0)
  ) {
    throw new ConfigError(
      `${owner}: option \`${option}\` must be ${allowEmpty ? 'a' : 'a non-empty'} list of positive integers, got ${JSON.stringify(v)}`,
    );
  }
  return v as number[];
}
