import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import type { DataSchema } from './schema.js';
import { seededSplit } from './split.js';
import { loadTabularFile, tabularFileLoader } from './user.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

const schema: DataSchema = {
  features: [
    { column: 'age', type: 'numeric', missingIndicator: true },
    { column: 'city', type: 'categorical' },
  ],
  tasks: [
    { column: 'clicked', kind: 'binary' },
    { column: 'segment', kind: 'multiclass' },
    { column: 'spend', kind: 'regression' },
  ],
  weight: 'w',
};

const small: DataSchema = {
  features: [
    { column: 'age', type: 'numeric' },
    { column: 'city', type: 'categorical' },
  ],
  tasks: [{ column: 'clicked', kind: 'binary' }],
};

// Every row in the training split: encodings can be checked against hand-computed values.
const all = { seed: 1, validFraction: 0, testFraction: 0 } as const;

const AGES = [34, NaN, 29, 41, 52, 23, 38, 45, 31, 27, 60, 36, 48, 33, 39, 26, 55, 30, 44, 35];

async function dataErrorOf(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DataError) return e;
    throw e;
  }
  throw new Error('expected a DataError');
}

describe('loadTabularFile (CSV)', () => {
  it('encodes features, labels, masks and weights as documented', async () => {
    const ds = await loadTabularFile(fixture('user-basic.csv'), schema, all);
    expect(ds.train.n).toBe(20);
    expect(ds.valid.n).toBe(0);
    expect(ds.test.n).toBe(0);
    expect(ds.inputSpec).toEqual({
      numeric: 2,
      categorical: [{ name: 'city', vocabSize: 7 }],
    });
    expect(ds.tasks).toEqual([
      { id: 'clicked', kind: 'binary' },
      { id: 'segment', kind: 'multiclass', numClasses: 3 },
      { id: 'spend', kind: 'regression' },
    ]);
    // age: standardised with the mean and population std of the 19 present values.
    const present = AGES.filter((a) => !Number.isNaN(a));
    const mean = present.reduce((s, a) => s + a, 0) / present.length;
    const std = Math.sqrt(present.reduce((s, a) => s + (a - mean) ** 2, 0) / present.length);
    expect(mean).toBeCloseTo(726 / 19, 12);
    const num = ds.train.numeric!;
    expect(num[0]).toBeCloseTo((34 - mean) / std, 6);
    expect([num[2], num[3]]).toEqual([0, 1]); // row 2: missing → mean (0) and indicator 1
    expect(num[1]).toBe(0);
    // city vocabulary by training frequency: Berlin 8, "Paris, FR" 6, Madrid 3, then ties by value.
    expect(ds.encoding.features[1]).toEqual({
      column: 'city',
      type: 'categorical',
      vocab: ['Berlin', 'Paris, FR', 'Madrid', 'Multi\nline', 'Rome "centro"'],
    });
    expect(Array.from(ds.train.categorical!.slice(0, 6))).toEqual([3, 2, 3, 6, 2, 0]);
    expect(ds.train.categorical![12]).toBe(5);
    // labels and masks
    expect(Array.from(ds.train.labels['clicked']!.slice(0, 5))).toEqual([1, 0, 0, 1, 0]);
    expect(Array.from(ds.train.masks!['clicked']!.slice(0, 6))).toEqual([1, 1, 1, 1, 0, 1]);
    expect(ds.train.labels['segment']).toBeInstanceOf(Int32Array);
    expect(Array.from(ds.train.labels['segment']!.slice(0, 4))).toEqual([1, 0, 2, 0]);
    expect(Array.from(ds.train.masks!['segment']!)).toEqual(new Array(20).fill(1));
    expect(ds.train.labels['spend']![3]).toBeCloseTo(7.25, 6);
    expect(Array.from(ds.train.masks!['spend']!.slice(0, 4))).toEqual([1, 1, 0, 1]);
    expect(Array.from(ds.train.rowWeights!.slice(0, 4))).toEqual([1, 2, 1, 0.5]);
    expect(ds.targetScaling).toBeUndefined();
  });

  it('caps a vocabulary with maxVocab (the rest is out of vocabulary = 1)', async () => {
    const ds = await loadTabularFile(
      fixture('user-basic.csv'),
      { ...small, features: [{ column: 'city', type: 'categorical', maxVocab: 2 }] },
      all,
    );
    expect(ds.inputSpec.categorical).toEqual([{ name: 'city', vocabSize: 4 }]);
    expect(Array.from(ds.train.categorical!.slice(0, 9))).toEqual([3, 2, 3, 1, 2, 0, 2, 3, 1]);
    expect(Array.from(ds.train.masks!['clicked']!.slice(3, 6))).toEqual([1, 0, 1]);
  });

  it('gives identical data from CSV, gzip CSV, Parquet and Arrow', async () => {
    const opts = { seed: 7, validFraction: 0.2, testFraction: 0.2 };
    const csv = await loadTabularFile(fixture('user-basic.csv'), schema, opts);
    for (const f of ['user-basic.csv.gz', 'user-basic.parquet', 'user-basic.arrow']) {
      const other = await loadTabularFile(fixture(f), schema, opts);
      expect(other.train).toEqual(csv.train);
      expect(other.valid).toEqual(csv.valid);
      expect(other.test).toEqual(csv.test);
      expect(other.encoding).toEqual(csv.encoding);
    }
  });

  it('splits with the seed: sizes, disjoint, deterministic, training-only standardisation', async () => {
    const opts = { seed: 3, validFraction: 0.1, testFraction: 0.2 };
    const a = await loadTabularFile(fixture('user-basic.csv'), small, opts);
    const b = await loadTabularFile(fixture('user-basic.csv'), small, opts);
    const c = await loadTabularFile(fixture('user-basic.csv'), small, { ...opts, seed: 4 });
    expect([a.train.n, a.valid.n, a.test.n]).toEqual([14, 2, 4]);
    expect(a.train).toEqual(b.train);
    expect(a.test).toEqual(b.test);
    expect(c.test).not.toEqual(a.test);
    // age is standardised with training statistics: the training rows have mean 0.
    const x = a.train.numeric!;
    let s = 0;
    for (let i = 0; i < a.train.n; i++) s += x[i * 1] as number;
    expect(Math.abs(s / a.train.n)).toBeLessThan(1e-6);
    // rows are partitioned: every row id lands in exactly one split
    const ages = [a.train, a.valid, a.test].flatMap((sp) => Array.from(sp.numeric!));
    expect(ages).toHaveLength(20);
  });

  it('standardises a regression target on the training split when asked', async () => {
    const ds = await loadTabularFile(
      fixture('user-basic.csv'),
      { ...small, tasks: [{ column: 'spend', kind: 'regression', standardize: true }] },
      all,
    );
    const sc = ds.targetScaling!['spend']!;
    const spend = [
      12.5, 3, 7.25, 10, 1.5, 8, 6.5, 9.75, 2.25, 15, 4, 11, 3.5, 8.5, 2, 13.25, 3.75, 10.5, 5,
    ];
    const mean = spend.reduce((p, v) => p + v, 0) / spend.length;
    expect(sc.mean).toBeCloseTo(mean, 10);
    expect(ds.train.labels['spend']![0]).toBeCloseTo((12.5 - sc.mean) / sc.std, 5);
  });
});

describe('loadTabularFile errors (exact messages)', () => {
  it('unknown column', async () => {
    const f = fixture('user-basic.csv');
    const bad: DataSchema = { ...small, features: [{ column: 'agee', type: 'numeric' }] };
    const e = await dataErrorOf(loadTabularFile(f, bad, all));
    expect(e.message).toBe(
      `${f}, column 'agee': column 'agee' named in the schema is not in the file (columns found: 'id', 'age', 'city', 'clicked', 'segment', 'spend', 'w'); fix the column name in the schema (names are case-sensitive) or add the column to the file`,
    );
    expect([e.file, e.line, e.column]).toEqual([f, undefined, 'agee']);
  });

  it('unknown column in Parquet and Arrow files too', async () => {
    const bad: DataSchema = { ...small, tasks: [{ column: 'click', kind: 'binary' }] };
    for (const name of ['user-basic.parquet', 'user-basic.arrow']) {
      const e = await dataErrorOf(loadTabularFile(fixture(name), bad, all));
      expect(e.message).toMatch(/column 'click' named in the schema is not in the file/);
    }
  });

  it('wrong type', async () => {
    const f = fixture('wrong-type.csv');
    const e = await dataErrorOf(loadTabularFile(f, small, all));
    expect(e.message).toBe(
      `${f}, line 3, column 'age': value "forty" is not a number (the schema declares this feature 'numeric'); declare the column as type 'categorical', or add "forty" to schema.missing if it means missing`,
    );
    expect([e.line, e.column]).toEqual([3, 'age']);
  });

  it('ragged row', async () => {
    const f = fixture('ragged.csv');
    const e = await dataErrorOf(loadTabularFile(f, small, all));
    expect(e.message).toBe(
      `${f}, line 3: row has 2 fields but the header has 3; fix the row: quote fields that contain the delimiter, and give every row the same number of fields`,
    );
    expect(e.line).toBe(3);
  });

  it('NaN in a label', async () => {
    const f = fixture('nan-label.csv');
    const e = await dataErrorOf(loadTabularFile(f, small, all));
    expect(e.message).toBe(
      `${f}, line 3, column 'clicked': label of task 'clicked' is NaN; a label must be a value; if NaN means "no label" here, add "NaN" to schema.missing so the row is masked out of this task's loss`,
    );
    // the fix works
    const ok = await loadTabularFile(f, { ...small, missing: ['NA', 'NaN'] }, all);
    expect(Array.from(ok.train.masks!['clicked']!)).toEqual([1, 0, 1]);
  });

  it('a task with one class only', async () => {
    const f = fixture('one-class.csv');
    const e = await dataErrorOf(loadTabularFile(f, small, all));
    expect(e.message).toBe(
      `${f}, column 'clicked': task 'clicked' has only one class among its labelled rows; a classification task needs at least two classes: fix the labels or drop the task`,
    );
  });

  it('a task with one class in the training split only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manytask-user-'));
    const f = join(dir, 'split.csv');
    writeFileSync(f, 'age,city,clicked\n1,a,1\n2,b,1\n3,c,0\n');
    // Find a seed that puts the only negative row into the test split.
    let seed = 0;
    for (; seed < 100; seed++) {
      const s = seededSplit(3, { validFraction: 0, testFraction: 0.34 }, createRng(seed));
      if (s.test[0] === 2) break;
    }
    const e = await dataErrorOf(
      loadTabularFile(f, small, { seed, validFraction: 0, testFraction: 0.34 }),
    );
    expect(e.message).toBe(
      `${f}, column 'clicked': task 'clicked' has only one class in the training split (2 rows); use more rows, smaller validFraction/testFraction, or another seed`,
    );
  });

  it('an empty file, and a file with a header only', async () => {
    const f = fixture('empty.csv');
    expect((await dataErrorOf(loadTabularFile(f, small, all))).message).toBe(
      `${f}: file is empty (no header and no rows); give a file with at least one data row`,
    );
    const h = fixture('header-only.csv');
    expect((await dataErrorOf(loadTabularFile(h, small, all))).message).toBe(
      `${h}: file is empty (a header but no data rows); give a file with at least one data row`,
    );
  });

  it('a missing file', async () => {
    const f = fixture('nope.csv');
    expect((await dataErrorOf(loadTabularFile(f, small, all))).message).toBe(
      `${f}: file not found; check the path (relative paths resolve from ${process.cwd()})`,
    );
  });

  it('a binary label that is not 0/1 says to declare `positive`', async () => {
    const f = fixture('user-basic.csv');
    const bad: DataSchema = { ...small, tasks: [{ column: 'segment', kind: 'binary' }] };
    const e = await dataErrorOf(loadTabularFile(f, bad, all));
    expect(e.message).toBe(
      `${f}, line 2, column 'segment': label "b" of binary task 'segment' is not 0/1 or true/false; declare which value means 1 with \`positive\` in the task's schema (e.g. positive: "b")`,
    );
    const ok = await loadTabularFile(
      f,
      { ...small, tasks: [{ column: 'segment', kind: 'binary', positive: ['a', 'c'] }] },
      all,
    );
    expect(Array.from(ok.train.labels['segment']!.slice(0, 4))).toEqual([0, 1, 1, 1]);
  });

  it('a multiclass label outside the declared classes', async () => {
    const f = fixture('user-basic.csv');
    const bad: DataSchema = {
      ...small,
      tasks: [{ column: 'segment', kind: 'multiclass', classes: ['a', 'b'] }],
    };
    const e = await dataErrorOf(loadTabularFile(f, bad, all));
    expect(e.message).toBe(
      `${f}, line 4, column 'segment': label "c" of multiclass task 'segment' is not one of its 2 classes; add the value to the task's \`classes\`, or fix the label`,
    );
  });

  it('a negative row weight', async () => {
    const f = fixture('user-basic.csv');
    const e = await dataErrorOf(loadTabularFile(f, { ...small, weight: 'spend' }, all));
    expect(e.message).toMatch(/, line 4, column 'spend': row weight "" is missing/);
  });
});

describe('schema validation and the tabular-file entry', () => {
  it('rejects a malformed schema at factory time', () => {
    expect(() => tabularFileLoader({ path: 'x.csv', schema: { features: [], tasks: [] } })).toThrow(
      new ConfigError(
        "tabular-file: schema.features must be a non-empty array of { column, type: 'numeric' | 'categorical' }",
      ),
    );
    expect(() =>
      tabularFileLoader({
        path: 'x.csv',
        schema: {
          features: [{ column: 'a', type: 'numeric' }],
          tasks: [{ column: 'a', kind: 'binary' }],
        },
      }),
    ).toThrow(
      "tabular-file: column 'a' is used twice (feature 0 and task 'a'); give each column one role (a label column must not also be a feature)",
    );
    expect(() =>
      tabularFileLoader({ schema: small as unknown as Record<string, unknown> }),
    ).toThrow('tabular-file: option `path` is required');
  });

  it('loads through the registry factory', async () => {
    const loader = tabularFileLoader({
      path: fixture('user-basic.arrow'),
      schema: small as unknown as Record<string, unknown>,
    });
    const ds = await loader.load(5);
    expect(ds.train.n + ds.valid.n + ds.test.n).toBe(20);
    expect(ds.tasks.map((t) => t.id)).toEqual(['clicked']);
  });
});
