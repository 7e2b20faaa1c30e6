import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chainedModel,
  disposeBatch,
  gatedModel,
  maxAbsDiff,
  mlpModel,
  randomBatch,
  readTree,
} from '../../test/engine-fixtures.js';
import { ConfigError } from '../core/errors.js';
import type { MtlModel, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import type { ParamTree, Regularizer } from '../core/types.js';
import {
  modelVariables,
  recordForward,
  taskGradients,
  type EnginePath,
  type GradientSession,
  type JacobianMode,
  type SessionOptions,
} from './jacobian.js';

const tasks: TaskSpec[] = [
  { id: 'click', kind: 'binary' },
  { id: 'value', kind: 'regression' },
  { id: 'kind', kind: 'multiclass', numClasses: 3 },
];

const opts = (extra: Partial<SessionOptions> = {}): SessionOptions => ({
  forward: { training: true, rng: createRng(7), step: 0 },
  ...extra,
});

function countTrunk(model: MtlModel): { model: MtlModel; calls: () => number } {
  let n = 0;
  return {
    model: {
      ...model,
      trunk: (i, o) => {
        n++;
        return model.trunk(i, o);
      },
    },
    calls: () => n,
  };
}

interface Snapshot {
  losses: Float32Array;
  blocks: Record<string, Float32Array>;
  heads: Record<string, Float32Array>;
  extra: Record<string, Float32Array>;
}

function snapshot(s: GradientSession, mode: JacobianMode): Snapshot {
  const g = s.taskJacobian(mode);
  const out = {
    losses: s.lossVector.dataSync() as Float32Array,
    blocks: readTree(g.jacobian.blocks),
    heads: readTree(g.heads),
    extra: readTree(g.extra),
  };
  tf.dispose([g.jacobian.blocks, g.heads, g.extra] as unknown as tf.Tensor[]);
  return out;
}

/** Host copy of a tree the caller owns, then frees it. */
function take(tree: ParamTree): Record<string, Float32Array> {
  const out = readTree(tree);
  disposeTrees(tree);
  return out;
}

function disposeTrees(...trees: ParamTree[]): void {
  for (const t of trees) tf.dispose(Object.values(t));
}

function session(
  model: MtlModel,
  batch: ReturnType<typeof randomBatch>,
  engine: EnginePath,
  o = opts(),
) {
  return recordForward(model, batch, { ...o, engine });
}

const models: [string, () => MtlModel][] = [
  [
    'chained features [x, h(x), z(h)] (input passed through)',
    () => chainedModel({ tasks, inputDim: 5 }),
  ],
  [
    'MLP (K = 3, extra variable and aux loss)',
    () => mlpModel({ tasks, inputDim: 5, withExtra: true }),
  ],
  ['MMoE with softmax gates', () => gatedModel({ tasks, inputDim: 5 })],
];

describe.each(models)('%s', (_, make) => {
  const model = make();
  const batch = randomBatch(tasks, 16, 5);
  afterAll(() => {
    model.dispose();
    disposeBatch(batch);
  });

  it.each(['params', 'features'] as const)(
    '%s mode: the tape engine equals K separate tf.variableGrads bit for bit, with one forward',
    (mode) => {
      const counted = countTrunk(model);
      const tape = session(counted.model, batch, 'tape');
      const a = snapshot(tape, mode);
      tape.dispose();
      expect(counted.calls()).toBe(1);
      const naive = session(model, batch, 'naive');
      const b = snapshot(naive, mode);
      naive.dispose();
      expect(maxAbsDiff({ l: a.losses }, { l: b.losses })).toBeLessThanOrEqual(1e-6);
      expect(Object.keys(a.blocks).length).toBeGreaterThan(0);
      // Same kernels in the same order: bit for bit on the cpu backend.
      expect(maxAbsDiff(a.blocks, b.blocks)).toBe(0);
      expect(maxAbsDiff(a.heads, b.heads)).toBe(0);
      expect(maxAbsDiff(a.extra, b.extra)).toBe(0);
      // Negative control: rows of different tasks differ.
      const first = Object.values(a.blocks)[0]!;
      const row = first.length / tasks.length;
      let d = 0;
      for (let i = 0; i < row; i++) d = Math.max(d, Math.abs(first[i]! - first[row + i]!));
      expect(d).toBeGreaterThan(1e-4);
    },
  );

  it('heads get their own task gradient only, and a weighted backward is Σ_k w_k J_k', () => {
    const s = session(model, batch, 'tape');
    const { jacobian, heads } = s.taskJacobian('params');
    const w = [0.5, -1.25, 2];
    const g = s.backward({ lossWeights: w }, ['shared', 'heads']);
    const J = readTree(jacobian.blocks);
    const G = readTree(g);
    for (const v of s.variables.shared) {
      const blk = J[v.name]!;
      const n = blk.length / 3;
      const want = new Float32Array(n).map(
        (_, i) => w[0]! * blk[i]! + w[1]! * blk[n + i]! + w[2]! * blk[2 * n + i]!,
      );
      expect(maxAbsDiff({ x: want }, { x: G[v.name]! })).toBeLessThanOrEqual(1e-5);
    }
    const H = readTree(heads);
    tasks.forEach((t, k) => {
      for (const v of s.variables.heads[t.id]!) {
        const want = H[v.name]!.map((x) => x * w[k]!);
        expect(maxAbsDiff({ x: want }, { x: G[v.name]! })).toBeLessThanOrEqual(1e-5);
      }
    });
    const own = take(s.headGrads());
    expect(maxAbsDiff(own, H)).toBe(0);
    disposeTrees(jacobian.blocks, heads, g);
    s.dispose();
  });

  it('features mode: one trunk backward with the combined cotangent equals the naive trunk VJP', () => {
    const t = session(model, batch, 'tape');
    const n = session(model, batch, 'naive');
    const { jacobian, heads } = t.taskJacobian('features');
    // d = Σ_k w_k dZ_k; the trunk backward must equal Σ_k w_k ∂L_k/∂θ_shared.
    const w = [0.3, 0.9, -0.4];
    const d: Record<string, tf.Tensor> = {};
    for (const [key, blk] of Object.entries(jacobian.blocks)) {
      d[key] = tf.tidy(() =>
        tf.sum(tf.mul(blk, tf.reshape(tf.tensor1d(w), [3, ...blk.shape.slice(1).map(() => 1)])), 0),
      );
    }
    const counted = t.backwardPasses;
    const viaTrunk = take(t.backward({ features: d }, ['shared']));
    expect(t.backwardPasses).toBe(counted + 1);
    const oracle = take(n.backward({ features: d }, ['shared']));
    const direct = take(t.backward({ lossWeights: w }, ['shared']));
    expect(maxAbsDiff(viaTrunk, oracle)).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(viaTrunk, direct)).toBeLessThanOrEqual(1e-5);
    disposeTrees(jacobian.blocks, heads, d);
    t.dispose();
    n.dispose();
  });

  it('does not leak tensors (tape and naive, 3 rounds)', () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      for (const engine of ['tape', 'naive'] as const) {
        const s = session(model, batch, engine);
        for (const mode of ['params', 'features'] as const) {
          const g = s.taskJacobian(mode);
          disposeTrees(g.jacobian.blocks, g.heads, g.extra);
        }
        disposeTrees(
          s.headGrads(),
          s.backward({ lossWeights: [1, 1, 1], additive: true }, ['shared', 'heads', 'extra']),
        );
        s.dispose();
        s.dispose();
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('engine details', () => {
  it('never disposes tensors the forward did not create (a batch input returned as a feature)', () => {
    const model = chainedModel({ tasks, inputDim: 4 });
    const batch = randomBatch(tasks, 6, 4);
    for (const engine of ['tape', 'naive'] as const) {
      const s = session(model, batch, engine);
      const g = s.taskJacobian('features');
      disposeTrees(g.jacobian.blocks, g.heads, g.extra);
      s.dispose();
      expect(batch.inputs.numeric!.isDisposed).toBe(false);
    }
    model.dispose();
    disposeBatch(batch);
  });

  it('extra variables get Σ_k ∂L_k/∂extra; additive terms (aux loss) reach them in backward()', () => {
    const model = mlpModel({ tasks, inputDim: 4, withExtra: true });
    const batch = randomBatch(tasks, 8, 4);
    const s = session(model, batch, 'tape');
    const gain = model.extra![0]!;
    const { jacobian, heads, extra } = s.taskJacobian('params');
    const summed = take(s.backward({ lossWeights: [1, 1, 1] }, ['extra']));
    expect(maxAbsDiff(readTree(extra), summed)).toBeLessThanOrEqual(1e-6);
    const withAux = take(s.backward({ lossWeights: [1, 1, 1], additive: true }, ['extra']));
    // aux = 0.1·gain², gain = 1.2 → +0.24
    expect(withAux[gain.name]![0]! - summed[gain.name]![0]!).toBeCloseTo(0.24, 5);
    expect(s.hasAdditive).toBe(true);
    disposeTrees(jacobian.blocks, heads, extra);
    s.dispose();
    model.dispose();
    disposeBatch(batch);
  });

  it('a task without labelled rows gets a zero row and a zero labelled count', () => {
    const model = mlpModel({ tasks, inputDim: 4 });
    const batch = randomBatch(tasks, 6, 4, 5, { masks: { value: [0, 0, 0, 0, 0, 0] } });
    const r = taskGradients(model, batch, opts());
    expect(Array.from(r.labelled.dataSync())).toEqual([6, 0, 6]);
    expect(r.losses.dataSync()[1]).toBe(0);
    for (const blk of Object.values(r.jacobian.blocks)) {
      const v = blk.dataSync();
      const n = v.length / 3;
      for (let i = n; i < 2 * n; i++) expect(v[i]).toBe(0);
    }
    tf.dispose([r.losses, r.labelled]);
    disposeTrees(r.jacobian.blocks, r.heads, r.extra);
    model.dispose();
    disposeBatch(batch);
  });

  it('dropout: the tape engine advances the rng like one forward and matches the replaying naive engine', () => {
    const model = mlpModel({ tasks, inputDim: 4, dropout: 0.5 });
    const batch = randomBatch(tasks, 8, 4);
    const r1 = createRng(11);
    const r2 = createRng(11);
    const t = recordForward(model, batch, { forward: { training: true, rng: r1, step: 0 } });
    const n = recordForward(model, batch, {
      forward: { training: true, rng: r2, step: 0 },
      engine: 'naive',
    });
    expect(r1.state()).toEqual(r2.state());
    expect(r1.state()).not.toEqual(createRng(11).state());
    expect(
      maxAbsDiff(snapshot(t, 'params').blocks, snapshot(n, 'params').blocks),
    ).toBeLessThanOrEqual(1e-6);
    t.dispose();
    n.dispose();
    model.dispose();
    disposeBatch(batch);
  });

  it('refuses nested recording and inconsistent variable groups', () => {
    const model = mlpModel({ tasks, inputDim: 4 });
    const batch = randomBatch(tasks, 4, 4);
    expect(() =>
      tf.grad((x: tf.Tensor) => {
        recordForward(model, batch, opts());
        return tf.sum(x);
      })(tf.scalar(1)),
    ).toThrow(/inside another gradient scope/);
    const dup = { ...model, extra: [model.shared[0]!] };
    expect(() => modelVariables(dup)).toThrow(ConfigError);
    model.dispose();
    disposeBatch(batch);
  });
});

describe('regularizers', () => {
  // Order 2: R = λ Σ_{i<j} ⟨g_i, g_j⟩² over the shared parameters (a function of the gradients).
  const lambda = 0.05;
  const pairwise = (wrt: 'params' | 'features'): Regularizer => ({
    id: 'pairwise-dot',
    config: {},
    order: 2,
    wrt,
    penalty(input) {
      const g = input.taskGradients!;
      const terms: tf.Scalar[] = [];
      for (let i = 0; i < g.length; i++) {
        for (let j = i + 1; j < g.length; j++) {
          const dot = tf.addN(Object.keys(g[i]!).map((k) => tf.sum(tf.mul(g[i]![k]!, g[j]![k]!))));
          terms.push(tf.square(dot) as tf.Scalar);
        }
      }
      return tf.mul(lambda, tf.addN(terms)) as tf.Scalar;
    },
  });
  const l2: Regularizer = {
    id: 'l2',
    config: {},
    order: 1,
    penalty: (input) =>
      tf.mul(0.5, tf.addN(input.shared.map((v) => tf.sum(tf.square(v))))) as tf.Scalar,
  };
  const two = tasks.slice(0, 2);

  it.each(['params', 'features'] as const)(
    'order 2 (%s): the penalty gradient equals the nested-variableGrads oracle and finite differences',
    (wrt) => {
      const model = mlpModel({ tasks: two, inputDim: 3, hidden: 4 });
      const batch = randomBatch(two, 8, 3);
      const regularizers = [pairwise(wrt)];
      const before = tf.memory().numTensors;
      const t = recordForward(model, batch, { ...opts(), regularizers });
      const gt = take(t.backward({ additive: true }, ['shared', 'heads']));
      const penalty = t.penalties!.dataSync()[0]!;
      t.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const n = recordForward(model, batch, { ...opts(), regularizers, engine: 'naive' });
      const gn = take(n.backward({ additive: true }, ['shared', 'heads']));
      expect(n.penalties!.dataSync()[0]).toBeCloseTo(penalty, 6);
      n.dispose();
      expect(maxAbsDiff(gt, gn)).toBeLessThanOrEqual(1e-5);
      // Finite differences of the penalty value on a few entries of the first shared matrix.
      const w = model.shared[0]!;
      const base = Float32Array.from(w.dataSync());
      const penaltyAt = (values: Float32Array): number => {
        tf.tidy(() => w.assign(tf.tensor(values, w.shape)));
        const s = recordForward(model, batch, { ...opts(), regularizers });
        const p = s.penalties!.dataSync()[0]!;
        s.dispose();
        return p;
      };
      const eps = 1e-2;
      for (const idx of [0, 5, 10]) {
        const p = base.slice();
        const m = base.slice();
        p[idx]! += eps;
        m[idx]! -= eps;
        const fd = (penaltyAt(p) - penaltyAt(m)) / (2 * eps);
        const an = gt[w.name]![idx]!;
        expect(Math.abs(fd - an)).toBeLessThanOrEqual(
          2e-2 * Math.max(1e-3, Math.abs(an), Math.abs(fd)),
        );
      }
      tf.tidy(() => w.assign(tf.tensor(base, w.shape)));
      model.dispose();
      disposeBatch(batch);
    },
  );

  it('order 2 on chained features: tape equals the naive oracle (partial derivatives per feature)', () => {
    const model = chainedModel({ tasks: two, inputDim: 3 });
    const batch = randomBatch(two, 8, 3);
    const regularizers = [pairwise('features')];
    const t = recordForward(model, batch, { ...opts(), regularizers });
    const gt = take(t.backward({ additive: true }, ['shared', 'heads']));
    const pt = t.penalties!.dataSync()[0]!;
    t.dispose();
    const n = recordForward(model, batch, { ...opts(), regularizers, engine: 'naive' });
    const gn = take(n.backward({ additive: true }, ['shared', 'heads']));
    expect(n.penalties!.dataSync()[0]).toBeCloseTo(pt, 6);
    n.dispose();
    expect(pt).toBeGreaterThan(0);
    expect(maxAbsDiff(gt, gn)).toBeLessThanOrEqual(1e-5);
    model.dispose();
    disposeBatch(batch);
  });

  it('order 2 params-mode Jacobian reuses the recorded per-task gradients (same values, no extra pass)', () => {
    const model = mlpModel({ tasks: two, inputDim: 3, hidden: 4 });
    const batch = randomBatch(two, 8, 3);
    const t = recordForward(model, batch, { ...opts(), regularizers: [pairwise('params')] });
    const a = snapshot(t, 'params');
    expect(t.backwardPasses).toBe(0);
    t.dispose();
    const n = recordForward(model, batch, opts());
    const b = snapshot(n, 'params');
    n.dispose();
    expect(maxAbsDiff(a.blocks, b.blocks)).toBeLessThanOrEqual(1e-6);
    model.dispose();
    disposeBatch(batch);
  });

  it('order 1: an L2 penalty adds θ to the gradient', () => {
    const model = mlpModel({ tasks: two, inputDim: 3, hidden: 4 });
    const batch = randomBatch(two, 8, 3);
    const s = recordForward(model, batch, { ...opts(), regularizers: [l2] });
    const plain = take(s.backward({ lossWeights: [1, 1] }, ['shared']));
    const reg = take(s.backward({ lossWeights: [1, 1], additive: true }, ['shared']));
    for (const v of model.shared) {
      const want = plain[v.name]!.map((x, i) => x + v.dataSync()[i]!);
      expect(maxAbsDiff({ x: want }, { x: reg[v.name]! })).toBeLessThanOrEqual(1e-6);
    }
    s.dispose();
    model.dispose();
    disposeBatch(batch);
  });
});
