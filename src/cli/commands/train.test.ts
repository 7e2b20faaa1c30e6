import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { defaultRegistry } from '../../registry/index.js';
import type { HistoryRecord } from '../../report/types.js';
import { parseRunConfig, type RunConfig } from '../config.js';
import { readJsonl } from '../fsutil.js';
import type { Progress } from '../progress.js';
import { runCli } from '../run.js';
import { installInterrupt, runTraining, stepRecord } from './train.js';
import type { CliIo } from './types.js';

const root = mkdtempSync(join(tmpdir(), 'manytask-train-'));
// The CLI selects its backend; keep it on the tests' cpu backend.
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

/** A tiny but real run: 160 synthetic rows, batch 40 → 4 steps per epoch, 3 epochs. */
const tiny = {
  dataset: { id: 'mmoe-synthetic', dim: 6, numSines: 2, nTrain: 160, nValid: 40, nTest: 40 },
  architecture: { id: 'shared-bottom', hidden: [8] },
  method: { id: 'pcgrad' },
  optimizer: { id: 'adam', learningRate: 0.01 },
  epochs: 3,
  batchSize: 40,
  seed: 5,
  logEvery: 1,
};
const config: RunConfig = parseRunConfig(tiny, defaultRegistry, { source: 'test' });

const quiet: Progress = { update: () => {}, setLabel: () => {}, log: () => {}, done: () => {} };

/** A progress that fires a real SIGINT (through the installed handler) once `at` steps are done. */
function sigintAt(at: number): Progress {
  return {
    ...quiet,
    update: (done) => {
      if (done === at) process.emit('SIGINT');
    },
  };
}

const withoutTimes = (records: unknown[]): unknown[] =>
  (records as HistoryRecord[]).map((r) => (r.kind === 'epoch' ? { ...r, seconds: 0 } : r));

describe('runTraining', () => {
  it('writes the run directory, and Ctrl-C + --resume ends exactly like an uninterrupted run', async () => {
    const whole = join(root, 'whole');
    const cut = join(root, 'cut');
    const tensors = tf.memory().numTensors;

    const a = await runTraining({
      config,
      dir: whole,
      interrupt: { requested: false },
      progress: quiet,
      report: false,
    });
    expect(a.status).toBe('complete');
    expect(a.steps).toBe(12);
    for (const f of ['config.json', 'meta.json', 'metrics.jsonl', 'model.json', 'checkpoint'])
      expect(existsSync(join(whole, f)), f).toBe(true);
    expect(JSON.parse(readFileSync(join(whole, 'meta.json'), 'utf8'))).toMatchObject({
      status: 'complete',
      step: 12,
      totalSteps: 12,
    });

    // Interrupted after 6 steps (mid epoch 2) by a real SIGINT through the handler.
    const cap = capture();
    const interrupt = installInterrupt(cap.io, () => {
      throw new Error('second Ctrl-C not expected');
    });
    let b;
    try {
      b = await runTraining({ config, dir: cut, interrupt, progress: sigintAt(6) });
    } finally {
      interrupt.dispose();
    }
    expect(b.status).toBe('interrupted');
    expect(b.steps).toBe(6);
    expect(cap.err()).toContain('Ctrl-C: stopping after the current step and writing a checkpoint');
    expect(JSON.parse(readFileSync(join(cut, 'meta.json'), 'utf8'))).toMatchObject({
      status: 'interrupted',
      step: 6,
    });
    // The report of an interrupted run says how to continue.
    expect(readFileSync(join(cut, 'metrics.jsonl'), 'utf8')).not.toContain('"final"');

    const c = await runTraining({
      config,
      dir: cut,
      interrupt: { requested: false },
      progress: quiet,
      resume: true,
      report: false,
    });
    expect(c.status).toBe('complete');
    expect(c.steps).toBe(12);
    // Same final metrics, bit for bit, and the same log.
    expect(c.test).toEqual(a.test);
    expect(c.valid).toEqual(a.valid);
    const la = await readJsonl(join(whole, 'metrics.jsonl'));
    const lc = await readJsonl(join(cut, 'metrics.jsonl'));
    expect(withoutTimes(lc.records)).toEqual(withoutTimes(la.records));
    expect(la.records.filter((r) => (r as HistoryRecord).kind === 'step')).toHaveLength(12);
    // PCGrad computes the Gramian: the log has task weights and the pairwise cosine.
    const step0 = la.records[0] as HistoryRecord;
    expect(step0.kind === 'step' && Object.keys(step0.cosines ?? {})).toEqual(['y1|y2']);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('restarts a checkpoint-less interrupted run from scratch on resume', async () => {
    const dir = join(root, 'early');
    const interrupt = { requested: true };
    const r = await runTraining({ config, dir, interrupt, progress: quiet });
    expect(r.steps).toBe(0);
    const c = await runTraining({
      config: { ...config, epochs: 1 },
      dir,
      interrupt: { requested: false },
      progress: quiet,
      resume: true,
      report: false,
    });
    expect(c.steps).toBe(4);
  });
});

describe('installInterrupt', () => {
  it('asks for a stop on the first Ctrl-C and quits on the second', () => {
    const cap = capture();
    let quits = 0;
    const before = process.listenerCount('SIGINT');
    const i = installInterrupt(cap.io, () => quits++);
    expect(i.requested).toBe(false);
    process.emit('SIGINT');
    expect(i.requested).toBe(true);
    expect(quits).toBe(0);
    process.emit('SIGINT');
    expect(quits).toBe(1);
    i.dispose();
    expect(process.listenerCount('SIGINT')).toBe(before);
    expect(cap.err()).toBe(
      '\nmanytask: Ctrl-C: stopping after the current step and writing a checkpoint (Ctrl-C again quits at once)\n',
    );
  });
});

describe('runTraining with regularizers', () => {
  it('adds the configured penalty and logs its value on every step line', async () => {
    const dir = join(root, 'reg');
    const c = parseRunConfig(
      { ...tiny, epochs: 1, regularizers: [{ id: 'ortho-reg' }], engine: { onNonFinite: 'skip' } },
      defaultRegistry,
      { source: 'test' },
    );
    const r = await runTraining({
      config: c,
      dir,
      interrupt: { requested: false },
      progress: quiet,
      report: false,
    });
    expect(r.status).toBe('complete');
    const { records } = await readJsonl(join(dir, 'metrics.jsonl'));
    const steps = (records as HistoryRecord[]).filter((x) => x.kind === 'step');
    expect(steps).toHaveLength(4);
    for (const s of steps) {
      const p = s.kind === 'step' ? s.penalties?.['ortho-reg'] : undefined;
      expect(Number.isFinite(p)).toBe(true);
    }
  });
});

describe('runTraining with an aggregator and loss weights', () => {
  it('logs the aggregator weights and the loss weights on each step line', async () => {
    const dir = join(root, 'lw');
    const c = parseRunConfig({ ...tiny, epochs: 1, lossWeighting: { id: 'uw' } }, defaultRegistry, {
      source: 'test',
    });
    const r = await runTraining({
      config: c,
      dir,
      interrupt: { requested: false },
      progress: quiet,
      report: false,
    });
    expect(r.status).toBe('complete');
    const { records } = await readJsonl(join(dir, 'metrics.jsonl'));
    const first = (records as HistoryRecord[])[0]!;
    expect(first.kind === 'step' && Object.keys(first.lossWeights ?? {})).toEqual(['y1', 'y2']);
    expect(first.kind === 'step' && Object.keys(first.weights ?? {})).toEqual(['y1', 'y2']);
  });
});

describe('stepRecord', () => {
  it('keys values by task and cosines by pair, leaving non-finite values out', () => {
    const rec = stepRecord({
      step: 3,
      epoch: 1,
      tasks: ['a', 'b', 'c'],
      losses: Float64Array.of(0.5, NaN, 0.25),
      labelled: Float64Array.of(1, 1, 1),
      weights: Float64Array.of(0.2, 0.3, 0.5),
      cosines: Float64Array.of(1, -0.5, 0.1, -0.5, 1, NaN, 0.1, NaN, 1),
      penalties: {},
      warnings: ['w'],
      diagnostics: { x: 1, y: Infinity },
      skipped: false,
      jacobianComputed: true,
      backwardPasses: 3,
      headPasses: 0,
      hostReads: 1,
    });
    expect(rec).toEqual({
      kind: 'step',
      step: 3,
      epoch: 1,
      losses: { a: 0.5, c: 0.25 },
      weights: { a: 0.2, b: 0.3, c: 0.5 },
      cosines: { 'a|b': -0.5, 'a|c': 0.1 },
      diagnostics: { x: 1 },
      warnings: ['w'],
    });
  });
});

describe('manytask train (CLI)', () => {
  it('trains from a config file, refuses to overwrite, and resumes a complete run as a no-op', async () => {
    const cfg = join(root, 'run.json');
    writeFileSync(cfg, JSON.stringify({ ...tiny, method: { id: 'ew' }, epochs: 1 }));
    const dir = join(root, 'cli-run');
    const a = capture();
    expect(await runCli(['train', '--config', cfg, '--out', dir], a.io)).toBe(0);
    expect(a.out()).toContain(`report: ${join(dir, 'report.html')}`);
    expect(a.out()).toMatch(/y1: mse \d/);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('id="train-loss"');

    const b = capture();
    expect(await runCli(['train', '--config', cfg, '--out', dir], b.io)).toBe(2);
    expect(b.err()).toBe(
      `manytask train: --out ${dir}: the directory already holds a run; continue it with --resume ${dir} or choose another --out\n`,
    );
    const c = capture();
    expect(await runCli(['train', '--resume', dir], c.io)).toBe(0);
    expect(c.out()).toBe(`${dir}: the run is already complete (4 steps); nothing to resume\n`);
  });

  it('draws a progress bar on a terminal and plain epoch lines otherwise', async () => {
    const args = (out: string): string[] => [
      'train',
      '--dataset',
      'mmoe-synthetic',
      '--dataset-options',
      '{"dim":4,"numSines":1,"nTrain":80,"nValid":20,"nTest":20}',
      '--arch-options',
      '{"hidden":[4]}',
      '--epochs',
      '2',
      '--batch-size',
      '40',
      '--out',
      out,
    ];
    let tty = '';
    const ttyIo: CliIo = { stdout: (t) => (tty += t), stderr: () => {}, isTTY: true };
    expect(await runCli(args(join(root, 'tty')), ttyIo)).toBe(0);
    expect(tty).toMatch(/\rew \[█+░*\] +\d+% \d\/4 elapsed \d:\d\d ETA \d:\d\d {2}loss y1 /);
    const plain = capture();
    expect(await runCli(args(join(root, 'plain')), plain.io)).toBe(0);
    expect(plain.out()).not.toContain('\r');
    expect(plain.out().match(/^epoch \d\/2 {2}step \d\/4 {2}loss y1 /gm)).toHaveLength(2);
  });

  it.each([
    [
      ['--resume', '/nowhere'],
      '--resume /nowhere: not a run directory (no meta.json); pass a directory written by manytask train',
    ],
    [
      ['--resume', '/nowhere', '--epochs', '2'],
      '--resume takes the configuration from /nowhere/config.json; drop --epochs',
    ],
    [['--epochs', '0'], '--epochs must be an integer ≥ 1, got 0'],
    [['extra'], "unexpected argument 'extra'; options are flags (see manytask train --help)"],
  ])('rejects %j with exit code 2 and one line', async (args, message) => {
    const cap = capture();
    expect(await runCli(['train', ...args], cap.io)).toBe(2);
    expect(cap.err()).toBe(`manytask train: ${message}\n`);
  });

  it('rejects an unknown flag as a usage error (exit 2, one line)', async () => {
    const cap = capture();
    expect(await runCli(['train', '--epoch', '2'], cap.io)).toBe(2);
    expect(cap.err()).toMatch(
      /^manytask train: Unknown option '--epoch'.*\(run `manytask train --help`\)\n$/,
    );
  });

  it('restrictTasks names a task that is not in the data set', async () => {
    const { restrictTasks } = await import('./train.js');
    const { mmoeSynthetic } = await import('../../data/mmoe-synthetic.js');
    const d = await mmoeSynthetic({ dim: 4, nTrain: 10, nValid: 0, nTest: 0 }).load(0);
    expect(() => restrictTasks(d, ['y3'])).toThrow(
      new ConfigError("tasks: 'y3' is not a task of mmoe-synthetic; its tasks are y1, y2"),
    );
    expect(restrictTasks(d, ['y2']).tasks.map((t) => t.id)).toEqual(['y2']);
  });
});
