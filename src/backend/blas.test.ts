// The native BLAS matmul path. The kernel's shape/stride mapping is always tested against a
// JavaScript CBLAS; the real library is tested when one loads here (Debian: libopenblas0-pthread),
// otherwise the clean fallback and its info line are tested instead.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { blasMatMul, candidateLibraries, loadBlas, type BlasHandle } from './blas.js';
import { activeBlas, initBackend } from './init.js';
import {
  installWasmOverrides,
  overrideWasmKernel,
  restoreStockKernels,
  SUM_LEADING_AXIS,
  TRANSPOSE_FIX,
  transposeFixMatMul,
} from './kernels.js';
import { naiveMatMul, relDiff } from './reference.js';

const probe = await loadBlas();
// Visible in the test log: which of the two halves below ran on this machine.
console.info(
  probe.ok
    ? `blas.test: testing the native path with ${probe.handle.library} (${probe.handle.flavour})`
    : `blas.test: no native BLAS here (${probe.reason}); testing the fallback only`,
);

const rng = createRng(3);
const randn = (shape: number[]): tf.Tensor =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.normal()),
    shape,
  );
const read = (t: tf.Tensor): Float32Array => {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
};

/** A CBLAS row-major sgemm written out in JavaScript, counting its calls. */
function jsBlas(): BlasHandle & { calls: number } {
  const h = {
    library: 'js-reference',
    flavour: 'generic' as const,
    threads: null,
    calls: 0,
    setThreads: () => false,
    sgemm(
      ta: boolean,
      tb: boolean,
      m: number,
      n: number,
      k: number,
      a: Float32Array,
      lda: number,
      b: Float32Array,
      ldb: number,
      c: Float32Array,
      ldc: number,
    ): void {
      h.calls++;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++)
            s +=
              (a[ta ? p * lda + i : i * lda + p] as number) *
              (b[tb ? j * ldb + p : p * ldb + j] as number);
          c[i * ldc + j] = s;
        }
    },
  };
  return h;
}

const FLAGS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

/** op(A)·op(B) for an m×k by k×n product with the given flags, checked against float64. */
function checkProduct(m: number, k: number, n: number, ta: boolean, tb: boolean, tol: number) {
  const sa: [number, number] = ta ? [k, m] : [m, k];
  const sb: [number, number] = tb ? [n, k] : [k, n];
  const a = randn(sa);
  const b = randn(sb);
  const got = read(tf.matMul(a, b, ta, tb));
  const ref = naiveMatMul(a.dataSync(), sa, b.dataSync(), sb, ta, tb);
  expect(relDiff(got, ref.data), `${m}×${k}×${n} ta=${ta} tb=${tb}`).toBeLessThan(tol);
  a.dispose();
  b.dispose();
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', blas: 'off', quiet: true });
});
afterAll(async () => {
  await initBackend({ prefer: 'wasm', blas: 'off', quiet: true });
  await tf.setBackend('cpu');
});

describe('blasMatMul kernel (JavaScript CBLAS)', () => {
  it('maps every transpose flag, leading dimension and rank-3 batch-1 shape correctly', () => {
    const js = jsBlas();
    overrideWasmKernel('BatchMatMul', 'test', blasMatMul(js, transposeFixMatMul()!));
    try {
      for (const [ta, tb] of FLAGS) checkProduct(7, 5, 3, ta, tb, 1e-6);
      const out = tf.matMul(randn([1, 4, 6]), randn([1, 6, 2]));
      expect(out.shape).toEqual([1, 4, 2]);
      out.dispose();
      expect(js.calls).toBe(5);
      // Batched products decline to the transpose-fix kernel; results still correct.
      const a = randn([3, 4, 6]);
      const b = randn([3, 5, 6]);
      const got = read(tf.matMul(a, b, false, true));
      expect(js.calls).toBe(5);
      const av = a.dataSync();
      const bv = b.dataSync();
      const ref = [0, 1, 2].flatMap((i) => [
        ...naiveMatMul(
          av.subarray(i * 24, i * 24 + 24),
          [4, 6],
          bv.subarray(i * 30, i * 30 + 30),
          [5, 6],
          false,
          true,
        ).data,
      ]);
      expect(relDiff(got, ref)).toBeLessThan(1e-5);
      a.dispose();
      b.dispose();
      // k = 0 gives zeros without calling BLAS.
      const z = read(tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 2])));
      expect(Array.from(z)).toEqual([0, 0, 0, 0, 0, 0]);
    } finally {
      installWasmOverrides();
    }
  });
});

describe('loadBlas', () => {
  it('lists the usual library names per platform', () => {
    expect(candidateLibraries('linux')[0]).toBe('libopenblas.so.0');
    expect(candidateLibraries('darwin')[0]).toMatch(/Accelerate/);
  });

  it('declines a missing library without throwing', async () => {
    const p = await loadBlas({ library: '/nonexistent/libnothing.so' });
    expect(p.ok).toBe(false);
    expect(p.tried).toEqual(['/nonexistent/libnothing.so']);
    if (!p.ok) expect(p.reason).toMatch(/no BLAS library found.*libnothing/);
  });

  it('makes an explicit blas library that does not load a ConfigError naming the option', async () => {
    const err = await initBackend({
      prefer: 'wasm',
      blas: '/nonexistent/libnothing.so',
      quiet: true,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/initBackend: option `blas`.*blas: 'off'/);
  });
});

describe.runIf(!probe.ok)('without a native BLAS', () => {
  it('falls back to the wasm kernels and says how to enable BLAS', async () => {
    const lines: string[] = [];
    const info = await initBackend({ prefer: 'wasm', blas: 'auto', log: (l) => lines.push(l) });
    expect(info.name).toBe('wasm');
    expect(info.blas).toBeUndefined();
    expect(info.kernels).toEqual([TRANSPOSE_FIX, SUM_LEADING_AXIS]);
    expect(activeBlas()).toBeUndefined();
    expect(lines).toEqual([info.message]);
    expect(info.message).toMatch(/apt-get install libopenblas0-pthread/);
  });
});

describe.runIf(probe.ok)('with a native BLAS', () => {
  it('initBackend routes BatchMatMul to it and reports library and threads', async () => {
    const info = await initBackend({ prefer: 'wasm', blas: 'auto', blasThreads: 1, quiet: true });
    expect(info.blas?.threads === null || info.blas?.threads === 1).toBe(true);
    expect(info.kernels).toContain(TRANSPOSE_FIX);
    expect(info.kernels).toContain(SUM_LEADING_AXIS);
    expect(info.kernels.some((k) => k.startsWith('BatchMatMul:blas('))).toBe(true);
    expect(activeBlas()?.library).toBe(info.blas?.library);
    expect(info.message).toMatch(/native BLAS/);
  });

  it('matches float64 products for all flags, small and layer-sized, at 1 and 2 threads', async () => {
    await initBackend({ prefer: 'wasm', blas: 'auto', blasThreads: 1, quiet: true });
    for (const [ta, tb] of FLAGS) {
      checkProduct(9, 13, 6, ta, tb, 1e-5);
      checkProduct(128, 96, 40, ta, tb, 1e-5);
    }
    await initBackend({ prefer: 'wasm', blas: 'auto', blasThreads: 2, quiet: true });
    for (const [ta, tb] of FLAGS) checkProduct(256, 128, 64, ta, tb, 1e-5);
  });

  it('gives MLP gradients equal to the stock wasm kernels (relative 1e-5)', async () => {
    await initBackend({ prefer: 'wasm', blas: 'auto', blasThreads: 1, quiet: true });
    const r = createRng(5);
    const v = (shape: number[], s: number): tf.Variable =>
      tf.variable(
        tf.tensor(
          Float32Array.from({ length: shape[0]! * (shape[1] ?? 1) }, () => r.normal() * s),
          shape,
        ),
      );
    const vars = [
      v([24, 48], 0.2),
      v([48], 0.1),
      v([48, 48], 0.15),
      v([48], 0.1),
      v([48, 4], 0.15),
    ];
    const [w1, b1, w2, b2, h] = vars as [
      tf.Variable,
      tf.Variable,
      tf.Variable,
      tf.Variable,
      tf.Variable,
    ];
    const x = randn([128, 24]);
    const y = randn([128, 4]);
    const loss = (): tf.Scalar =>
      tf.tidy(() => {
        const z = tf.relu(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2));
        return tf.losses.meanSquaredError(y, tf.matMul(z, h)) as tf.Scalar;
      });
    const grads = (): Float32Array[] => {
      const { value, grads: g } = tf.variableGrads(loss);
      value.dispose();
      return vars.map((u) => read(g[u.name]!));
    };
    const before = tf.memory().numTensors;
    const withBlas = grads();
    restoreStockKernels();
    const stock = grads();
    installWasmOverrides();
    expect(tf.memory().numTensors).toBe(before);
    withBlas.forEach((g, i) => expect(relDiff(g, stock[i]!), `variable ${i}`).toBeLessThan(1e-5));
    for (const t of [...vars, x, y]) t.dispose();
  });
});
