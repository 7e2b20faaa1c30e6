/**
 * `manytask aggregate`: applies one registered aggregator to a Jacobian given on the command line
 * and prints the update direction (and the task weights when the method has them). A quick way to
 * compare methods on a hand-made conflict, and the CLI face of the golden values.
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { initBackend } from '../../backend/index.js';
import { ConfigError, ShapeError } from '../../core/errors.js';
import { createRng } from '../../core/rng.js';
import type { Aggregator, TaskJacobian } from '../../core/types.js';
import { defaultRegistry } from '../../registry/index.js';
import type { Command } from './types.js';

const EXAMPLE = `'[[-4,1,1],[6,1,1]]'`;

function parseJson(flag: string, text: string, expected: string): unknown {
  if (/\b(NaN|-?Infinity)\b/.test(text)) {
    throw new ConfigError(`${flag} contains NaN or Infinity; every entry must be a finite number`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ConfigError(`${flag} is not valid JSON; expected ${expected}`);
  }
}

function describeValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v) ?? v);
}

/** Parses `--jacobian` into K rows of D finite numbers. */
export function parseJacobian(text: string): number[][] {
  const expected = `a JSON array of K rows of D numbers, e.g. ${EXAMPLE}`;
  const v = parseJson('--jacobian', text, expected);
  if (!Array.isArray(v) || v.length === 0) {
    throw new ShapeError(
      `--jacobian must be a non-empty JSON array of rows (${expected}), got ${describeValue(v)}`,
    );
  }
  const rows = v as unknown[];
  const d = Array.isArray(rows[0]) ? (rows[0] as unknown[]).length : -1;
  rows.forEach((row, i) => {
    if (!Array.isArray(row)) {
      throw new ShapeError(
        `--jacobian row ${i + 1} is ${describeValue(row)}, not an array of numbers (${expected})`,
      );
    }
    if (row.length === 0) {
      throw new ShapeError(`--jacobian row ${i + 1} is empty; every row needs at least one number`);
    }
    if (row.length !== d) {
      throw new ShapeError(
        `--jacobian is ragged: row ${i + 1} has ${row.length} entries but row 1 has ${d}; every row needs the same length D`,
      );
    }
    row.forEach((x, j) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new ConfigError(
          `--jacobian row ${i + 1}, column ${j + 1} is ${describeValue(x)}, not a finite number`,
        );
      }
    });
  });
  return rows as number[][];
}

function parseOptions(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  const v = parseJson('--options', text, `a JSON object of method options, e.g. '{"c":0.4}'`);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new ConfigError(
      `--options must be a JSON object of method options, e.g. '{"c":0.4}', got ${describeValue(v)}`,
    );
  }
  return v as Record<string, unknown>;
}

function parseLosses(text: string | undefined, k: number): Float64Array {
  if (text === undefined) return new Float64Array(k).fill(1);
  const v = parseJson('--losses', text, `a JSON array of ${k} positive numbers`);
  if (
    !Array.isArray(v) ||
    v.length !== k ||
    v.some((x) => typeof x !== 'number' || !(x > 0) || !Number.isFinite(x))
  ) {
    throw new ConfigError(
      `--losses must be a JSON array of ${k} finite positive numbers (one per Jacobian row), got ${describeValue(v)}`,
    );
  }
  return Float64Array.from(v as number[]);
}

function parseSeed(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new ConfigError(`--seed must be an integer in [0, 2^32), got '${text}'`);
  }
  return n;
}

export const aggregateCommand: Command = {
  name: 'aggregate',
  summary: 'Apply an aggregator to a Jacobian given as JSON and print the direction and weights',
  usage: [
    "Usage: manytask aggregate --method <id> --jacobian '<JSON K×D array>' [--options '<JSON object>']",
    "                          [--losses '<JSON array of K numbers>'] [--seed <n>] [--json]",
    '',
    '  --method    aggregator id (see `manytask list --kind aggregator`)',
    `  --jacobian  the K task gradients as rows, e.g. ${EXAMPLE}`,
    `  --options   method options as a JSON object, e.g. '{"c":0.4}'`,
    '  --losses    per-task losses for methods that read them (default all 1)',
    '  --seed      seed of ctx.rng for stochastic methods (default 0)',
    '  --json      print {"direction":[...],"weights":[...] or null}',
    '',
    `Example: manytask aggregate --method upgrad --jacobian ${EXAMPLE} --json`,
  ].join('\n'),
  async run(argv, io) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        method: { type: 'string' },
        jacobian: { type: 'string' },
        options: { type: 'string' },
        losses: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    const method = values['method'];
    const jacobianText = values['jacobian'];
    if (typeof method !== 'string' || method === '') {
      throw new ConfigError(
        '--method is required (run `manytask list --kind aggregator` for the ids)',
      );
    }
    if (typeof jacobianText !== 'string') {
      throw new ConfigError(`--jacobian is required, e.g. --jacobian ${EXAMPLE}`);
    }
    const rows = parseJacobian(jacobianText);
    const options = parseOptions(values['options'] as string | undefined);
    const losses = parseLosses(values['losses'] as string | undefined, rows.length);
    const seed = parseSeed(values['seed'] as string | undefined);
    const agg = defaultRegistry.create<Aggregator<unknown>>(method, options, 'aggregator');

    await initBackend({ prefer: 'cpu', quiet: true });
    const tasks = rows.map((_, i) => `task${i + 1}`);
    const j: TaskJacobian = { tasks, blocks: { jacobian: tf.tensor2d(rows) } };
    let direction: number[];
    let weights: number[] | null;
    try {
      const state = agg.init({ tasks, blocks: { jacobian: [rows[0]!.length] } });
      const r = agg.update(j, state, { step: 0, epoch: 0, tasks, losses, rng: createRng(seed) });
      direction = Array.from(r.direction['jacobian']!.dataSync());
      weights = r.weights !== undefined ? Array.from(r.weights) : null;
      for (const t of Object.values(r.direction)) t.dispose();
      for (const w of r.warnings ?? []) io.stderr(`manytask aggregate: warning: ${w}\n`);
    } finally {
      j.blocks['jacobian']!.dispose();
    }
    if (values['json'] === true) {
      io.stdout(JSON.stringify({ direction, weights }) + '\n');
    } else {
      const fmt = (v: readonly number[]): string =>
        `[${v.map((x) => Number(x.toPrecision(6))).join(', ')}]`;
      io.stdout(
        `direction: ${fmt(direction)}\nweights:   ${weights === null ? '(none: the method has no task weights)' : fmt(weights)}\n`,
      );
    }
    return 0;
  },
};
