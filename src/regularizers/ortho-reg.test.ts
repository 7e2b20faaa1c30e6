// Orthogonal-gradient regulariser (ALGORITHMS §5): R = 0 for orthogonal, 1 for parallel gradients,
// K = 1, zero gradients, forms and per-layer averaging; and the finite-difference check of the
// penalty's gradient ∇_θ(λR), taken by double backward through the engine, on every op a model
// can contain (activations, softmax gates, embeddings, each loss kind, conv/pool via
// wrtRepresentation), plus the canary that raw TF.js sigmoid gets it wrong.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { recordForward } from '../autodiff/jacobian.js';
import { ConfigError } from '../core/errors.js';
import type { Batch, InputSpec, MtlModel, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import type { ParamTree, Regularizer } from '../core/types.js';
import { mmoe } from '../architectures/mmoe.js';
import { sharedBottom } from '../architectures/shared-bottom.js';
import type { ActivationName } from '../architectures/ops.js';
import { defaultRegistry } from '../registry/index.js';
import {
  angleWindow,
  orthoPenaltyFromGramian,
  orthoReg,
  pairAngles,
  type OrthoRegOptions,
} from './ortho-reg.js';

const ctx = { step: 0, epoch: 0, tasks: ['a', 'b', 'c'] };

/** Penalty of explicit per-task gradient trees (no engine). */
function penaltyOf(trees: number[][][], options: OrthoRegOptions = {}): number {
  const grads: ParamTree[] = trees.map((blocks) =>
    Object.fromEntries(blocks.map((b, i) => [`v${i}`, tf.tensor1d(b)])),
  );
  const reg = orthoReg(options);
  const p = reg.penalty(
    {
      tasks: grads.map((_, i) => `t${i}`),
      losses: [],
      shared: [],
      features: [],
      taskGradients: grads,
    },
    ctx,
  );
  const v = p.dataSync()[0]!;
  p.dispose();
  for (const g of grads) tf.dispose(Object.values(g));
  return v;
}

describe('ortho-reg: the penalty value', () => {
  it('R = 0 for orthogonal, 1 for parallel and anti-parallel gradients; λ scales it', () => {
    expect(penaltyOf([[[1, 0, 0]], [[0, 2, 0]], [[0, 0, -3]]], { penalty: 1 })).toBeCloseTo(0, 7);
    expect(penaltyOf([[[1, 2, 0]], [[-2, -4, 0]]], { penalty: 1 })).toBeCloseTo(1, 6);
    expect(penaltyOf([[[1, 2, 0]], [[2, 4, 0]]], { penalty: 10 })).toBeCloseTo(10, 5);
  });

  it('is the mean of cos² (or |cos|) over ordered pairs i ≠ j, across tensors or per tensor', () => {
    const g = [
      [
        [1, 0],
        [1, 1],
      ],
      [
        [1, 1],
        [0, 1],
      ],
    ];
    // Flattened: g1 = (1,0,1,1), g2 = (1,1,0,1): cos = 2/3.
    expect(penaltyOf(g, { penalty: 1 })).toBeCloseTo(4 / 9, 6);
    expect(penaltyOf(g, { penalty: 1, form: 'abs-cos' })).toBeCloseTo(2 / 3, 6);
    // Per tensor: v0 cos = 1/√2 → ½; v1 cos = 1/√2 → ½; mean ½.
    expect(penaltyOf(g, { penalty: 1, perLayer: true })).toBeCloseTo(0.5, 6);
    const gram = { k: 2, data: Float64Array.from([3, 2, 2, 3]) };
    expect(orthoPenaltyFromGramian(gram)).toBeCloseTo(4 / 9, 12);
    expect(orthoPenaltyFromGramian(gram, 'abs-cos')).toBeCloseTo(2 / 3, 12);
  });

  it('K = 1 gives 0; a zero gradient is left out of the pairs (finite value and gradient)', () => {
    expect(penaltyOf([[[1, 2]]])).toBe(0);
    // Pairs (1,2) only: cos(g1, g2) = 1 → R = 1, the zero task contributes nothing.
    expect(penaltyOf([[[1, 2]], [[2, 4]], [[0, 0]]], { penalty: 1 })).toBeCloseTo(1, 6);
    expect(penaltyOf([[[0, 0]], [[0, 0]]], { penalty: 1 })).toBe(0);
    const x = tf.variable(tf.tensor1d([0, 0]), true, 'ortho_zero');
    const { grads } = tf.variableGrads(() =>
      orthoReg({ penalty: 1 }).penalty(
        {
          tasks: ['a', 'b'],
          losses: [],
          shared: [],
          features: [],
          taskGradients: [{ v: tf.mul(x, 2) }, { v: tf.add(x, tf.tensor1d([1, 0])) }],
        },
        ctx,
      ),
    );
    expect(Array.from(grads[x.name]!.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, ...Object.values(grads)]);
  });

  it('validates options and requires the per-task gradients; is registered', () => {
    expect(() => orthoReg({ penalty: -1 })).toThrow(ConfigError);
    expect(() => orthoReg({ form: 'cos' as never })).toThrow(/'cos2', 'abs-cos'/);
    const reg = orthoReg();
    expect(() => reg.penalty({ tasks: ['a'], losses: [], shared: [], features: [] }, ctx)).toThrow(
      /order-2/,
    );
    expect(reg.order).toBe(2);
    expect(orthoReg({ wrtRepresentation: true }).wrt).toBe('features');
    const r = defaultRegistry.create<Regularizer>('ortho-reg', { penalty: 1 });
    expect(r.config).toMatchObject({ penalty: 1, form: 'cos2' });
    expect(defaultRegistry.get('ortho-reg').evidence).toBe('code-3p');
  });
});

describe('angle diagnostics', () => {
  it('pairAngles and the sliding window: mean and population variance over pairs and steps', () => {
    const cos = [1, 0, 0.5, 0, 1, -1, 0.5, -1, 1];
    const a = pairAngles(cos, 3);
    expect(a.map((x) => Math.round(x))).toEqual([90, 60, 180]);
    const w = angleWindow(2);
    w.push([10, 20]);
    w.push([30, NaN]);
    w.push([40]);
    // The first step fell out of the window: angles 30, 40.
    expect(w.stats()).toEqual({ mean: 35, variance: 25, count: 2 });
    expect(() => angleWindow(0)).toThrow(ConfigError);
  });
});

// ---------------------------------------------------------------------------------------------
// Finite-difference matrix: ∇_θ(λR) by double backward through the engine vs central differences.
// ---------------------------------------------------------------------------------------------

interface Case {
  readonly name: string;
  readonly build: () => { model: MtlModel; batch: Batch };
  readonly options?: OrthoRegOptions;
}

const TASKS: TaskSpec[] = [
  { id: 'bin', kind: 'binary' },
  { id: 'reg', kind: 'regression' },
  { id: 'cls', kind: 'multiclass', numClasses: 3 },
];

function tabularBatch(spec: InputSpec, tasks: readonly TaskSpec[], n: number, seed: number): Batch {
  const rng = createRng(seed);
  const targets: Record<string, tf.Tensor1D> = {};
  for (const t of tasks) {
    targets[t.id] =
      t.kind === 'multiclass'
        ? tf.tensor1d(
            Array.from({ length: n }, () => rng.int(t.numClasses!)),
            'int32',
          )
        : t.kind === 'binary'
          ? tf.tensor1d(Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 0 : 1)))
          : tf.tensor1d(Array.from({ length: n }, () => rng.normal()));
  }
  const inputs: Record<string, tf.Tensor> = {};
  if (spec.numeric > 0) {
    inputs['numeric'] = tf.tensor2d(
      Array.from({ length: n * spec.numeric }, () => rng.normal()),
      [n, spec.numeric],
    );
  }
  if (spec.categorical.length > 0) {
    inputs['categorical'] = tf.tensor2d(
      Array.from({ length: n * spec.categorical.length }, (_, i) =>
        rng.int(spec.categorical[i % spec.categorical.length]!.vocabSize),
      ),
      [n, spec.categorical.length],
      'int32',
    );
  }
  if (spec.image !== undefined) {
    const { height, width, channels } = spec.image;
    inputs['image'] = tf.tensor4d(
      Array.from({ length: n * height * width * channels }, () => rng.uniform()),
      [n, height, width, channels],
    );
  }
  return { inputs, targets, size: n };
}

function disposeBatch(b: Batch): void {
  tf.dispose([...Object.values(b.inputs), ...Object.values(b.targets)]);
}

const numericSpec: InputSpec = { numeric: 3, categorical: [] };
const bottom =
  (activation: ActivationName, tasks = TASKS, safe = true) =>
  () => {
    const model = sharedBottom({
      hidden: [4],
      towerHidden: [3],
      activation,
      secondOrderSafe: safe,
    }).build(numericSpec, tasks, createRng(7));
    return { model, batch: tabularBatch(numericSpec, tasks, 6, 3) };
  };

const cases: Case[] = [
  ...(['relu', 'softplus', 'tanh', 'sigmoid', 'linear'] as const).map((a) => ({
    name: `shared-bottom, ${a} (binary logloss, mse, cross-entropy)`,
    build: bottom(a),
  })),
  {
    name: 'shared-bottom with mae loss',
    build: bottom('tanh', [
      { id: 'a', kind: 'regression', loss: 'mae' },
      { id: 'b', kind: 'regression' },
    ]),
  },
  {
    name: 'MMoE (softmax gates, expert mixture), per-layer R',
    build: () => {
      const model = mmoe({
        numExperts: 2,
        expertHidden: [3],
        towerHidden: [],
        activation: 'tanh',
        secondOrderSafe: true,
      }).build(numericSpec, TASKS, createRng(8));
      return { model, batch: tabularBatch(numericSpec, TASKS, 6, 4) };
    },
    options: { perLayer: true },
  },
  {
    name: 'categorical embeddings (gather) + numeric, |cos| form',
    build: () => {
      const spec: InputSpec = {
        numeric: 2,
        categorical: [
          { name: 'c1', vocabSize: 5 },
          { name: 'c2', vocabSize: 4 },
        ],
      };
      const model = sharedBottom({
        hidden: [4],
        towerHidden: [],
        embeddingDim: 2,
        activation: 'softplus',
        secondOrderSafe: true,
      }).build(spec, TASKS.slice(0, 2), createRng(9));
      return { model, batch: tabularBatch(spec, TASKS.slice(0, 2), 6, 5) };
    },
    options: { form: 'abs-cos' },
  },
  {
    name: 'image trunk (conv2d, max-pool) with wrtRepresentation',
    build: () => {
      const spec: InputSpec = {
        numeric: 0,
        categorical: [],
        image: { height: 6, width: 6, channels: 1 },
      };
      const model = sharedBottom({
        hidden: [4],
        towerHidden: [],
        convFilters: [2],
        convKernels: [3],
        imageDense: 0,
        activation: 'tanh',
        secondOrderSafe: true,
      }).build(spec, TASKS.slice(0, 2), createRng(10));
      return { model, batch: tabularBatch(spec, TASKS.slice(0, 2), 4, 6) };
    },
    options: { wrtRepresentation: true },
  },
];

const FORWARD = { training: true, rng: createRng(0), step: 0 };

/** λR at the model's current variables, through the engine. */
function penaltyValue(model: MtlModel, batch: Batch, reg: Regularizer): number {
  const s = recordForward(model, batch, {
    forward: { ...FORWARD, rng: createRng(0) },
    regularizers: [reg],
  });
  const v = s.penalties!.dataSync()[0]!;
  s.dispose();
  return v;
}

/**
 * Largest relative error between the engine's ∇(λR) and central differences over the `count`
 * largest gradient entries (shared and heads).
 */
function fdError(model: MtlModel, batch: Batch, reg: Regularizer, count = 4, h = 1e-2): number {
  const s = recordForward(model, batch, {
    forward: { ...FORWARD, rng: createRng(0) },
    regularizers: [reg],
  });
  const grads = s.backward({ additive: true }, ['shared', 'heads']);
  const host = Object.entries(grads).map(([name, g]) => [name, Array.from(g.dataSync())] as const);
  tf.dispose(Object.values(grads));
  s.dispose();
  const entries = host
    .flatMap(([name, g]) => g.map((x, i) => ({ name, i, x })))
    .sort((a, b) => Math.abs(b.x) - Math.abs(a.x))
    .slice(0, count);
  const top = Math.abs(entries[0]!.x);
  expect(top).toBeGreaterThan(1e-4);
  const vars = new Map(
    [...model.shared, ...Object.values(model.perTask).flat()].map((v) => [v.name, v]),
  );
  let worst = 0;
  for (const { name, i, x } of entries) {
    const v = vars.get(name)!;
    const orig = Float32Array.from(v.dataSync());
    const at = (delta: number): number => {
      const p = Float32Array.from(orig);
      p[i] = p[i]! + delta;
      tf.tidy(() => v.assign(tf.tensor(p, v.shape)));
      return penaltyValue(model, batch, reg);
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    tf.tidy(() => v.assign(tf.tensor(orig, v.shape)));
    worst = Math.max(worst, Math.abs(fd - x) / (Math.abs(x) + 0.02 * top));
  }
  return worst;
}

describe('ortho-reg: ∇(λR) by double backward matches finite differences', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { model, batch } = c.build();
    const before = tf.memory().numTensors;
    const reg = orthoReg({ penalty: 1, ...(c.options ?? {}) });
    expect(penaltyValue(model, batch, reg)).toBeGreaterThan(1e-5);
    expect(fdError(model, batch, reg)).toBeLessThan(0.05);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    disposeBatch(batch);
  });

  it('canary: with raw TF.js sigmoid (secondOrderSafe: false) the gradient differs from the FD-checked one (tfjs#3252)', () => {
    // Same seed, same weights; only the sigmoid implementation differs. The safe model's gradient
    // matches finite differences (case above), so a large gap means the raw one is wrong.
    const grads = (safe: boolean): number[] => {
      const { model, batch } = bottom('sigmoid', TASKS, safe)();
      const s = recordForward(model, batch, {
        forward: { ...FORWARD, rng: createRng(0) },
        regularizers: [orthoReg({ penalty: 1 })],
      });
      const g = s.backward({ additive: true }, ['shared']);
      const out = model.shared.flatMap((v) => Array.from(g[v.name]!.dataSync()));
      tf.dispose(Object.values(g));
      s.dispose();
      model.dispose();
      disposeBatch(batch);
      return out;
    };
    const good = grads(true);
    const raw = grads(false);
    const norm = Math.hypot(...good);
    const gap = Math.hypot(...good.map((x, i) => x - raw[i]!)) / norm;
    // When this fails, TF.js fixed its second-order sigmoid: the safe ops may then be dropped.
    expect(gap).toBeGreaterThan(0.1);
  });
});
