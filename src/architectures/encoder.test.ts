import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { InputSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import {
  categoricalRows,
  checkInputs,
  checkInputSpec,
  createImageTrunk,
  createInputEncoder,
  createTabularEncoder,
  ENCODER_DEFAULTS,
  tableRows,
} from './encoder.js';
import { nonlinearOps } from './ops.js';
import { createParamStore } from './params.js';

const ops = nonlinearOps(false);

describe('categoricalRows', () => {
  it('maps out-of-range and missing values to row 0 (golden)', () => {
    const rows = categoricalRows(tf.tensor1d([0, 1, 4, 5, -1, 99], 'int32'), 5, 100);
    expect(Array.from(rows.dataSync())).toEqual([0, 1, 4, 0, 0, 0]);
    expect(rows.dtype).toBe('int32');
    rows.dispose();
  });

  it('accepts float input; NaN counts as missing', () => {
    const rows = categoricalRows(tf.tensor1d([NaN, 2, 3.0]), 4, 100);
    expect(Array.from(rows.dataSync())).toEqual([0, 2, 3]);
    rows.dispose();
  });

  it('hashes large vocabularies into maxVocab rows, keeping 0 for missing (golden)', () => {
    // maxVocab 16: i ≥ 1 → 1 + (i − 1) mod 15.
    const rows = categoricalRows(tf.tensor1d([0, 1, 15, 16, 17, 49, 50], 'int32'), 50, 16);
    expect(Array.from(rows.dataSync())).toEqual([0, 1, 15, 1, 2, 4, 0]);
    rows.dispose();
    expect(tableRows(50, 16)).toBe(16);
    expect(tableRows(5, 16)).toBe(5);
  });
});

describe('tabular encoder', () => {
  it('concatenates numeric columns and the looked-up embedding rows', () => {
    const spec: InputSpec = { numeric: 2, categorical: [{ name: 'c', vocabSize: 3 }] };
    const store = createParamStore('enc', [], createRng(0));
    try {
      const enc = createTabularEncoder(store.root, spec, { embeddingDim: 2, maxVocab: 10 })!;
      expect(enc.outDim).toBe(4);
      const table = enc.variables[0]!;
      expect(table.name).toBe('enc/embedding0/table');
      table.assign(
        tf.tensor2d([
          [10, 11],
          [20, 21],
          [30, 31],
        ]),
      );
      const out = tf.tidy(() =>
        enc.apply({
          numeric: tf.tensor2d([
            [1, 2],
            [3, 4],
            [5, 6],
          ]),
          categorical: tf.tensor2d([[2], [0], [7]], [3, 1], 'int32'),
        }),
      );
      expect(out.arraySync()).toEqual([
        [1, 2, 30, 31],
        [3, 4, 10, 11],
        [5, 6, 10, 11], // 7 is out of vocabulary: row 0
      ]);
      out.dispose();
    } finally {
      store.dispose();
    }
  });

  it('returns undefined without tabular columns', () => {
    const store = createParamStore('enc', [], createRng(0));
    const spec: InputSpec = {
      numeric: 0,
      categorical: [],
      image: { height: 4, width: 4, channels: 1 },
    };
    expect(
      createTabularEncoder(store.root, spec, { embeddingDim: 2, maxVocab: 10 }),
    ).toBeUndefined();
    store.dispose();
  });
});

describe('image trunk', () => {
  it('reproduces the shrunk LeNet of CAGrad’s MultiMNIST setup with the defaults (36×36 → 250 → 50)', () => {
    const store = createParamStore('lenet', [], createRng(0));
    try {
      const trunk = createImageTrunk(
        store.root,
        { height: 36, width: 36, channels: 1 },
        ENCODER_DEFAULTS,
        ops,
      );
      expect(trunk.stages.map((s) => s.conv.outShape)).toEqual([
        [28, 28, 5],
        [10, 10, 10],
      ]);
      expect(trunk.mapShape).toEqual([5, 5, 10]);
      expect(trunk.outDim).toBe(50);
      expect(store.variables.map((v) => v.shape)).toEqual([
        [9, 9, 1, 5],
        [5],
        [5, 5, 5, 10],
        [10],
        [250, 50],
        [50],
      ]);
      const y = tf.tidy(() => trunk.apply(tf.zeros([2, 36, 36, 1]) as tf.Tensor4D));
      expect(y.shape).toEqual([2, 50]);
      y.dispose();
    } finally {
      store.dispose();
    }
  });

  it('rejects kernels that do not fit the image, naming the option', () => {
    const store = createParamStore('lenet', [], createRng(0));
    try {
      expect(() =>
        createImageTrunk(store.root, { height: 8, width: 8, channels: 1 }, ENCODER_DEFAULTS, ops),
      ).toThrow(/convKernels/);
    } finally {
      store.dispose();
    }
  });

  it('mixed input: encoding is [tabular, image]', () => {
    const spec: InputSpec = {
      numeric: 1,
      categorical: [],
      image: { height: 6, width: 6, channels: 1 },
    };
    const store = createParamStore('mix', [], createRng(0));
    try {
      const enc = createInputEncoder(
        store.root,
        spec,
        { ...ENCODER_DEFAULTS, convFilters: [2], convKernels: [3], imageDense: 3 },
        ops,
      );
      expect(enc.outDim).toBe(4);
      const x = tf.tidy(() =>
        enc.encode({
          numeric: tf.tensor2d([[7], [8]]),
          image: tf.ones([2, 6, 6, 1]) as tf.Tensor4D,
        }),
      );
      expect(x.shape).toEqual([2, 4]);
      expect(Array.from(x.dataSync()).filter((_, i) => i % 4 === 0)).toEqual([7, 8]);
      x.dispose();
    } finally {
      store.dispose();
    }
  });
});

describe('input checks', () => {
  const spec: InputSpec = {
    numeric: 2,
    categorical: [{ name: 'c', vocabSize: 3 }],
    image: { height: 4, width: 4, channels: 1 },
  };

  it('accepts a well-formed batch and returns its size', () => {
    const inputs = {
      numeric: tf.zeros([3, 2]) as tf.Tensor2D,
      categorical: tf.zeros([3, 1], 'int32') as tf.Tensor2D,
      image: tf.zeros([3, 4, 4, 1]) as tf.Tensor4D,
    };
    expect(checkInputs('t', spec, inputs)).toBe(3);
    tf.dispose(inputs);
  });

  it('names the missing or mis-shaped input', () => {
    const numeric = tf.zeros([3, 2]) as tf.Tensor2D;
    const categorical = tf.zeros([2, 1], 'int32') as tf.Tensor2D;
    const image = tf.zeros([3, 4, 5, 1]) as tf.Tensor4D;
    expect(() => checkInputs('t', spec, { numeric })).toThrow(/inputs\.categorical is required/);
    expect(() => checkInputs('t', spec, { numeric, categorical })).toThrow(ShapeError);
    expect(() =>
      checkInputs('t', spec, { numeric, categorical: tf.zeros([3, 1]) as tf.Tensor2D, image }),
    ).toThrow(/inputs\.image must be \[B, 4, 4, 1\], got \[3, 4, 5, 1\]/);
    tf.dispose([numeric, categorical, image]);
  });

  it('rejects malformed input specs', () => {
    expect(() => checkInputSpec('t', { numeric: 0, categorical: [] })).toThrow(ConfigError);
    expect(() => checkInputSpec('t', { numeric: -1, categorical: [] })).toThrow(/numeric/);
    expect(() =>
      checkInputSpec('t', { numeric: 0, categorical: [{ name: 'x', vocabSize: 0 }] }),
    ).toThrow(/vocabSize/);
  });
});
