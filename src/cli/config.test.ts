import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import type { OptionsSchema } from '../core/options.js';
import { createRegistry } from '../registry/registry.js';
import type { EntryKind, RegistryEntry } from '../registry/types.js';
import { loadRunConfig, mergeFlags, parseRunConfig, runConfigToJson } from './config.js';

const entry = (id: string, kind: EntryKind, options: OptionsSchema): RegistryEntry => ({
  id,
  kind,
  displayName: id,
  summary: '',
  reference: '',
  options,
  create: () => ({}),
});
/** A registry with the default ids, so the tests do not depend on other modules. */
const registry = createRegistry([
  entry('marketing-income', 'dataset', {
    tasks: { type: 'string', default: 'both', description: '' },
  }),
  entry('shared-bottom', 'architecture', {
    hidden: { type: 'integer', default: 64, min: 1, description: '' },
  }),
  entry('ew', 'loss-weighting', {}),
  entry('ortho-reg', 'regularizer', {
    weight: { type: 'number', default: 0.1, min: 0, description: '' },
  }),
  entry('cagrad', 'aggregator', {
    c: { type: 'number', default: 0.4, min: 0, description: '' },
  }),
  entry('pcgrad', 'aggregator', {}),
  entry('forum', 'bilevel', {}),
  {
    ...entry('adatask', 'optimizer', {}),
    create: () => ({ kind: 'task-optimizer', id: 'adatask' }),
  },
  entry('adam', 'optimizer', {
    learningRate: { type: 'number', default: 0.001, min: 0, exclusiveMin: true, description: '' },
  }),
]);
const file = { source: 'run.json' };

/** The message of the ConfigError that `f` throws. */
function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseRunConfig', () => {
  it('fills every default, including component option defaults', () => {
    const c = parseRunConfig({}, registry, file);
    expect(runConfigToJson(c)).toEqual({
      dataset: { id: 'marketing-income', tasks: 'both' },
      architecture: { id: 'shared-bottom', hidden: 64 },
      method: { id: 'ew' },
      optimizer: { id: 'adam', learningRate: 0.001 },
      engine: {
        mode: 'params',
        jacobianEvery: 1,
        onNonFinite: 'throw',
        threads: 1,
        autodiff: 'tape',
      },
      epochs: 3,
      batchSize: 256,
      seed: 0,
      evalEvery: 1,
      logEvery: 10,
    });
    expect(c.method.kind).toBe('loss-weighting');
  });

  it('reads namespaced options and round-trips through its JSON form', () => {
    const raw = {
      method: { id: 'cagrad', c: 0.5 },
      extraOptimizer: { id: 'adam', learningRate: 0.01 },
      architecture: { id: 'shared-bottom', hidden: 16 },
      engine: { mode: 'features', jacobianEvery: 2, onNonFinite: 'skip' },
      regularizers: [{ id: 'ortho-reg', weight: 0.5 }],
      epochs: 1,
      seed: 42,
    };
    const c = parseRunConfig(raw, registry, file);
    expect(c.method).toEqual({ id: 'cagrad', kind: 'aggregator', options: { c: 0.5 } });
    expect(c.engine).toEqual({
      mode: 'features',
      jacobianEvery: 2,
      onNonFinite: 'skip',
      threads: 1,
      autodiff: 'tape',
    });
    expect(c.regularizers).toEqual([{ id: 'ortho-reg', options: { weight: 0.5 } }]);
    expect(c.extraOptimizer).toEqual({ id: 'adam', options: { learningRate: 0.01 } });
    expect(parseRunConfig(runConfigToJson(c), registry, file)).toEqual(c);
  });

  it.each([
    [
      { epoch: 3 },
      'run.json: unknown key `epoch`; allowed keys: dataset, architecture, method, optimizer, engine, epochs, batchSize, seed, evalEvery, logEvery, tasks, regularizers, lossWeighting, extraOptimizer',
    ],
    [
      { engine: { modee: 'params' } },
      'run.json: unknown key `engine.modee`; allowed keys in `engine`: mode, jacobianEvery, onNonFinite, threads, autodiff',
    ],
    [
      { engine: { mode: 'both' } },
      "run.json: `engine.mode` must be 'params' or 'features', got \"both\"",
    ],
    [{ engine: 'fast' }, 'run.json: `engine` must be an object, got "fast"'],
    [
      { engine: { onNonFinite: 'ignore' } },
      "run.json: `engine.onNonFinite` must be 'throw' or 'skip', got \"ignore\"",
    ],
    [
      { method: { id: 'ew' }, lossWeighting: { id: 'ew' } },
      "run.json: `lossWeighting` applies to aggregator methods only (J ← diag(w)·J); 'ew' is a loss-weighting: remove `lossWeighting` or choose an aggregator",
    ],
    [
      { method: { id: 'pcgrad' }, lossWeighting: { id: 'pcgrad' } },
      "run.json: `lossWeighting.id`: 'pcgrad' is an aggregator, not a loss-weighting (run `manytask list --kind loss-weighting`)",
    ],
    [
      { regularizers: { id: 'ortho-reg' } },
      'run.json: `regularizers` must be a list of { "id": ..., ...options }, got {"id":"ortho-reg"}',
    ],
    [
      { regularizers: [{ id: 'ortho-reg' }, { id: 'ew' }] },
      "run.json: `regularizers[1].id`: 'ew' is a loss-weighting, not a regularizer (run `manytask list --kind regularizer`)",
    ],
    [
      { regularizers: [{ id: 'ortho-reg', weight: -1 }] },
      'run.json: `regularizers[0]`: ortho-reg: option `weight` must be ≥ 0, got -1',
    ],
    [{ engine: { threads: 0 } }, 'run.json: `engine.threads` must be an integer ≥ 1, got 0'],
    [
      { engine: { autodiff: 'reverse' } },
      "run.json: `engine.autodiff` must be 'tape' or 'naive', got \"reverse\"",
    ],
    [
      { extraOptimizer: { id: 'ew' } },
      "run.json: `extraOptimizer.id`: 'ew' is a loss-weighting, not an optimizer (run `manytask list --kind optimizer`)",
    ],
    [
      { extraOptimizer: { id: 'adatask' } },
      "run.json: `extraOptimizer.id`: 'adatask' is a task optimizer (a training method); use a plain optimizer such as adam for the extra variables",
    ],
    [{ engine: { threads: 65 } }, 'run.json: `engine.threads` must be at most 64, got 65'],
    [
      { engine: { threads: 2 }, regularizers: [{ id: 'ortho-reg' }] },
      "run.json: `engine.threads`: regularizers cannot run data-parallel (their penalty depends on the whole batch's gradients); use 1 thread or drop `regularizers`",
    ],
    [
      { engine: { threads: 2 }, method: { id: 'forum' } },
      "run.json: `engine.threads`: bi-level method 'forum' cannot run data-parallel (it re-runs the model on batch halves); use 1 thread or another method",
    ],
    [
      { engine: { jacobianEvery: 0 } },
      'run.json: `engine.jacobianEvery` must be an integer ≥ 1, got 0',
    ],
    [{ epochs: 0 }, 'run.json: `epochs` must be an integer ≥ 1, got 0'],
    [{ epochs: 2.5 }, 'run.json: `epochs` must be an integer ≥ 1, got 2.5'],
    [{ batchSize: '64' }, 'run.json: `batchSize` must be an integer ≥ 1, got "64"'],
    [{ evalEvery: -1 }, 'run.json: `evalEvery` must be an integer ≥ 1, got -1'],
    [{ logEvery: null }, 'run.json: `logEvery` must be an integer ≥ 1, got null'],
    [{ seed: -1 }, 'run.json: `seed` must be an integer in [0, 4294967295], got -1'],
    [{ tasks: [] }, 'run.json: `tasks` must be a non-empty list of distinct task ids, got []'],
    [
      { tasks: ['a', 'a'] },
      'run.json: `tasks` must be a non-empty list of distinct task ids, got ["a","a"]',
    ],
    [
      { method: 'pcgrad' },
      'run.json: `method` must be an object with an `id` (e.g. { "id": "ew" }), got "pcgrad"',
    ],
    [
      { method: { c: 1 } },
      'run.json: `method.id` must be an aggregator, loss-weighting, task optimizer or bilevel id (run `manytask list --kind aggregator`), got undefined',
    ],
    [
      { method: { id: 'pcgrd' } },
      "run.json: `method.id`: unknown id 'pcgrd'; did you mean 'pcgrad'? (run `manytask list` to see every id)",
    ],
    [
      { method: { id: 'shared-bottom' } },
      "run.json: `method.id`: 'shared-bottom' is an architecture, not an aggregator, loss-weighting, task optimizer or bilevel (run `manytask list --kind aggregator`)",
    ],
    [
      { method: { id: 'cagrad', c: -1 } },
      'run.json: `method`: cagrad: option `c` must be ≥ 0, got -1',
    ],
    [
      { method: { id: 'cagrad', alpha: 1 } },
      'run.json: `method`: cagrad: unknown option `alpha`; known options: c',
    ],
    [
      { optimizer: { id: 'adam', learningRate: 0 } },
      'run.json: `optimizer`: adam: option `learningRate` must be > 0, got 0',
    ],
    [
      { method: { id: 'adam' } },
      "run.json: `method.id`: 'adam' is an optimizer of one gradient, not a training method; set it as `optimizer` (methods are aggregators, loss weightings and task optimizers such as adatask)",
    ],
    [
      { optimizer: { id: 'adatask' } },
      "run.json: `optimizer.id`: 'adatask' is a task optimizer (a training method); set it as `method` and keep a plain optimizer such as adam here",
    ],
    [
      { dataset: { id: 'ew' } },
      "run.json: `dataset.id`: 'ew' is a loss-weighting, not a dataset (run `manytask list --kind dataset`)",
    ],
  ])('rejects %j with its exact message', (raw, message) => {
    expect(errorOf(() => parseRunConfig(raw, registry, file))).toBe(message);
  });

  it('combines an aggregator with a loss weighting', () => {
    const c = parseRunConfig(
      { method: { id: 'pcgrad' }, lossWeighting: { id: 'ew' } },
      registry,
      file,
    );
    expect(c.lossWeighting).toEqual({ id: 'ew', options: {} });
    expect(runConfigToJson(c)['lossWeighting']).toEqual({ id: 'ew' });
  });

  it('accepts a task optimizer (AdaTask) as the method', () => {
    const c = parseRunConfig({ method: { id: 'adatask' } }, registry, file);
    expect(c.method).toEqual({ id: 'adatask', kind: 'task-optimizer', options: {} });
  });

  it('rejects a non-object configuration', () => {
    expect(errorOf(() => parseRunConfig([1], registry, file))).toBe(
      'run.json: the run configuration must be a JSON object',
    );
  });
});

describe('flags', () => {
  const parse = (base: Record<string, unknown>, flags: Record<string, string>): unknown => {
    const m = mergeFlags(base, flags);
    return runConfigToJson(parseRunConfig(m.raw, registry, { source: 'run.json', flags: m.flags }));
  };

  it('override the file; a different method id drops the file method options', () => {
    const base = { method: { id: 'cagrad', c: 0.9 }, epochs: 5 };
    expect(parse(base, { epochs: '2', 'batch-size': '32', lr: '0.01' })).toMatchObject({
      method: { id: 'cagrad', c: 0.9 },
      epochs: 2,
      batchSize: 32,
      optimizer: { id: 'adam', learningRate: 0.01 },
    });
    expect(parse(base, { method: 'pcgrad' })).toMatchObject({ method: { id: 'pcgrad' } });
    expect(parse(base, { 'method-options': '{"c":0.1}' })).toMatchObject({
      method: { id: 'cagrad', c: 0.1 },
    });
    expect(
      parse(
        {},
        {
          mode: 'features',
          'jacobian-every': '4',
          arch: 'shared-bottom',
          'arch-options': '{"hidden":8}',
        },
      ),
    ).toMatchObject({
      engine: { mode: 'features', jacobianEvery: 4 },
      architecture: { id: 'shared-bottom', hidden: 8 },
    });
    expect(parse({}, { tasks: 'a, b' })).toMatchObject({ tasks: ['a', 'b'] });
    expect(parse({}, { 'arch-options': '{"hidden":4}' })).toMatchObject({
      architecture: { id: 'shared-bottom', hidden: 4 },
    });
    expect(parse({}, { 'method-options': '{}' })).toMatchObject({ method: { id: 'ew' } });
  });

  it.each([
    [{ epochs: 'three' }, "--epochs must be a number, got 'three'"],
    [{ epochs: '0' }, '--epochs must be an integer ≥ 1, got 0'],
    [{ 'batch-size': '1.5' }, '--batch-size must be an integer ≥ 1, got 1.5'],
    [{ mode: 'fast' }, "--mode must be 'params' or 'features', got \"fast\""],
    [{ method: 'nope' }, "--method: unknown id 'nope' (run `manytask list` to see every id)"],
    [
      { method: 'cagrad', 'method-options': '{"c":-2}' },
      '--method-options: cagrad: option `c` must be ≥ 0, got -2',
    ],
    [
      { 'method-options': '[1]' },
      `--method-options must be a JSON object (e.g. '{"c": 0.5}'), got [1]`,
    ],
    [{ 'method-options': '{"id":"x"}' }, '--method-options must not contain `id`; use --method'],
    [{ tasks: 'a,,b' }, '--tasks must be a non-empty list of distinct task ids, got ["a","","b"]'],
    [{ lr: '-1' }, '--lr: adam: option `learningRate` must be > 0, got -1'],
  ])('reject %j with its exact message', (flags, message) => {
    expect(errorOf(() => parse({}, flags))).toBe(message);
  });

  it('report invalid JSON in an options flag', () => {
    expect(errorOf(() => parse({}, { 'method-options': '{c:1}' }))).toMatch(
      /^--method-options must be a JSON object \(e\.g\. '\{"c": 0\.5\}'\): /,
    );
  });
});

describe('loadRunConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'manytask-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file and names it in errors', async () => {
    const p = join(dir, 'run.json');
    writeFileSync(p, JSON.stringify({ method: { id: 'cagrad', c: 0.2 }, epochs: 2 }));
    const c = await loadRunConfig({ config: p, seed: '3' }, registry);
    expect(c.method.options).toEqual({ c: 0.2 });
    expect(c.seed).toBe(3);
    writeFileSync(p, JSON.stringify({ epochs: 2, foo: 1 }));
    await expect(loadRunConfig({ config: p }, registry)).rejects.toThrow(
      `${p}: unknown key \`foo\`; allowed keys: dataset, architecture`,
    );
    writeFileSync(p, '[]');
    await expect(loadRunConfig({ config: p }, registry)).rejects.toThrow(
      `${p}: the run configuration must be a JSON object`,
    );
    await expect(loadRunConfig({ config: join(dir, 'none.json') }, registry)).rejects.toThrow(
      `${join(dir, 'none.json')}: file not found`,
    );
  });
});
