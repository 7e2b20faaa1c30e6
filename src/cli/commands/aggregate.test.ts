import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import golden from '../../../test/golden/aggregators.json' with { type: 'json' };
import { runCli } from '../run.js';

async function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['aggregate', ...args], {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    isTTY: false,
  });
  return { code, out, err };
}

const J = JSON.stringify(golden.jacobian);

describe('manytask aggregate', () => {
  test.each(golden.rows.map((r) => [r.id, r] as const))('golden row %s', async (_id, row) => {
    const before = tf.memory().numTensors;
    const args = ['--method', row.id, '--jacobian', J, '--json'];
    if (Object.keys(row.options).length > 0) args.push('--options', JSON.stringify(row.options));
    const { code, out, err } = await cli(args);
    expect(err).toBe('');
    expect(code).toBe(0);
    const parsed = JSON.parse(out) as { direction: number[]; weights: number[] | null };
    expect(Object.keys(parsed)).toEqual(['direction', 'weights']);
    row.direction.forEach((v, i) => expect(Math.abs(parsed.direction[i]! - v)).toBeLessThan(1e-3));
    const weights = (row as { weights?: number[] }).weights;
    if (weights !== undefined)
      weights.forEach((v, i) => expect(Math.abs(parsed.weights![i]! - v)).toBeLessThan(1e-3));
    expect(tf.memory().numTensors).toBe(before);
  });

  test('methods without weights print null; GradDrop with a seed is reproducible', async () => {
    const a = await cli(['--method', 'graddrop', '--jacobian', J, '--json', '--seed', '3']);
    const b = await cli(['--method', 'graddrop', '--jacobian', J, '--json', '--seed', '3']);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out)).toEqual(JSON.parse(b.out));
    expect((JSON.parse(a.out) as { weights: unknown }).weights).toBeNull();
  });

  test('human-readable output and --losses for loss-normalised MGDA', async () => {
    const { code, out } = await cli(['--method', 'mean', '--jacobian', J]);
    expect(code).toBe(0);
    expect(out).toBe('direction: [1, 1, 1]\nweights:   [0.5, 0.5]\n');
    const l = await cli([
      '--method',
      'mgda',
      '--jacobian',
      '[[1,0],[0,2]]',
      '--options',
      '{"normalization":"loss"}',
      '--losses',
      '[2,1]',
      '--json',
    ]);
    const w = (JSON.parse(l.out) as { weights: number[] }).weights;
    expect(w[0]).toBeCloseTo(8 / 17, 6);
    expect(w[1]).toBeCloseTo(1 / 17, 6);
  });

  /** `--method mean --jacobian <jacobian> ...more`. */
  const mean = (jacobian: string, ...more: string[]): string[] => [
    '--method',
    'mean',
    '--jacobian',
    jacobian,
    ...more,
  ];
  const FORMAT = "a JSON array of K rows of D numbers, e.g. '[[-4,1,1],[6,1,1]]'";

  const errors: readonly (readonly [string, readonly string[], string])[] = [
    [
      'missing method',
      ['--jacobian', J],
      '--method is required (run `manytask list --kind aggregator` for the ids)',
    ],
    [
      'missing jacobian',
      ['--method', 'mean'],
      "--jacobian is required, e.g. --jacobian '[[-4,1,1],[6,1,1]]'",
    ],
    [
      'unknown method',
      ['--method', 'upgradd', '--jacobian', J],
      "unknown id 'upgradd'; did you mean 'upgrad'? (run `manytask list` to see every id)",
    ],
    [
      'not an aggregator',
      ['--method', 'adam', '--jacobian', J],
      "'adam' is a optimizer, not a aggregator",
    ],
    [
      'unknown option',
      ['--method', 'cagrad', '--jacobian', J, '--options', '{"alpha":1}'],
      'cagrad: unknown option `alpha`; known options: c, rescale, normEps, subsample',
    ],
    [
      'bad option value',
      ['--method', 'cagrad', '--jacobian', J, '--options', '{"c":-1}'],
      'cagrad: option `c` must be ≥ 0, got -1',
    ],
    [
      'options not an object',
      mean(J, '--options', '[1]'),
      `--options must be a JSON object of method options, e.g. '{"c":0.4}', got [1]`,
    ],
    [
      'bad losses',
      mean(J, '--losses', '[1]'),
      '--losses must be a JSON array of 2 finite positive numbers (one per Jacobian row), got [1]',
    ],
    ['bad seed', mean(J, '--seed', '1.5'), "--seed must be an integer in [0, 2^32), got '1.5'"],
    [
      'wrong constant length',
      ['--method', 'constant', '--jacobian', J, '--options', '{"weights":[1,2,3]}'],
      'constant: option `weights` has 3 entries but there are 2 tasks; pass one weight per task or a single number',
    ],
    // Jacobians that do not parse: [name, --jacobian value, message].
    ...(
      [
        ['invalid JSON', '[[1,2],[3,4]', `--jacobian is not valid JSON; expected ${FORMAT}`],
        ['empty', '[]', `--jacobian must be a non-empty JSON array of rows (${FORMAT}), got []`],
        ['empty row', '[[]]', '--jacobian row 1 is empty; every row needs at least one number'],
        [
          'ragged',
          '[[1,2,3],[4,5]]',
          '--jacobian is ragged: row 2 has 2 entries but row 1 has 3; every row needs the same length D',
        ],
        ['not a row', '[1,2]', `--jacobian row 1 is 1, not an array of numbers (${FORMAT})`],
        ['non-number', '[[1,"a"],[3,4]]', '--jacobian row 1, column 2 is "a", not a finite number'],
        ['null', '[[1,null]]', '--jacobian row 1, column 2 is null, not a finite number'],
        [
          'NaN',
          '[[1,NaN]]',
          '--jacobian contains NaN or Infinity; every entry must be a finite number',
        ],
        ['overflow', '[[1,1e999]]', '--jacobian row 1, column 2 is Infinity, not a finite number'],
      ] as const
    ).map(([name, jacobian, message]) => [name, mean(jacobian), message] as const),
  ];

  test.each(errors)('error: %s → exit 2 and one line', async (_name, args, message) => {
    const { code, out, err } = await cli(args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toBe(`manytask aggregate: ${message}\n`);
  });

  test('unknown flags are a one-line ConfigError too', async () => {
    const { code, err } = await cli(['--method', 'mean', '--jacobian', J, '--bogus']);
    expect(code).toBe(2);
    expect(err.split('\n').filter((l) => l.length > 0)).toHaveLength(1);
    expect(err).toMatch(/^manytask aggregate: .*--bogus.*\(run `manytask aggregate --help`\)\n$/);
  });

  test('--help prints the usage', async () => {
    const { code, out } = await cli(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('Usage: manytask aggregate --method <id>');
  });
});
