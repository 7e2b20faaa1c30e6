// The model contract, checked for every registered architecture on tabular, image and mixed input:
// output shapes, gradient coverage, honest parameter groups, an exact trunk/heads split, save/load
// round trips, a short seeded training run that lowers every task's loss, and no tensor leaks.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchitectureBuilder, InputSpec, MtlModel, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import { entries } from './entries.js';
import { loadModel, saveModel } from './io.js';
import { forward } from './model.js';
import {
  checkTrunkHeadsSplit,
  disposeSyntheticBatch,
  groupingViolations,
  outputShapeProblems,
  syntheticBatch,
  trainBriefly,
  variablesWithoutGradient,
} from './verify.js';

const TINY_COMMON = {
  towerHidden: [4],
  embeddingDim: 3,
  maxVocab: 16,
  convFilters: [2, 3],
  convKernels: [3, 3],
  imageDense: 4,
};

/** Tiny per-architecture options; an architecture missing here runs with its defaults. */
const TINY: Record<string, Record<string, unknown>> = {
  'shared-bottom': { hidden: [8] },
  mmoe: { numExperts: 3, expertHidden: [6] },
  cgc: { sharedExperts: 2, taskExperts: 1, expertHidden: [6] },
  ple: { levels: 2, sharedExperts: 2, taskExperts: 1, expertHidden: [6] },
  'cross-stitch': { hidden: [6, 5] },
  'dselect-k': { numExperts: 3, numNonzeros: 2, expertHidden: [6] },
  mtan: { hidden: [6, 5] },
};

const TASKS: readonly TaskSpec[] = [
  { id: 'a', kind: 'binary' },
  { id: 'b', kind: 'multiclass', numClasses: 3 },
  { id: 'c', kind: 'regression' },
];

const SPECS: Record<string, InputSpec> = {
  tabular: {
    numeric: 3,
    // c1 has more values than maxVocab: it is hashed.
    categorical: [
      { name: 'c0', vocabSize: 5 },
      { name: 'c1', vocabSize: 50 },
    ],
  },
  image: { numeric: 0, categorical: [], image: { height: 10, width: 10, channels: 1 } },
  mixed: {
    numeric: 2,
    categorical: [{ name: 'c0', vocabSize: 4 }],
    image: { height: 10, width: 10, channels: 2 },
  },
};

const evalOpts = { training: false, rng: createRng(5), step: 0 };

describe.each(entries.filter((e) => e.kind === 'architecture').map((e) => [e.id, e] as const))(
  'architecture %s',
  (id, entry) => {
    const options = { ...TINY_COMMON, ...(TINY[id] ?? {}) };
    const builder = (): ArchitectureBuilder => entry.create(options) as ArchitectureBuilder;

    describe.each(Object.keys(SPECS))('on %s input', (specName) => {
      const spec = SPECS[specName] as InputSpec;
      let model: MtlModel;
      let batch: ReturnType<typeof syntheticBatch>;
      beforeAll(() => {
        model = builder().build(spec, TASKS, createRng(11));
        batch = syntheticBatch(spec, TASKS, 12, 3);
      });
      afterAll(() => {
        model.dispose();
        disposeSyntheticBatch(batch);
      });

      it('produces one output per task with the right shape, leaking nothing', () => {
        const before = tf.memory().numTensors;
        expect(outputShapeProblems(model, batch.inputs, 12)).toEqual([]);
        expect(tf.memory().numTensors).toBe(before);
      });

      // Structural reachability: with ReLU, a unit of a tiny random net can be dead on a small
      // batch (no wiring bug), so this check uses softplus, which has no dead zone.
      it('sends gradient to every variable', () => {
        const smooth = (
          entry.create({ ...options, activation: 'softplus' }) as ArchitectureBuilder
        ).build(spec, TASKS, createRng(11));
        try {
          const before = tf.memory().numTensors;
          expect(variablesWithoutGradient(smooth, batch.inputs)).toEqual([]);
          expect(tf.memory().numTensors).toBe(before);
        } finally {
          smooth.dispose();
        }
      });

      it('groups variables honestly: no task reaches another task’s variables', () => {
        expect(model.shared.length).toBeGreaterThan(0);
        for (const t of TASKS) expect(model.perTask[t.id]?.length ?? 0).toBeGreaterThan(0);
        const names = [
          ...model.shared,
          ...Object.values(model.perTask).flat(),
          ...(model.extra ?? []),
        ].map((v) => v.name);
        expect(new Set(names).size).toBe(names.length);
        for (const n of names) expect(n.startsWith(`${id}/`) || n.startsWith(`${id}_`)).toBe(true);
        const before = tf.memory().numTensors;
        expect(groupingViolations(model, batch.inputs)).toEqual([]);
        expect(tf.memory().numTensors).toBe(before);
      });

      it('splits trunk and heads exactly (features mode = params mode)', () => {
        const before = tf.memory().numTensors;
        const report = checkTrunkHeadsSplit(model, batch.inputs);
        expect(report.headsReadShared).toEqual([]);
        expect(report.maxRelError).toBeLessThan(1e-4);
        expect(tf.memory().numTensors).toBe(before);
      });

      it('saves and loads: identical predictions, even while the original lives', () => {
        const artifact = JSON.parse(JSON.stringify(saveModel(model))) as ReturnType<
          typeof saveModel
        >;
        const copy = loadModel(artifact);
        try {
          expect(copy.architecture).toBe(id);
          const a = forward(model, batch.inputs, evalOpts);
          const b = forward(copy, batch.inputs, evalOpts);
          for (const t of TASKS) {
            expect(Array.from(b.outputs[t.id]?.dataSync() ?? [])).toEqual(
              Array.from(a.outputs[t.id]?.dataSync() ?? []),
            );
          }
          tf.dispose([a, b] as unknown as tf.TensorContainer);
        } finally {
          copy.dispose();
        }
      });
    });

    it('lowers every task’s loss in a short seeded training run (tabular)', () => {
      const before = tf.memory().numTensors;
      const model = builder().build(SPECS['tabular'] as InputSpec, TASKS, createRng(1));
      const batch = syntheticBatch(SPECS['tabular'] as InputSpec, TASKS, 32, 8);
      const report = trainBriefly(model, batch, { steps: 40, learningRate: 0.02 });
      for (const t of TASKS) {
        expect(report.after[t.id], `${id} task ${t.id}`).toBeLessThan(
          0.7 * (report.before[t.id] as number),
        );
      }
      model.dispose();
      disposeSyntheticBatch(batch);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('is deterministic given the seed and rebuilds from its config', () => {
      const spec = SPECS['tabular'] as InputSpec;
      const m1 = builder().build(spec, TASKS, createRng(9));
      const m2 = (entry.create(m1.config) as ArchitectureBuilder).build(spec, TASKS, createRng(9));
      try {
        const w1 = m1.shared.map((v) => Array.from(v.dataSync()));
        const w2 = m2.shared.map((v) => Array.from(v.dataSync()));
        expect(w2).toEqual(w1);
        expect(m2.config).toEqual(m1.config);
      } finally {
        m1.dispose();
        m2.dispose();
      }
    });

    it('leaks no tensor over build, forward, diagnostics and dispose', () => {
      const before = tf.memory().numTensors;
      const spec = SPECS['mixed'] as InputSpec;
      const batch = syntheticBatch(spec, TASKS, 4, 2);
      const model = builder().build(spec, TASKS, createRng(2));
      const out = forward(model, batch.inputs, { training: true, rng: createRng(1), step: 3 });
      tf.dispose(out as unknown as tf.TensorContainer);
      model.diagnostics?.(batch.inputs, evalOpts);
      model.dispose();
      disposeSyntheticBatch(batch);
      expect(tf.memory().numTensors).toBe(before);
    });
  },
);
