// The benchmark MLP: sizes, FLOP convention, determinism, and the EW SGD step's arithmetic.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  benchMlpHost,
  benchMlpMatmulParams,
  benchMlpSizes,
  benchMlpStepFlop,
  createBenchMlp,
  ewSgdStep,
} from './bench-mlp.js';
import { relDiff } from './reference.js';

describe('bench MLP', () => {
  it('has the PERFORMANCE.md sizes and FLOP counts (K=2: 2.52 GFLOP, K=8: 2.82 GFLOP)', () => {
    const s2 = benchMlpSizes({ k: 2 });
    expect(s2).toEqual({ k: 2, batch: 1024, input: 256, hidden: 512, output: 16, seed: 1 });
    expect(benchMlpMatmulParams(s2)).toBe(409_600);
    expect(benchMlpStepFlop(s2) / 1e9).toBeCloseTo(2.517, 3);
    expect(benchMlpMatmulParams(benchMlpSizes({ k: 8 }))).toBe(458_752);
    expect(() => benchMlpSizes({ k: 0 })).toThrow(/createBenchMlp: option `k`/);
  });

  it('builds identical host data from the same sizes (what workers rely on)', () => {
    const a = benchMlpHost({ k: 3, batch: 8, input: 5, hidden: 6, output: 2 });
    const b = benchMlpHost({ k: 3, batch: 8, input: 5, hidden: 6, output: 2 });
    expect(a.shapes).toHaveLength(4 + 2 * 3);
    expect(a.params.map((p) => Array.from(p))).toEqual(b.params.map((p) => Array.from(p)));
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    const c = benchMlpHost({ k: 3, batch: 8, input: 5, hidden: 6, output: 2, seed: 2 });
    expect(Array.from(c.x)).not.toEqual(Array.from(a.x));
  });

  it('ewSgdStep returns the summed loss and applies p − lr·∇ΣL (checked by finite differences)', () => {
    const m = createBenchMlp({ k: 2, batch: 6, input: 3, hidden: 4, output: 2 });
    const before = tf.memory().numTensors;
    const lossAt = (): number =>
      tf.tidy(() => tf.addN(m.taskLosses(m.trunk(m.x), m.ys)).dataSync()[0] as number);
    const w = m.params[2]!;
    const w0 = w.dataSync().slice();
    // Central difference of ΣL along coordinate 5 of w2, in float32 (loose tolerance).
    const h = 1e-2;
    const bump = (d: number): number => {
      const v = w0.slice();
      v[5] = (v[5] as number) + d;
      tf.tidy(() => w.assign(tf.tensor(v, w.shape)));
      return lossAt();
    };
    const fd = (bump(h) - bump(-h)) / (2 * h);
    tf.tidy(() => w.assign(tf.tensor(w0, w.shape)));
    const l0 = lossAt();
    const lr = 0.1;
    expect(ewSgdStep(m, lr)).toBeCloseTo(l0, 5);
    const w1 = w.dataSync();
    expect(((w0[5] as number) - (w1[5] as number)) / lr).toBeCloseTo(fd, 2);
    expect(tf.memory().numTensors).toBe(before);
    // Descends.
    for (let i = 0; i < 5; i++) ewSgdStep(m, lr);
    expect(lossAt()).toBeLessThan(l0);
    m.dispose();
  });

  it('gives the same step on the wasm backend (with overrides) as on cpu', async () => {
    const run = (): Float32Array[] => {
      const m = createBenchMlp({ k: 3, batch: 32, input: 8, hidden: 16, output: 4 });
      ewSgdStep(m, 0.05);
      const out = m.params.map((p) => p.dataSync() as Float32Array);
      m.dispose();
      return out;
    };
    const onCpu = run();
    const { initBackend } = await import('./init.js');
    await initBackend({ prefer: 'wasm', blas: 'off', quiet: true });
    try {
      const onWasm = run();
      onWasm.forEach((p, i) => expect(relDiff(p, onCpu[i]!), `param ${i}`).toBeLessThan(1e-5));
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
