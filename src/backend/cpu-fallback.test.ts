import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './init.js';

// Gradients that the stock wasm backend cannot compute (no kernel registered) must equal the
// cpu backend's once the fallbacks are installed.
function embeddingAndConvGrads(): number[][] {
  return tf.tidy(() => {
    const table = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    const ids = tf.tensor1d([0, 2, 2, 3, 1], 'int32');
    const img = tf.tensor4d(
      Array.from({ length: 2 * 5 * 5 }, (_, i) => Math.sin(i)),
      [2, 5, 5, 1],
    );
    const kernel = tf.tensor4d(
      Array.from({ length: 3 * 3 * 2 }, (_, i) => Math.cos(i)),
      [3, 3, 1, 2],
    );
    const [gTable, gKernel, gImg] = tf.grads((t: tf.Tensor, k: tf.Tensor, x: tf.Tensor) =>
      tf.add(
        tf.sum(tf.square(tf.gather(t, ids))),
        tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'))),
      ),
    )([table, kernel, img]);
    return [gTable!, gKernel!, gImg!].map((g) => Array.from(g.dataSync()));
  });
}

function segmentSums(): number[] {
  return tf.tidy(() => {
    const x = tf.tensor2d(
      Array.from({ length: 18 }, (_, i) => i * 0.5 - 3),
      [6, 3],
    );
    const ids = tf.tensor1d([0, 2, 2, 5, 1, 0], 'int32');
    return Array.from(tf.unsortedSegmentSum(x, ids, 7).dataSync());
  });
}

describe('wasm cpu-fallback kernels', () => {
  let cpu: number[][];
  let cpuSegments: number[];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    cpu = embeddingAndConvGrads();
    cpuSegments = segmentSums();
    await initBackend({ prefer: 'wasm', blas: 'off', quiet: true });
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('UnsortedSegmentSum (direct heap kernel) equals cpu, empty segments included', () => {
    expect(tf.getBackend()).toBe('wasm');
    const wasm = segmentSums();
    expect(wasm).toHaveLength(21);
    wasm.forEach((v, i) => expect(v).toBeCloseTo(cpuSegments[i]!, 5));
  });

  it('embedding (UnsortedSegmentSum) and conv (Conv2DBackpropFilter) gradients run on wasm and equal cpu', () => {
    expect(tf.getBackend()).toBe('wasm');
    const before = tf.memory().numTensors;
    const wasm = embeddingAndConvGrads();
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < cpu.length; i++) {
      const a = cpu[i]!;
      const b = wasm[i]!;
      expect(b.length).toBe(a.length);
      for (let j = 0; j < a.length; j++) expect(b[j]!).toBeCloseTo(a[j]!, 4);
    }
  });
});
