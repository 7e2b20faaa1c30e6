// Equality of the wasm kernel overrides with the stock wasm kernels and with float64 references.
import * as tf from '@tensorflow/tfjs';
import { fc, test as fcTest } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { backendInfo, initBackend } from './init.js';
import {
  activeOverrides,
  installWasmOverrides,
  restoreStockKernels,
  SUM_LEADING_AXIS,
  swapInner,
  TRANSPOSE_FIX,
} from './kernels.js';
import { naiveMatMul, naiveSum, relDiff } from './reference.js';

const rng = createRng(7);
const randn = (shape: number[]): tf.Tensor =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.normal()),
    shape,
  );

/** Runs `f` with the stock wasm kernels, then puts the overrides back. */
function withStock<T>(f: () => T): T {
  restoreStockKernels();
  try {
    return f();
  } finally {
    installWasmOverrides();
  }
}

function read(t: tf.Tensor): Float32Array {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', blas: 'off', quiet: true });
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('initBackend on wasm', () => {
  it('installs both overrides once and reports them', async () => {
    const info = await initBackend({ prefer: 'wasm', blas: 'off', quiet: true });
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.kernels).toEqual([TRANSPOSE_FIX, SUM_LEADING_AXIS]);
    expect(info.blas).toBeUndefined();
    expect(info.blasUnavailable).toMatch(/blas: off/);
    // Idempotent: same object, same registered kernels.
    expect(await initBackend({ prefer: 'wasm', blas: 'off', quiet: true })).toBe(info);
    expect(installWasmOverrides()).toEqual([TRANSPOSE_FIX, SUM_LEADING_AXIS]);
    expect(backendInfo()).toBe(info);
  });

  it('logs exactly one info line naming the active path', async () => {
    const lines: string[] = [];
    await initBackend({ prefer: 'cpu', log: (l) => lines.push(l) });
    const info = await initBackend({ prefer: 'wasm', blas: 'off', log: (l) => lines.push(l) });
    await initBackend({ prefer: 'wasm', blas: 'off', log: (l) => lines.push(l) });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/backend cpu/);
    expect(lines[1]).toBe(info.message);
    expect(lines[1]).toMatch(/backend wasm/);
  });

  it('uses tfjs-node only when installed: prefer tensorflow without it is a ConfigError', async () => {
    let installed = true;
    try {
      const name = '@tensorflow/tfjs-node';
      await import(name);
    } catch {
      installed = false;
    }
    if (installed) {
      expect((await initBackend({ prefer: 'tensorflow', quiet: true })).name).toBe('tensorflow');
    } else {
      await expect(initBackend({ prefer: 'tensorflow', quiet: true })).rejects.toThrow(
        /initBackend: prefer 'tensorflow' needs @tensorflow\/tfjs-node.*npm install/,
      );
      // auto falls through to wasm.
      expect((await initBackend({ prefer: 'auto', blas: 'off', quiet: true })).name).toBe('wasm');
    }
    await initBackend({ prefer: 'wasm', blas: 'off', quiet: true });
  });

  it('rejects bad options with a message naming the option', async () => {
    await expect(initBackend({ prefer: 'gpu' as 'wasm' })).rejects.toThrow(/initBackend.*prefer/);
    await expect(initBackend({ blasThreads: 0 })).rejects.toThrow(/blasThreads/);
  });

  it('swapInner swaps only the last two axes', () => {
    expect(swapInner(2)).toEqual([1, 0]);
    expect(swapInner(4)).toEqual([0, 1, 3, 2]);
  });
});

describe('BatchMatMul transpose fix', () => {
  const cases: [string, number[], number[], boolean, boolean][] = [
    ['NN', [33, 17], [17, 9], false, false],
    ['TN', [17, 33], [17, 9], true, false],
    ['NT', [33, 17], [9, 17], false, true],
    ['TT', [17, 33], [9, 17], true, true],
    ['batched NT', [3, 6, 5], [3, 4, 5], false, true],
    ['batched TN', [2, 5, 6], [2, 5, 4], true, false],
    ['broadcast batch TN', [1, 5, 6], [3, 5, 4], true, false],
    // Shapes where transposing B and the product is cheaper than transposing A (swapped form).
    ['batched TN swapped', [2, 7, 9], [2, 7, 2], true, false],
    ['broadcast TN swapped', [3, 7, 9], [1, 7, 2], true, false],
    ['broadcast NT swapped', [1, 2, 9], [3, 8, 9], false, true],
    ['batched TT swapped', [2, 9, 3], [2, 4, 9], true, true],
  ];

  it.each(cases)('%s equals the stock kernel and the float64 product', (_, sa, sb, ta, tb) => {
    const a = randn(sa);
    const b = randn(sb);
    const fixed = read(tf.matMul(a, b, ta, tb));
    const stock = withStock(() => read(tf.matMul(a, b, ta, tb)));
    expect(relDiff(fixed, stock)).toBeLessThan(1e-6);
    // Batch-by-batch float64 reference (b is broadcast when its batch is 1, and vice versa).
    const av = a.dataSync();
    const bv = b.dataSync();
    const batch = Math.max(
      sa.length > 2 ? (sa[0] as number) : 1,
      sb.length > 2 ? (sb[0] as number) : 1,
    );
    const ma = (sa.at(-2) as number) * (sa.at(-1) as number);
    const mb = (sb.at(-2) as number) * (sb.at(-1) as number);
    const ref: number[] = [];
    for (let i = 0; i < batch; i++) {
      const ai = sa.length > 2 && sa[0] !== 1 ? i : 0;
      const bi = sb.length > 2 && sb[0] !== 1 ? i : 0;
      const p = naiveMatMul(
        av.subarray(ai * ma, (ai + 1) * ma),
        [sa.at(-2) as number, sa.at(-1) as number],
        bv.subarray(bi * mb, (bi + 1) * mb),
        [sb.at(-2) as number, sb.at(-1) as number],
        ta,
        tb,
      );
      ref.push(...p.data);
    }
    expect(relDiff(fixed, ref)).toBeLessThan(1e-5);
    a.dispose();
    b.dispose();
  });

  fcTest.prop(
    [
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 12 }),
      fc.boolean(),
      fc.boolean(),
    ],
    { numRuns: 25 },
  )('random shapes and flags match the float64 product', (m, k, n, ta, tb) => {
    const sa = ta ? [k, m] : [m, k];
    const sb = tb ? [n, k] : [k, n];
    const a = randn(sa);
    const b = randn(sb);
    const got = read(tf.matMul(a, b, ta, tb));
    const ref = naiveMatMul(
      a.dataSync(),
      sa as [number, number],
      b.dataSync(),
      sb as [number, number],
      ta,
      tb,
    );
    expect(relDiff(got, ref.data)).toBeLessThan(1e-5);
    a.dispose();
    b.dispose();
  });

  it.each([
    ['Gram A·Aᵀ (same tensor)', [5, 20000], null, false, true],
    ['Gram A·Bᵀ', [5, 20000], [3, 20000], false, true],
    // 20003 = 8·2500 + 3: the SIMD kernel's multiple of 8 plus the JavaScript tail.
    ['Gram A·Aᵀ with a ragged inner dimension', [7, 20003], null, false, true],
    // wᵀ·J of a Jacobian block (SIMD axpy rows); 20001 = 4·5000 + 1 leaves a JavaScript tail.
    ['skinny wᵀ·J', [1, 8], [8, 20001], false, false],
    ['skinny A·B', [3, 5], [5, 16384], false, false],
  ] as [string, number[], number[] | null, boolean, boolean][])(
    '%s (long dimension) equals the stock kernel and the float64 product',
    (_, sa, sb, ta, tb) => {
      const a = randn(sa);
      const b = sb === null ? a : randn(sb);
      const got = read(tf.matMul(a, b, ta, tb));
      const stock = withStock(() => read(tf.matMul(a, b, ta, tb)));
      const ref = naiveMatMul(
        a.dataSync(),
        sa as [number, number],
        b.dataSync(),
        (sb ?? sa) as [number, number],
        ta,
        tb,
      );
      expect(relDiff(got, ref.data)).toBeLessThan(1e-6);
      expect(relDiff(got, stock)).toBeLessThan(1e-5);
      a.dispose();
      if (b !== a) b.dispose();
    },
  );

  it('frees its temporary transposes (no tensor or wasm buffer leak)', () => {
    const a = randn([8, 5]);
    const b = randn([6, 5]);
    const c = randn([8, 3]);
    const be = tf.backend() as unknown as { numDataIds(): number };
    const tensors = tf.memory().numTensors;
    const buffers = be.numDataIds();
    for (let i = 0; i < 3; i++) {
      tf.matMul(a, b, false, true).dispose();
      tf.matMul(a, c, true, false).dispose();
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(be.numDataIds()).toBe(buffers);
    for (const t of [a, b, c]) t.dispose();
  });
});

describe('Sum leading-axis fix', () => {
  const shape = [6, 5, 4];
  const axisCases: [number | number[], boolean][] = [
    [0, false],
    [0, true],
    [[0, 1], false],
    [[1, 0], true],
    [-3, false],
    [1, false],
    [2, true],
    [[0, 2], false],
    [[1, 2], true],
    [[0, 1, 2], false],
    [[0, 1, 2], true],
  ];

  it.each(axisCases)('axis %j keepDims %s equals stock and float64 sums', (axis, keepDims) => {
    const x = randn(shape);
    const fixedT = tf.sum(x, axis, keepDims);
    const outShape = fixedT.shape;
    const fixed = read(fixedT);
    const stockT = withStock(() => tf.sum(x, axis, keepDims));
    expect(stockT.shape).toEqual(outShape);
    expect(relDiff(fixed, read(stockT))).toBeLessThan(1e-5);
    const ref = naiveSum(x.dataSync(), shape, Array.isArray(axis) ? axis : [axis]);
    // 1e-5: the cases the override leaves to the stock kernel accumulate in float32.
    expect(relDiff(fixed, ref)).toBeLessThan(1e-5);
    x.dispose();
  });

  it.each([
    [[3, 4, 5, 6], [1, 2], false],
    [[3, 4, 5, 6], [1], true],
    [[3, 4, 5, 6], [0, 1, 2], false],
    [[64, 4, 8], [1], false],
  ] as [number[], number[], boolean][])(
    'middle and leading runs of a rank-%# tensor equal stock and float64 sums',
    (shape, axis, keepDims) => {
      const x = randn(shape);
      const fixedT = tf.sum(x, axis, keepDims);
      const fixedShape = fixedT.shape;
      const fixed = read(fixedT);
      const stockT = withStock(() => tf.sum(x, axis, keepDims));
      expect(stockT.shape).toEqual(fixedShape);
      expect(relDiff(fixed, read(stockT))).toBeLessThan(1e-5);
      expect(relDiff(fixed, naiveSum(x.dataSync(), shape, axis))).toBeLessThan(1e-6);
      x.dispose();
    },
  );

  it('leaves int32 sums to the stock kernel (exact integers)', () => {
    const x = tf
      .tensor2d([
        [1, 2, 3],
        [4, 5, 6],
      ])
      .toInt();
    const s = tf.sum(x, 0);
    expect(s.dtype).toBe('int32');
    expect(Array.from(s.dataSync())).toEqual([5, 7, 9]);
    s.dispose();
    x.dispose();
  });

  it('sums the 1024×512 bias-gradient shape like float64 to 1e-6', () => {
    const x = randn([1024, 512]);
    const got = read(tf.sum(x, 0));
    expect(relDiff(got, naiveSum(x.dataSync(), [1024, 512], [0]))).toBeLessThan(1e-6);
    x.dispose();
  });
});

describe('gradients of a small MLP with the overrides', () => {
  it('equal the stock kernels to relative 1e-5, with the same loss', () => {
    const r = createRng(11);
    const init = (shape: number[], scale: number): tf.Variable =>
      tf.variable(
        tf.tensor(
          Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => r.normal() * scale),
          shape,
        ),
      );
    const vars = {
      w1: init([16, 32], 0.25),
      b1: init([32], 0.1),
      w2: init([32, 32], 0.18),
      b2: init([32], 0.1),
      h1: init([32, 3], 0.18),
      h2: init([32, 2], 0.18),
    };
    const x = randn([64, 16]);
    const y1 = randn([64, 3]);
    const y2 = randn([64, 2]);
    const loss = (): tf.Scalar =>
      tf.tidy(() => {
        const z = tf.relu(
          tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, vars.w1), vars.b1)), vars.w2), vars.b2),
        );
        return tf.add(
          tf.losses.meanSquaredError(y1, tf.matMul(z, vars.h1)),
          tf.losses.meanSquaredError(y2, tf.matMul(z, vars.h2)),
        ) as tf.Scalar;
      });
    const run = (): { value: number; grads: Record<string, Float32Array> } => {
      const { value, grads } = tf.variableGrads(loss);
      const out: Record<string, Float32Array> = {};
      for (const [k, g] of Object.entries(grads)) out[k] = read(g);
      return { value: read(value)[0] as number, grads: out };
    };
    const before = tf.memory().numTensors;
    const fixed = run();
    const stock = withStock(run);
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(fixed.value - stock.value)).toBeLessThan(1e-6 * Math.abs(stock.value));
    const names = Object.keys(vars);
    for (const name of names) {
      const key = (vars as Record<string, tf.Variable>)[name]!.name;
      expect(relDiff(fixed.grads[key]!, stock.grads[key]!), name).toBeLessThan(1e-5);
    }
    expect(Object.keys(fixed.grads)).toHaveLength(names.length);
    for (const v of Object.values(vars)) v.dispose();
    for (const t of [x, y1, y2]) t.dispose();
    expect(activeOverrides()).toEqual([TRANSPOSE_FIX, SUM_LEADING_AXIS]);
  });
});
