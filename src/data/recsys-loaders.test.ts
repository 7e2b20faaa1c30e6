import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../core/errors.js';
import { ADULT_COLUMNS, adult } from './adult.js';
import { aliCcp } from './ali-ccp.js';
import { aliExpress } from './aliexpress.js';
import { CENSUS_COLUMNS, censusIncome } from './census-income.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'manytask-data-'));
function tmpFile(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

describe('census-income (user-supplied KDD files)', () => {
  const opts = {
    trainPath: fixture('census-income.sample'),
    testPath: fixture('census-income-test.sample'),
    validFraction: 0,
  };

  it('reads the 42-field layout: group 1 tasks, numeric/categorical split, test file', async () => {
    expect(CENSUS_COLUMNS).toHaveLength(42);
    const ds = await censusIncome({ ...opts, useInstanceWeight: true }).load(1);
    expect([ds.train.n, ds.valid.n, ds.test.n]).toEqual([6, 0, 3]);
    expect(ds.tasks).toEqual([
      { id: 'income', kind: 'binary' },
      { id: 'never_married', kind: 'binary' },
    ]);
    expect(ds.inputSpec.numeric).toBe(7);
    // 42 − 7 numeric − instance weight − the two label columns
    expect(ds.inputSpec.categorical).toHaveLength(32);
    expect(ds.inputSpec.categorical.map((c) => c.name)).not.toContain('instance_weight');
    expect(Array.from(ds.train.labels['income']!)).toEqual([0, 0, 0, 0, 1, 1]);
    expect(Array.from(ds.train.labels['never_married']!)).toEqual([0, 0, 1, 0, 0, 1]);
    expect(Array.from(ds.test.labels['income']!)).toEqual([0, 1, 0]);
    expect(Array.from(ds.test.labels['never_married']!)).toEqual([0, 1, 1]);
    expect(Array.from(ds.train.rowWeights!)).toEqual(
      [1700.09, 1053.55, 991.95, 162.61, 1535.86, 1146.79].map((w) => expect.closeTo(w, 2)),
    );
    // '?' is missing (index 0); "Not in universe" is an ordinary category
    const names = ds.inputSpec.categorical.map((c) => c.name);
    const msa = names.indexOf('mig_chg_msa');
    expect(ds.train.categorical![msa]).toBe(0);
    expect(ds.train.categorical![32 + msa]).toBeGreaterThanOrEqual(2);
    // age is standardised on the training file
    const ages = [73, 58, 18, 48, 42, 35];
    const mean = ages.reduce((s, a) => s + a, 0) / 6;
    const std = Math.sqrt(ages.reduce((s, a) => s + (a - mean) ** 2, 0) / 6);
    expect(ds.train.numeric![0]).toBeCloseTo((73 - mean) / std, 5);
    expect(ds.description).toContain('6 rows × 42 fields');
    expect(ds.description).toContain('income 33.3 %');
  });

  it('group 2: college (degree holders) and never_married; education is not a feature', async () => {
    const ds = await censusIncome({ ...opts, taskGroup: 2 }).load(1);
    expect(ds.tasks.map((t) => t.id)).toEqual(['college', 'never_married']);
    expect(Array.from(ds.train.labels['college']!)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(Array.from(ds.test.labels['college']!)).toEqual([0, 1, 0]);
    const names = ds.inputSpec.categorical.map((c) => c.name);
    expect(names).not.toContain('education');
    expect(names).not.toContain('income_50k');
    expect(ds.train.rowWeights).toBeUndefined();
  });

  it('reports a bad income label and a short line with file, line and fix', async () => {
    const lines = readFileSync(fixture('census-income.sample'), 'utf8').split('\n');
    const badLabel = tmpFile(
      'bad-label.data',
      [lines[0], lines[1]!.replace('- 50000.', '50000+')].join('\n'),
    );
    await expect(censusIncome({ trainPath: badLabel }).load(1)).rejects.toThrow(
      new DataError(
        `${badLabel}, line 2, column 'income_50k': label "50000+" of binary task 'income' is neither a positive ("50000+.") nor a negative ("- 50000.") value; fix the label, or add the value to \`positive\` / \`negative\` (or to schema.missing)`,
        { file: badLabel, line: 2, column: 'income_50k' },
      ),
    );
    const short = tmpFile(
      'short.data',
      [lines[0], lines[1]!.replace(/, 9[45], - 50000\.$/, ', - 50000.')].join('\n'),
    );
    await expect(censusIncome({ trainPath: short }).load(1)).rejects.toThrow(
      `${short}, line 2: row has 41 fields but the declared columns are 42; fix the row`,
    );
  });

  it('requires trainPath', () => {
    expect(() => censusIncome({})).toThrow(ConfigError);
  });
});

describe('adult (user-supplied UCI files)', () => {
  const opts = {
    trainPath: fixture('adult.sample'),
    testPath: fixture('adult-test.sample'),
    validFraction: 0,
  };

  it('reads the 15-field layout, skips the test file comment line and accepts labels with a period', async () => {
    expect(ADULT_COLUMNS).toHaveLength(15);
    const ds = await adult(opts).load(1);
    expect([ds.train.n, ds.valid.n, ds.test.n]).toEqual([7, 0, 3]);
    expect(ds.tasks).toEqual([
      { id: 'income', kind: 'binary' },
      { id: 'never_married', kind: 'binary' },
    ]);
    expect(ds.inputSpec.numeric).toBe(5);
    const names = ds.inputSpec.categorical.map((c) => c.name);
    expect(names).toEqual([
      'workclass',
      'education',
      'occupation',
      'relationship',
      'race',
      'sex',
      'native-country',
    ]);
    expect(Array.from(ds.train.labels['income']!)).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(Array.from(ds.train.labels['never_married']!)).toEqual([1, 0, 0, 0, 0, 1, 0]);
    expect(Array.from(ds.test.labels['income']!)).toEqual([0, 0, 1]);
    expect(Array.from(ds.test.labels['never_married']!)).toEqual([1, 0, 0]);
    expect(ds.train.rowWeights).toBeUndefined();
    // '?' is missing (index 0) in the last training row's workclass
    expect(ds.train.categorical![6 * names.length + names.indexOf('workclass')]).toBe(0);
    expect(ds.description).toContain('7 rows × 15 fields');
    expect(ds.description).toContain('income 42.9 %');
  });

  it('uses fnlwgt as the row weight or as a numeric feature on request', async () => {
    const weighted = await adult({ ...opts, fnlwgt: 'weight' }).load(1);
    expect(Array.from(weighted.train.rowWeights!)).toEqual([
      77516, 83311, 215646, 234721, 209642, 45781, 180211,
    ]);
    expect(weighted.inputSpec.numeric).toBe(5);
    const feature = await adult({ ...opts, fnlwgt: 'feature' }).load(1);
    expect(feature.inputSpec.numeric).toBe(6);
    expect(feature.train.rowWeights).toBeUndefined();
  });

  it('reports a label outside both spellings with file, line and column', async () => {
    const lines = readFileSync(fixture('adult.sample'), 'utf8').split('\n');
    const bad = tmpFile('bad.data', [lines[0], lines[1]!.replace('<=50K', '50K')].join('\n'));
    await expect(adult({ trainPath: bad }).load(1)).rejects.toThrow(
      `${bad}, line 2, column 'income': label "50K" of binary task 'income' is neither a positive`,
    );
  });
});

describe('aliexpress (user-supplied MTReclib-layout CSV)', () => {
  it('reads search id, 16 categorical, 63 numerical columns and the two labels by position', async () => {
    const ds = await aliExpress({
      trainPath: fixture('aliexpress.csv'),
      validFraction: 0,
      testFraction: 0,
    }).load(1);
    expect(ds.train.n).toBe(10);
    expect(ds.inputSpec.numeric).toBe(63);
    expect(ds.inputSpec.categorical).toHaveLength(16);
    expect(ds.inputSpec.categorical[0]!.name).toBe('categorical_1');
    expect(ds.tasks.map((t) => t.id)).toEqual(['click', 'conversion']);
    expect(Array.from(ds.train.labels['click']!)).toEqual([1, 0, 1, 0, 0, 1, 0, 1, 0, 1]);
    expect(Array.from(ds.train.labels['conversion']!)).toEqual([0, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
    expect(ds.train.masks).toBeUndefined();
  });

  it('CVR on clicks masks unclicked rows; a conversion without a click is an error', async () => {
    const ds = await aliExpress({
      trainPath: fixture('aliexpress.csv'),
      validFraction: 0,
      testFraction: 0,
      cvrOnClicks: true,
    }).load(1);
    expect(Array.from(ds.train.masks!['conversion']!)).toEqual([1, 0, 1, 0, 0, 1, 0, 1, 0, 1]);
    expect(Array.from(ds.train.masks!['click']!)).toEqual(new Array(10).fill(1));
    const lines = readFileSync(fixture('aliexpress.csv'), 'utf8').trimEnd().split('\n');
    const bad = tmpFile(
      'bad-ae.csv',
      [...lines.slice(0, 2), lines[2]!.replace(/0,0$/, '0,1')].join('\n'),
    );
    await expect(aliExpress({ trainPath: bad }).load(1)).rejects.toThrow(
      `${bad}, line 3, column 'conversion': row has a conversion without a click (click 0); a conversion implies a click in these logs: fix the labels or check the column order`,
    );
  });

  it('uses a test file as the test split with the training vocabulary', async () => {
    const ds = await aliExpress({
      trainPath: fixture('aliexpress.csv'),
      testPath: fixture('aliexpress.csv'),
      validFraction: 0.2,
    }).load(3);
    expect([ds.train.n, ds.valid.n, ds.test.n]).toEqual([8, 2, 10]);
  });
});

describe('ali-ccp (user-supplied skeleton + common features)', () => {
  const base = {
    skeletonPath: fixture('ali-ccp/sample_skeleton_train.csv'),
    commonPath: fixture('ali-ccp/common_features_train.csv'),
    fields: '101,121,205,206,301',
    validFraction: 0,
    testFraction: 0,
  };

  it('joins common features, keeps the first id per field, missing fields → index 0', async () => {
    const ds = await aliCcp(base).load(1);
    expect(ds.train.n).toBe(6);
    expect(ds.inputSpec.categorical.map((c) => `${c.name}:${c.vocabSize}`)).toEqual([
      '101:5', // user1..3
      '121:4', // g5, g6
      '205:5', // item7, item8, item9
      '206:4', // cate3, cate4
      '301:4', // s1, s2
    ]);
    const cat = Array.from(ds.train.categorical!);
    const row = (i: number): number[] => cat.slice(i * 5, i * 5 + 5);
    // g5 (3 rows) before g6 (2 rows); item7 (3) first; cate3 (3); s1 and s2 tie (2 each) → by value
    expect(row(0)).toEqual([2, 2, 2, 2, 2]); // user1 g5 item7 cate3 s1
    expect(row(1)).toEqual([2, 2, 3, 0, 3]); // user1 g5 item8 (no 206) s2
    expect(row(3)).toEqual([4, 3, 4, 3, 0]); // user3 g6 item9 cate4 (no 301)
    expect(Array.from(ds.train.labels['click']!)).toEqual([1, 0, 1, 0, 1, 0]);
    expect(Array.from(ds.train.labels['purchase']!)).toEqual([0, 0, 1, 0, 0, 0]);
  });

  it('test skeleton, CVR on clicks, unknown common index and a short feature list', async () => {
    const ds = await aliCcp({
      ...base,
      testSkeletonPath: fixture('ali-ccp/sample_skeleton_test.csv'),
      testCommonPath: fixture('ali-ccp/common_features_train.csv'),
      cvrOnClicks: true,
    }).load(1);
    expect(ds.test.n).toBe(3);
    expect(Array.from(ds.test.masks!['purchase']!)).toEqual([1, 0, 1]);
    const cat = Array.from(ds.test.categorical!);
    expect(cat[5 + 2]).toBe(1); // item5 never seen in training → OOV
    const lines = readFileSync(base.skeletonPath, 'utf8').split('\n');
    const badIndex = tmpFile('skel-index.csv', lines[0]!.replace(',c1,', ',c9,'));
    await expect(aliCcp({ ...base, skeletonPath: badIndex }).load(1)).rejects.toThrow(
      `${badIndex}, line 1: common feature index "c9" is not in ${base.commonPath}; give the common_features file of the same split (train with train, test with test)`,
    );
    const badCount = tmpFile('skel-count.csv', lines[0]!.replace(',c1,3,', ',c1,4,'));
    await expect(aliCcp({ ...base, skeletonPath: badCount }).load(1)).rejects.toThrow(
      `${badCount}, line 1: feature list has 3 entries but the feature count field says 4`,
    );
    expect(() => aliCcp({ skeletonPath: 'x', fields: '101,101' })).toThrow(ConfigError);
  });
});

describe('required path options', () => {
  it.each([
    [
      () => censusIncome({}),
      'census-income: option `trainPath` is required (your copy of census-income.data, plain or .gz; nothing is downloaded)',
    ],
    [
      () => aliExpress({ trainPath: '' }),
      'aliexpress: option `trainPath` is required (your copy of an AliExpress train.csv; nothing is downloaded)',
    ],
    [
      () => adult({}),
      'adult: option `trainPath` is required (your copy of adult.data, plain or .gz; nothing is downloaded)',
    ],
    [
      () => aliCcp({}),
      'ali-ccp: option `skeletonPath` is required (your copy of sample_skeleton_train.csv; nothing is downloaded)',
    ],
  ])('%#: names the file to give', (make, message) => {
    expect(make).toThrow(new ConfigError(message));
  });
});
