// Data-parallel gradients over worker threads equal the single-thread gradient up to float
// summation order. Workers need JavaScript: the backend and core sources are transpiled first.
import * as tf from '@tensorflow/tfjs';
import { fc, test as fcTest } from '@fast-check/vitest';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { benchMlpBatch, benchMlpHost, benchMlpProgram } from './bench-mlp.js';
import { initBackend } from './init.js';
import { createDataParallel, shardRanges, type DataParallel } from './parallel.js';
import { relDiff } from './reference.js';
import { transpileSources } from '../../test/helpers/transpile.js';

const { outDir, remove } = transpileSources('manytask-parallel-test', ['backend', 'core']);

const SIZES = { k: 3, batch: 63, input: 12, hidden: 16, output: 4, seed: 9 };
const host = benchMlpHost(SIZES);
const flatParams = (): Float32Array => {
  const n = host.params.reduce((s, p) => s + p.length, 0);
  const out = new Float32Array(n);
  let off = 0;
  for (const p of host.params) {
    out.set(p, off);
    off += p.length;
  }
  return out;
};

/** The same program on the main thread over the whole batch (the single-thread reference). */
function reference(
  mode: 'ew' | 'jacobian',
  params: Float32Array,
): { grad: Float32Array; losses: Float64Array } {
  const p = benchMlpProgram({ ...SIZES, mode });
  const views: Float32Array[] = [];
  let off = 0;
  for (const shape of p.shapes) {
    const n = shape.reduce((a, d) => a * d, 1);
    views.push(params.subarray(off, off + n));
    off += n;
  }
  p.setParams(views);
  const grad = new Float32Array(off * p.rows);
  const losses = new Float64Array(p.tasks);
  p.compute(benchMlpBatch(host), 0, SIZES.batch, grad, losses);
  p.dispose();
  return { grad, losses };
}

const pools: DataParallel[] = [];
async function pool(mode: 'ew' | 'jacobian'): Promise<DataParallel> {
  const dp = await createDataParallel({
    workers: 2,
    workerUrl: pathToFileURL(join(outDir, 'backend', 'parallel-worker.js')),
    program: {
      module: pathToFileURL(join(outDir, 'backend', 'bench-mlp.js')).href,
      exportName: 'benchMlpProgram',
      options: { ...SIZES, mode },
    },
  });
  pools.push(dp);
  dp.params.set(flatParams());
  await dp.setBatch(benchMlpBatch(host));
  return dp;
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', blas: 'off', quiet: true });
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.dispose()));
  remove();
  await tf.setBackend('cpu');
});

describe('shardRanges', () => {
  fcTest.prop([fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 16 })])(
    'tiles 0..B contiguously with sizes differing by at most one',
    (b, w) => {
      const r = shardRanges(b, w);
      expect(r).toHaveLength(w);
      expect(r[0]![0]).toBe(0);
      expect(r[w - 1]![1]).toBe(b);
      r.forEach(([lo, hi], i) => {
        if (i > 0) expect(lo).toBe(r[i - 1]![1]);
        expect(hi - lo).toBeGreaterThanOrEqual(Math.floor(b / w));
        expect(hi - lo).toBeLessThanOrEqual(Math.ceil(b / w));
      });
    },
  );
});

describe('createDataParallel (2 workers, wasm)', () => {
  it('EW gradient and losses equal the single-thread ones (unequal shards 31 + 32)', async () => {
    const dp = await pool('ew');
    expect(dp.rows).toBe(1);
    expect(dp.tasks).toBe(3);
    expect(dp.size).toBe(flatParams().length);
    const got = await dp.gradient();
    const ref = reference('ew', flatParams());
    expect(relDiff(got.grad, ref.grad)).toBeLessThan(1e-5);
    expect(relDiff(got.losses, ref.losses)).toBeLessThan(1e-6);
    // Negative control: an unweighted mean of the two shards is measurably different.
    expect(relDiff(got.grad, ref.grad)).toBeLessThan(
      relDiff(halfHalf(dp, got.grad), ref.grad) / 10,
    );
  });

  it('sees parameter updates written by the main thread (an SGD step)', async () => {
    const dp = pools[0] ?? (await pool('ew'));
    const g0 = (await dp.gradient()).grad.slice();
    for (let j = 0; j < dp.size; j++)
      dp.params[j] = (dp.params[j] as number) - 0.1 * (g0[j] as number);
    const got = await dp.gradient();
    const ref = reference('ew', dp.params.slice());
    expect(relDiff(got.grad, ref.grad)).toBeLessThan(1e-5);
    expect(relDiff(got.grad, g0)).toBeGreaterThan(1e-3);
    dp.params.set(flatParams());
  });

  it('reports each worker thread its cumulative CPU time (Linux procfs), never decreasing', async () => {
    const dp = pools[0] ?? (await pool('ew'));
    const before = dp.threadCpuMs();
    expect(before).toHaveLength(2);
    await dp.gradient();
    const after = dp.threadCpuMs();
    after.forEach((c, i) => {
      if (process.platform === 'linux') expect(c).toBeGreaterThanOrEqual(before[i]!);
      else expect(Number.isNaN(c) || c >= before[i]!).toBe(true);
    });
  });

  it('per-task Jacobian rows (K × D) equal the single-thread ones', async () => {
    const dp = await pool('jacobian');
    expect(dp.rows).toBe(3);
    const got = await dp.gradient();
    const ref = reference('jacobian', flatParams());
    for (let k = 0; k < 3; k++) {
      const row = (a: Float32Array): Float32Array => a.subarray(k * dp.size, (k + 1) * dp.size);
      expect(relDiff(row(got.grad), row(ref.grad)), `task ${k}`).toBeLessThan(1e-5);
    }
    expect(relDiff(got.losses, ref.losses)).toBeLessThan(1e-6);
  });

  it('rejects bad options and reports a program that fails to load', async () => {
    await expect(
      createDataParallel({ workers: 0, program: { module: 'x', exportName: 'y', options: {} } }),
    ).rejects.toThrow(ConfigError);
    await expect(
      createDataParallel({
        workers: 1,
        workerUrl: pathToFileURL(join(outDir, 'backend', 'parallel-worker.js')),
        program: {
          module: pathToFileURL(join(outDir, 'backend', 'bench-mlp.js')).href,
          exportName: 'noSuchProgram',
          options: {},
        },
      }),
    ).rejects.toThrow(/worker 0: .*no function export 'noSuchProgram'/);
  });
});

/** What an unweighted (½, ½) combination of the shard gradients would give. */
function halfHalf(dp: DataParallel, weighted: Float32Array): Float32Array {
  // Recover the shard gradients from the single-thread program on each range.
  const [[a0, a1], [b0, b1]] = shardRanges(SIZES.batch, 2) as [[number, number], [number, number]];
  const p = benchMlpProgram({ ...SIZES, mode: 'ew' });
  const ga = new Float32Array(dp.size);
  const gb = new Float32Array(dp.size);
  const l = new Float64Array(p.tasks);
  p.compute(benchMlpBatch(host), a0, a1, ga, l);
  p.compute(benchMlpBatch(host), b0, b1, gb, l);
  p.dispose();
  expect(weighted.length).toBe(dp.size);
  return ga.map((v, j) => 0.5 * v + 0.5 * (gb[j] as number));
}
