import * as tf from '@tensorflow/tfjs';
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { InputSpec, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import { exportTfjsArtifacts } from './export-tfjs.js';
import { decodeFloat32, encodeFloat32, loadModel, saveModel, type ModelArtifact } from './io.js';
import { mmoe } from './mmoe.js';
import { forward } from './model.js';
import { sharedBottom } from './shared-bottom.js';
import { disposeSyntheticBatch, syntheticBatch } from './verify.js';

const tasks: TaskSpec[] = [
  { id: 'a', kind: 'binary' },
  { id: 'b', kind: 'multiclass', numClasses: 3 },
];
const tabular: InputSpec = { numeric: 2, categorical: [{ name: 'c', vocabSize: 4 }] };
const opts = { training: false, rng: createRng(0), step: 0 };

describe('float32 base64 codec', () => {
  it('encodes little-endian (golden)', () => {
    expect(encodeFloat32(Float32Array.from([1]))).toBe('AACAPw==');
    expect(encodeFloat32(Float32Array.from([1, -2]))).toBe('AACAPwAAAMA=');
    expect(Array.from(decodeFloat32('AACAPwAAAMA='))).toEqual([1, -2]);
  });

  fcTest.prop([fc.array(fc.float(), { maxLength: 300 })])(
    'round-trips every float32 bit pattern (NaN, ±∞, −0, subnormals)',
    (xs) => {
      const a = Float32Array.from(xs);
      const b = decodeFloat32(encodeFloat32(a));
      expect(Array.from(new Uint32Array(b.buffer))).toEqual(Array.from(new Uint32Array(a.buffer)));
    },
  );

  it('rejects a truncated payload', () => {
    expect(() => decodeFloat32('AACA')).toThrow(ShapeError);
  });
});

describe('saveModel / loadModel', () => {
  it('writes a self-describing JSON artifact keyed by scope-free names', () => {
    const model = mmoe({ numExperts: 2, expertHidden: [3] }).build(tabular, tasks, createRng(1));
    const art = saveModel(model);
    expect(art.format).toBe('manytask-model');
    expect(art.architecture).toBe('mmoe');
    expect(art.config['numExperts']).toBe(2);
    expect(art.inputSpec).toEqual(tabular);
    expect(art.tasks).toEqual(tasks);
    expect(art.weights.map((w) => w.name)).toContain('expert1/dense0/kernel');
    expect(art.weights.every((w) => !w.name.startsWith('mmoe'))).toBe(true);
    const kernel = art.weights.find((w) => w.name === 'encoder/embedding0/table')!;
    expect(kernel.shape).toEqual([4, 8]);
    expect(decodeFloat32(kernel.data)).toHaveLength(32);
    model.dispose();
  });

  it('a reloaded model predicts identically, also after the original is disposed', () => {
    const model = sharedBottom({ hidden: [5] }).build(tabular, tasks, createRng(2));
    const batch = syntheticBatch(tabular, tasks, 7, 1);
    const before = forward(model, batch.inputs, opts);
    const want = Object.fromEntries(
      tasks.map((t) => [t.id, Array.from(before.outputs[t.id]!.dataSync())]),
    );
    tf.dispose(before as unknown as tf.TensorContainer);
    const text = JSON.stringify(saveModel(model));
    model.dispose();
    const copy = loadModel(JSON.parse(text) as ModelArtifact);
    expect(copy.shared[0]!.name.startsWith('shared-bottom/')).toBe(true);
    const after = forward(copy, batch.inputs, opts);
    for (const t of tasks) expect(Array.from(after.outputs[t.id]!.dataSync())).toEqual(want[t.id]);
    tf.dispose(after as unknown as tf.TensorContainer);
    copy.dispose();
    disposeSyntheticBatch(batch);
  });

  it('rejects foreign, newer, unknown and mismatched artifacts with typed errors', () => {
    const model = mmoe({ numExperts: 2, expertHidden: [3] }).build(tabular, tasks, createRng(1));
    const art = saveModel(model);
    model.dispose();
    const before = tf.memory().numTensors;
    expect(() => loadModel({ ...art, format: 'other' } as unknown as ModelArtifact)).toThrow(
      ConfigError,
    );
    expect(() => loadModel({ ...art, version: 99 })).toThrow(/newer/);
    expect(() => loadModel({ ...art, architecture: 'nope' })).toThrow(
      /unknown architecture 'nope'/,
    );
    expect(() => loadModel({ ...art, config: { ...art.config, numExperts: 3 } })).toThrow(
      /missing: expert2/,
    );
    const bad = art.weights.map((w) =>
      w.name === 'expert0/dense0/bias' ? { ...w, shape: [1, 3] } : w,
    );
    expect(() => loadModel({ ...art, weights: bad })).toThrow(/has shape \[1, 3\]/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('exportTfjsArtifacts', () => {
  it('exports shared-bottom as a standard LayersModel that predicts the same logits', async () => {
    const spec: InputSpec = {
      numeric: 2,
      categorical: [],
      image: { height: 8, width: 8, channels: 1 },
    };
    const model = sharedBottom({
      hidden: [6],
      towerHidden: [3],
      convFilters: [2],
      convKernels: [3],
      imageDense: 4,
    }).build(spec, tasks, createRng(3));
    const batch = syntheticBatch(spec, tasks, 5, 2);
    const artifacts = await exportTfjsArtifacts(model);
    const lm = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(lm.outputNames).toEqual(['a', 'b']);
    const preds = lm.predict([batch.inputs.numeric!, batch.inputs.image!]) as tf.Tensor[];
    const ours = forward(model, batch.inputs, opts);
    expect(preds[0]!.shape).toEqual([5, 1]);
    const close = (p: tf.Tensor, q: tf.Tensor): number =>
      Math.max(
        ...Array.from(p.dataSync()).map((v, i) => Math.abs(v - (q.dataSync()[i] as number))),
      );
    expect(close(preds[0]!, ours.outputs['a']!)).toBeLessThan(1e-5);
    expect(close(preds[1]!, ours.outputs['b']!)).toBeLessThan(1e-5);
    tf.dispose([...preds, ours as unknown as tf.TensorContainer] as tf.TensorContainer);
    lm.dispose();
    model.dispose();
    disposeSyntheticBatch(batch);
  });

  it('refuses what standard layers cannot express, saying why', async () => {
    const gated = mmoe({ numExperts: 2, expertHidden: [3] }).build(
      { numeric: 2, categorical: [] },
      tasks,
      createRng(1),
    );
    await expect(exportTfjsArtifacts(gated)).rejects.toThrow(/only 'shared-bottom' exports/);
    gated.dispose();
    const withCategories = sharedBottom().build(tabular, tasks, createRng(1));
    await expect(exportTfjsArtifacts(withCategories)).rejects.toThrow(/categorical/);
    withCategories.dispose();
  });
});
