import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleReportInput } from '../../report/sample.js';
import type { BenchResults, RunMeta } from './report.js';
import { loadReport, reportCommand } from './report.js';
import type { CliIo } from './types.js';

const root = mkdtempSync(join(tmpdir(), 'manytask-report-cmd-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function capture(): { io: CliIo; out: () => string } {
  let text = '';
  return {
    io: { stdout: (t) => (text += t), stderr: (t) => (text += t), isTTY: false },
    out: () => text,
  };
}

const sample = sampleReportInput({ methods: ['ew', 'pcgrad'], seeds: 2, steps: 30 });

function writeRun(dir: string, runIndex: number, complete: boolean): void {
  mkdirSync(dir, { recursive: true });
  const run = sample.runs[runIndex]!;
  const history = complete ? run.history : run.history.filter((h) => h.kind !== 'final');
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      dataset: { id: 'marketing-income' },
      architecture: { id: 'shared-bottom' },
      method: { id: run.method },
      seed: run.seed,
    }),
  );
  const meta: RunMeta = {
    format: 'manytask-run/1',
    tasks: sample.tasks,
    versions: sample.versions,
    createdAt: '2025-01-01T00:00:00.000Z',
    status: complete ? 'complete' : 'interrupted',
    step: complete ? 30 : 17,
    totalSteps: 30,
  };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  writeFileSync(join(dir, 'metrics.jsonl'), history.map((h) => JSON.stringify(h) + '\n').join(''));
}

describe('manytask report', () => {
  it('regenerates the report of a train run directory', async () => {
    const dir = join(root, 'run');
    writeRun(dir, 2, true);
    const { io, out } = capture();
    expect(await reportCommand.run([dir], io)).toBe(0);
    expect(out()).toBe(`report: ${join(dir, 'report.html')}\n`);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('id="train-loss"');
    expect(html).toContain('id="grad-cosine"');
    // The final test metrics of the run are in the table.
    const auc = sample.runs[2]!.test['income_high']!['auc']!;
    expect(html).toContain(auc.toFixed(4));
  });

  it('notes an interrupted run and how to resume it', async () => {
    const dir = join(root, 'interrupted');
    writeRun(dir, 0, false);
    const input = await loadReport(dir);
    expect(input.notes).toEqual([
      `Interrupted at step 17 of 30; continue with \`manytask train --resume ${dir}\`.`,
    ]);
    expect(input.runs[0]!.test).toEqual({});
  });

  it('regenerates a bench report from results.json and the run histories', async () => {
    const dir = join(root, 'bench');
    const runs = sample.runs.map((r, i) => {
      const runDir = join('runs', `${r.method}-seed${r.seed}`);
      writeRun(join(dir, runDir), i, true);
      return { method: r.method, seed: r.seed, test: r.test, dir: runDir };
    });
    const { runs: _r, ...rest } = sample;
    const results: BenchResults = { format: 'manytask-bench/1', ...rest, runs };
    writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
    const input = await loadReport(dir);
    expect(input.runs.map((r) => r.history.length)).toEqual(
      sample.runs.map((r) => r.history.length),
    );
    const out = join(root, 'elsewhere.html');
    expect(await reportCommand.run([dir, '--out', out], capture().io)).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('id="delta-m"');
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
  });

  it('rejects a directory that is neither, and a wrong number of arguments', async () => {
    const dir = join(root, 'empty');
    mkdirSync(dir);
    await expect(reportCommand.run([dir], capture().io)).rejects.toThrow(
      `${dir}: neither a run directory (meta.json, config.json, metrics.jsonl) nor a bench directory (results.json); pass the directory that \`manytask train\` or \`manytask bench\` wrote`,
    );
    await expect(reportCommand.run([], capture().io)).rejects.toThrow(
      'expected one directory (manytask report <run-or-bench-dir>), got 0',
    );
  });
});
