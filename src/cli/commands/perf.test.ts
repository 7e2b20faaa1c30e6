// `manytask perf` on a tiny model: the JSON has every field the docs and tools read. No timing
// assertions (speed is what the command measures, not what tests check).
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../run.js';
import { checkTargets, type PerfRow } from './perf.js';

function capture(): { io: Parameters<typeof runCli>[1]; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: (t) => (out += t), stderr: (t) => (err += t), isTTY: false },
    out: () => out,
    err: () => err,
  };
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('manytask perf', () => {
  it('--json reports machine, backends, one EW row per K with GFLOP/s and memory', async () => {
    const c = capture();
    const code = await runCli(
      [
        'perf',
        '--json',
        '--reps',
        '1',
        '--warmup',
        '0',
        '--k',
        '1,3',
        '--batch',
        '16',
        '--backends',
        'wasm,cpu',
        '--models',
        'mlp',
      ],
      c.io,
    );
    expect(code).toBe(0);
    const r = JSON.parse(c.out()) as {
      machine: { cpus: number };
      backends: Record<string, { name?: string; kernels?: string[] }>;
      rows: PerfRow[];
      targets: unknown[];
    };
    expect(r.machine.cpus).toBeGreaterThan(0);
    expect(r.backends['wasm']?.name).toBe('wasm');
    expect(r.backends['wasm']?.kernels).toContain('BatchMatMul:transpose-fix');
    expect(r.backends['cpu']?.name).toBe('cpu');
    for (const backend of ['wasm', 'cpu'])
      for (const k of [1, 3]) {
        const ew = r.rows.find(
          (x) => x.backend === backend && x.k === k && x.variant === 'ew-plain',
        );
        expect(ew?.ms).toBeGreaterThan(0);
        expect(ew?.gflops).toBeGreaterThan(0);
        expect(ew?.ratioToEw).toBe(1);
        expect(ew?.peakTensorMB).toBeGreaterThan(0);
      }
    // The cpu path is plain EW only; wasm measures every variant, engine ratios against `ew`.
    expect(r.rows.filter((x) => x.backend === 'cpu').map((x) => x.variant)).toEqual([
      'ew-plain',
      'ew-plain',
    ]);
    const wasm = r.rows.filter((x) => x.backend === 'wasm' && x.k === 3);
    expect(wasm.map((x) => x.variant)).toEqual([
      'ew-plain',
      'ew',
      'jacobian',
      'features',
      'jacobianEvery10',
    ]);
    for (const x of wasm) expect(x.ms).toBeGreaterThan(0);
    const ew = wasm.find((x) => x.variant === 'ew')!;
    const jac = wasm.find((x) => x.variant === 'jacobian')!;
    expect(jac.ratioToEw).toBeCloseTo(jac.ms! / ew.ms!, 1);
    expect(c.err()).toMatch(/perf: wasm mlp K=1 ew-plain/);
  });

  it('rejects bad flags with exit code 2 and a message naming the flag', async () => {
    const c = capture();
    expect(await runCli(['perf', '--k', '2,x'], c.io)).toBe(2);
    expect(c.err()).toMatch(/--k must be/);
    const d = capture();
    expect(await runCli(['perf', '--backends', 'gpu'], d.io)).toBe(2);
    expect(d.err()).toMatch(/--backends accepts wasm/);
  });

  it('checkTargets compares the K=8 ratios and the worker speed-up with the issue limits', () => {
    const row = (variant: string, ratioToEw: number): PerfRow => ({
      backend: 'wasm',
      model: 'mlp',
      k: 8,
      variant,
      ms: 100 * ratioToEw,
      ratioToEw,
    });
    const t = checkTargets([
      row('ew', 1),
      row('jacobian', 5),
      row('features', 1.1),
      row('jacobianEvery10', 1.5),
      row('ew-plain', 1),
      { ...row('ew-plain', 1), backend: 'workers2', ms: 55 },
    ]);
    expect(t.map((x) => [x.limit, x.measured, x.met])).toEqual([
      [4.5, 5, false],
      [1.15, 1.1, true],
      [1.5, 1.5, true],
      [0.6, 0.55, true],
    ]);
  });
});
