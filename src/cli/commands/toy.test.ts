import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../run.js';

const dir = mkdtempSync(join(tmpdir(), 'manytask-toy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): { out: string[]; err: string[]; io: Parameters<typeof runCli>[1] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t), isTTY: false } };
}

describe('manytask toy', () => {
  it('prints the outcome table and writes a JSON trajectory file', async () => {
    const c = capture();
    const file = join(dir, 't.json');
    const code = await runCli(
      [
        'toy',
        '--methods',
        'ew,famo',
        '--iterations',
        '2000',
        '--inits=-8.5,7.5;0,0',
        '--out',
        file,
      ],
      c.io,
    );
    expect(c.err.join('')).toBe('');
    expect(code).toBe(0);
    const text = c.out.join('');
    expect(text).toMatch(/method\s+init\s+final x\s+L1\s+L2\s+outcome/);
    expect(text).toMatch(/^ew: \d\/2 reach the Pareto front/m);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as {
      iterations: number;
      runs: { method: string; points: number[][]; init: number[] }[];
    };
    expect(doc.iterations).toBe(2000);
    expect(doc.runs.map((r) => r.method)).toEqual(['ew', 'ew', 'famo', 'famo']);
    expect(doc.runs[0]!.points[0]).toEqual([-8.5, 7.5]);
    expect(doc.runs[0]!.points.length).toBeGreaterThan(100);
  });

  it('writes CSV by extension', async () => {
    const c = capture();
    const file = join(dir, 't.csv');
    expect(
      await runCli(
        ['toy', '--methods', 'ew', '--iterations', '100', '--inits', '1,1', '--out', file],
        c.io,
      ),
    ).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('method,init_x1,init_x2,point,x1,x2');
    expect(lines[1]).toBe('ew,1,1,0,1,1');
  });

  it('fails with exit code 2 and a clear message on bad input', async () => {
    const c = capture();
    expect(await runCli(['toy', '--methods', 'ew', '--variant', 'x'], c.io)).toBe(2);
    expect(c.err.join('')).toMatch(/--variant must be 'cagrad' or 'nash'/);
    const d = capture();
    expect(await runCli(['toy', '--methods', 'ewx'], d.io)).toBe(2);
    expect(d.err.join('')).toMatch(/unknown id 'ewx'; did you mean 'ew'/);
    const f = capture();
    expect(await runCli(['toy', '--inits', '-1,2'], f.io)).toBe(2);
    expect(f.err.join('')).toMatch(/use --inits=-1,2/);
    const e = capture();
    expect(await runCli(['toy', '--methods', 'ew', '--options', '{"famo":{}}'], e.io)).toBe(2);
    expect(e.err.join('')).toMatch(/--options names 'famo', which is not in --methods/);
  });
});
