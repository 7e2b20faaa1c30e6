import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { transpileSources } from '../../../test/helpers/transpile.js';
import { defaultRegistry } from '../../registry/index.js';
import { deltaMPercent, stat } from '../../report/summary.js';
import type { ReportInput } from '../../report/types.js';
import { runCli } from '../run.js';
import type { BenchResults } from './report.js';
import {
  DEFAULT_BENCH_METHODS,
  formatResultsTable,
  planRuns,
  resolveMethods,
  runBench,
  type BenchPlan,
} from './bench.js';
import type { CliIo } from './types.js';

const root = mkdtempSync(join(tmpdir(), 'manytask-bench-'));
const previousBackend = process.env['MANYTASK_BACKEND'];
process.env['MANYTASK_BACKEND'] = 'cpu';
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (previousBackend === undefined) delete process.env['MANYTASK_BACKEND'];
  else process.env['MANYTASK_BACKEND'] = previousBackend;
});

function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: (t) => (out += t), stderr: (t) => (err += t), isTTY: false },
    out: () => out,
    err: () => err,
  };
}

/** Tiny real runs: 120 synthetic rows, batch 40 → 3 steps per run. */
const tinyFlags = [
  '--dataset',
  'mmoe-synthetic',
  '--dataset-options',
  '{"dim":6,"numSines":2,"nTrain":120,"nValid":40,"nTest":40}',
  '--arch-options',
  '{"hidden":[8]}',
  '--epochs',
  '1',
  '--batch-size',
  '40',
  '--log-every',
  '1',
];
const plan: BenchPlan = {
  format: 'manytask-bench-plan/1',
  base: {
    dataset: { id: 'mmoe-synthetic', dim: 6, numSines: 2, nTrain: 120, nValid: 40, nTest: 40 },
    architecture: { id: 'shared-bottom', hidden: [8] },
    epochs: 1,
    batchSize: 40,
    logEvery: 1,
  },
  methods: [
    { id: 'ew', options: {} },
    { id: 'pcgrad', options: {} },
  ],
  seeds: [3, 4],
  notes: [],
};

/** Δm% recomputed from results.json alone: per run against the baseline means, then mean ± std. */
function deltaFromResults(r: BenchResults, method: string): { mean: number; std: number } {
  const tasks = [...new Set((r.baselineRuns ?? []).map((b) => b.task))];
  const ref: Record<string, Record<string, number>> = {};
  for (const t of tasks) {
    const rows = (r.baselineRuns ?? []).filter((b) => b.task === t).map((b) => b.test[t]!);
    ref[t] = Object.fromEntries(
      Object.keys(rows[0]!).map((m) => [m, rows.reduce((s, x) => s + x[m]!, 0) / rows.length]),
    );
  }
  return stat(r.runs.filter((x) => x.method === method).map((x) => deltaMPercent(x.test, ref)));
}

describe('runBench', () => {
  const whole = join(root, 'whole');
  let complete: BenchResults;

  it('trains baselines and methods per seed and writes results.json with mean ± std and Δm%', async () => {
    const cap = capture();
    const outcome = await runBench({
      plan,
      out: whole,
      io: cap.io,
      interrupt: { requested: false },
    });
    expect(outcome.status).toBe('complete');
    complete = JSON.parse(readFileSync(join(whole, 'results.json'), 'utf8')) as BenchResults;
    expect(complete.format).toBe('manytask-bench/1');
    expect(complete.runs.map((r) => `${r.method}@${r.seed}`)).toEqual([
      'ew@3',
      'pcgrad@3',
      'ew@4',
      'pcgrad@4',
    ]);
    expect(complete.baselineRuns?.map((r) => `${r.task}@${r.seed}`)).toEqual([
      'y1@3',
      'y2@3',
      'y1@4',
      'y2@4',
    ]);
    // Single-task runs really have one task.
    const single = JSON.parse(
      readFileSync(join(whole, 'runs', 'single-y2-seed3', 'config.json'), 'utf8'),
    ) as { tasks: string[] };
    expect(single.tasks).toEqual(['y2']);
    expect(Object.keys(complete.baselineRuns![0]!.test)).toEqual(['y1']);
    for (const m of complete.methods) {
      const runs = complete.runs.filter((r) => r.method === m.method);
      const mse = runs.map((r) => r.test['y1']!['mse']!);
      expect(m.test['y1']!['mse']!.mean).toBeCloseTo(stat(mse).mean, 12);
      expect(m.test['y1']!['mse']!.std).toBeCloseTo(stat(mse).std, 12);
      expect(m.test['y1']!['mse']!.n).toBe(2);
      const d = deltaFromResults(complete, m.method);
      expect(m.deltaM!.mean).toBeCloseTo(d.mean, 9);
      expect(m.deltaM!.std).toBeCloseTo(d.std, 9);
    }
    const html = readFileSync(join(whole, 'report.html'), 'utf8');
    for (const id of ['delta-m', 'train-loss', 'task-weights', 'grad-cosine'])
      expect(html).toContain(`id="${id}"`);
  });

  it('is interrupted mid-run by Ctrl-C and --resume finishes with the same results', async () => {
    const cut = join(root, 'cut');
    const log = join(cut, 'runs', 'pcgrad-seed3', 'metrics.jsonl');
    // Stop once the 4th run has logged two steps: a real mid-run interruption.
    const interrupt = {
      get requested() {
        return existsSync(log) && readFileSync(log, 'utf8').split('\n').length > 2;
      },
    };
    const first = await runBench({ plan, out: cut, io: capture().io, interrupt });
    expect(first.status).toBe('interrupted');
    expect(first.results.runs.map((r) => r.method)).toEqual(['ew']);
    expect(first.input.notes?.at(-1)).toBe(
      `Interrupted: 3 of 8 runs finished; continue with \`manytask bench --resume ${cut}\`.`,
    );
    const meta = JSON.parse(
      readFileSync(join(cut, 'runs', 'pcgrad-seed3', 'meta.json'), 'utf8'),
    ) as { status: string; step: number };
    expect(meta).toMatchObject({ status: 'interrupted', step: 2 });

    const cap = capture();
    expect(await runCli(['bench', '--resume', cut], cap.io)).toBe(0);
    const resumed = JSON.parse(readFileSync(join(cut, 'results.json'), 'utf8')) as BenchResults;
    expect(resumed.runs.map((r) => [r.method, r.seed, r.test])).toEqual(
      complete.runs.map((r) => [r.method, r.seed, r.test]),
    );
    expect(resumed.methods.map((m) => [m.method, m.test, m.deltaM])).toEqual(
      complete.methods.map((m) => [m.method, m.test, m.deltaM]),
    );
  });

  it('trains the runs side by side in worker threads (jobs: 2) with the same results', async () => {
    const src = transpileSources('manytask-bench-jobs-test', ['.']);
    try {
      const par = join(root, 'jobs');
      const logs: string[] = [];
      const cap = capture();
      const outcome = await runBench({
        plan,
        out: par,
        io: { ...cap.io, stdout: (t) => void logs.push(t) },
        interrupt: { requested: false },
        jobs: 2,
        workerUrl: pathToFileURL(join(src.outDir, 'cli', 'commands', 'bench-worker.js')),
      });
      expect(outcome.status).toBe('complete');
      const r = JSON.parse(readFileSync(join(par, 'results.json'), 'utf8')) as BenchResults;
      expect(r.runs.map((x) => [x.method, x.seed, x.test])).toEqual(
        complete.runs.map((x) => [x.method, x.seed, x.test]),
      );
      expect(r.baselineRuns).toEqual(complete.baselineRuns);
      expect(r.methods.map((m) => [m.method, m.test, m.deltaM])).toEqual(
        complete.methods.map((m) => [m.method, m.test, m.deltaM]),
      );
      // Every run was reported once, by its label.
      expect(cap.err()).toBe('');
      for (const label of ['[1/8] single-task y1 seed 3', '[8/8] pcgrad seed 4'])
        expect(logs.join('')).toContain(`${label}: `);

      // Ctrl-C reaches the workers: they checkpoint and stop; --resume then finishes the bench.
      const cut = join(root, 'jobs-cut');
      const log = join(cut, 'runs', 'ew-seed3', 'metrics.jsonl');
      const interrupt = {
        get requested() {
          return existsSync(log);
        },
      };
      const first = await runBench({
        plan,
        out: cut,
        io: capture().io,
        interrupt,
        jobs: 2,
        workerUrl: pathToFileURL(join(src.outDir, 'cli', 'commands', 'bench-worker.js')),
      });
      expect(first.status).toBe('interrupted');
      expect(first.results.runs.length + (first.results.baselineRuns?.length ?? 0)).toBeLessThan(8);
      const resumed = await runBench({
        plan,
        out: cut,
        io: capture().io,
        interrupt: { requested: false },
        jobs: 2,
        workerUrl: pathToFileURL(join(src.outDir, 'cli', 'commands', 'bench-worker.js')),
      });
      expect(resumed.status).toBe('complete');
      expect(resumed.results.runs.map((x) => [x.method, x.seed, x.test])).toEqual(
        complete.runs.map((x) => [x.method, x.seed, x.test]),
      );
    } finally {
      src.remove();
    }
  });
});

describe('manytask bench (CLI)', () => {
  it('prints the table and writes results and report; refuses to overwrite', async () => {
    const out = join(root, 'cli');
    const cap = capture();
    const args = ['bench', ...tinyFlags, '--methods', 'ew,pcgrad', '--seeds', '1', '--out', out];
    expect(await runCli(args, cap.io)).toBe(0);
    expect(cap.out()).toMatch(/^method +y1 mse↓/m);
    expect(cap.out()).toMatch(/^single-task /m);
    expect(cap.out()).toMatch(/^pcgrad /m);
    expect(cap.out()).toContain(`report: ${join(out, 'report.html')}`);
    expect(existsSync(join(out, 'results.json'))).toBe(true);
    const again = capture();
    expect(await runCli(args, again.io)).toBe(2);
    expect(again.err()).toBe(
      `manytask bench: --out ${out}: the directory already holds a bench; finish it with --resume ${out} or choose another --out\n`,
    );
  });

  it.each([
    [
      ['--methods', 'pcgrd'],
      "--methods: `method.id`: unknown id 'pcgrd'; did you mean 'pcgrad'? (run `manytask list` to see every id)",
    ],
    [
      ['--methods', 'ew,ew'],
      "--methods lists 'ew' twice; to compare a method with other options, name the variant: 'ew-2=ew'",
    ],
    [
      ['--methods', 'ew,c/x=cagrad'],
      "--methods: label 'c/x' in 'c/x=cagrad' must start with a letter or digit and use only letters, digits, '.', '_' and '-' (and not be 'single-task')",
    ],
    [['--methods', 'strong='], "--methods: 'strong=' names no method after '='"],
    [
      ['--methods', 'strong=pcgrd'],
      "--methods: `method.id`: unknown id 'pcgrd'; did you mean 'pcgrad'? (run `manytask list` to see every id)",
    ],
    [['--methods', ','], '--methods must list at least one method id'],
    [['--seeds', '0'], "--seeds must be an integer ≥ 1, got '0'"],
    [
      ['--methods', 'ew', '--method-options', '{"cagrad":{"c":1}}'],
      "--method-options has options for 'cagrad', which is not in the bench (methods: ew)",
    ],
    [
      ['--methods', 'cagrad', '--method-options', '{"cagrad":{"c":-1}}'],
      '--method-options: `method`: cagrad: option `c` must be ≥ 0, got -1',
    ],
    [
      ['--resume', '/x', '--seeds', '2'],
      '--resume takes the plan from /x/bench.json; drop --seeds',
    ],
    [['--epochs', '0'], '--epochs must be an integer ≥ 1, got 0'],
    [['--jobs', 'many'], "--jobs must be an integer in 1..64 or 'auto', got 'many'"],
  ])('rejects %j with exit code 2 and its exact message', async (args, message) => {
    const cap = capture();
    expect(await runCli(['bench', ...args], cap.io)).toBe(2);
    expect(cap.err()).toBe(`manytask bench: ${message}\n`);
  });

  it('rejects a config file that sets the method', async () => {
    const cfg = join(root, 'bench.json');
    writeFileSync(cfg, JSON.stringify({ method: { id: 'ew' } }));
    const cap = capture();
    expect(await runCli(['bench', '--config', cfg], cap.io)).toBe(2);
    expect(cap.err()).toBe(
      `manytask bench: ${cfg}: \`method\` is chosen per run by the bench; remove it and use --methods (and --method-options)\n`,
    );
  });
});

describe('manytask bench --dry-run', () => {
  it('validates the default comparison (npm start) without training', async () => {
    const cap = capture();
    const out = join(root, 'dry');
    expect(await runCli(['bench', '--dry-run', '--out', out], cap.io)).toBe(0);
    const methods = DEFAULT_BENCH_METHODS.filter((id) => defaultRegistry.has(id));
    const runs = 5 * methods.length + 2 * 5;
    expect(cap.out()).toContain(
      `plan: ${runs} runs = ${methods.length} methods × 5 seeds + 10 single-task baselines (2 tasks × 5 seeds)`,
    );
    expect(cap.out()).toMatch(
      /data: marketing-income, \d+ training rows; 6 epochs of batch 256: \d+ optimiser steps in total/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('resolveMethods', () => {
  it('keeps the registered default methods in order and notes the others', () => {
    const { methods, notes } = resolveMethods(undefined, undefined, defaultRegistry);
    const have = DEFAULT_BENCH_METHODS.filter((id) => defaultRegistry.has(id));
    const missing = DEFAULT_BENCH_METHODS.filter((id) => !defaultRegistry.has(id));
    expect(methods.map((m) => m.id)).toEqual(have);
    expect(notes).toEqual(
      missing.length > 0
        ? [`Default methods not available in this build, skipped: ${missing.join(', ')}.`]
        : [],
    );
  });
  it('attaches per-method options', () => {
    expect(resolveMethods('ew,cagrad', '{"cagrad":{"c":0.5}}', defaultRegistry).methods).toEqual([
      { id: 'ew', options: {} },
      { id: 'cagrad', options: { c: 0.5 } },
    ]);
  });
  it('compares a method with itself under a label, with its own options, results and run directories', () => {
    const { methods } = resolveMethods(
      'cagrad, cagrad-c0.9 = cagrad',
      '{"cagrad-c0.9":{"c":0.9}}',
      defaultRegistry,
    );
    expect(methods).toEqual([
      { id: 'cagrad', options: {} },
      { id: 'cagrad', options: { c: 0.9 }, label: 'cagrad-c0.9' },
    ]);
    const runs = planRuns(
      { format: 'manytask-bench-plan/1', base: {}, methods, seeds: [7], notes: [] },
      ['income_high', 'never_married'],
      defaultRegistry,
      'test',
    ).filter((r) => r.method !== 'single-task');
    expect(
      runs.map((r) => [r.method, r.dir, r.config.method.id, r.config.method.options['c']]),
    ).toEqual([
      ['cagrad', join('runs', 'cagrad-seed7'), 'cagrad', 0.5],
      ['cagrad-c0.9', join('runs', 'cagrad-c0.9-seed7'), 'cagrad', 0.9],
    ]);
  });
});

const s = (mean: number, std = 0.01, n = 2) => ({ mean, std, n });

describe('formatResultsTable', () => {
  const input: ReportInput = {
    title: 't',
    kind: 'bench',
    dataset: 'd',
    architecture: 'a',
    tasks: [
      { id: 'a', kind: 'binary' },
      { id: 'b', kind: 'regression' },
    ],
    methods: [
      {
        method: 'ew',
        displayName: 'EW',
        test: { a: { auc: s(0.8) }, b: { mse: s(1.5) } },
        deltaM: s(1.25, 0.5),
        seconds: 2.04,
      },
      {
        method: 'pcgrad',
        displayName: 'PCGrad',
        test: { a: { auc: s(0.82) }, b: { mse: s(1.7) } },
        deltaM: s(-0.5, 0.25),
        seconds: 3.5,
      },
    ],
    baseline: { a: { auc: s(0.79) }, b: { mse: s(1.6) } },
    runs: [],
    config: {},
    versions: {},
  };

  it('prints an aligned table with mean ± std, Δm% and the best per column starred', () => {
    expect(formatResultsTable(input)).toBe(
      [
        'method                a auc↑             b mse↓            Δm%↓    s/run',
        '───────────  ─────────────────  ─────────────────  ──────────────  ───────',
        'single-task  0.7900 ± 0.0100    1.6000 ± 0.0100               0        —',
        'ew           0.8000 ± 0.0100    1.5000 ± 0.0100 *   1.25 ± 0.50      2.0',
        'pcgrad       0.8200 ± 0.0100 *  1.7000 ± 0.0100    −0.50 ± 0.25 *    3.5',
        '',
        '* best in column (↑ higher is better, ↓ lower is better)',
        '',
      ].join('\n'),
    );
  });
});
