import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { embeddedDataPath } from './embedded.js';
import { marketingIncome, marketingIncomeSchema } from './marketing-income.js';
import { tecatorMeats } from './tecator-meats.js';
import type { Dataset, DataSplit } from './types.js';
import { yeast } from './yeast.js';

const splits = (ds: Dataset): DataSplit[] => [ds.train, ds.valid, ds.test];

/** Positives and labelled rows of a binary task over the three splits. */
function counts(ds: Dataset, task: string): { pos: number; labelled: number } {
  let pos = 0;
  let labelled = 0;
  for (const s of splits(ds)) {
    const y = s.labels[task]!;
    const m = s.masks?.[task];
    for (let i = 0; i < s.n; i++) {
      if (m !== undefined && m[i] === 0) continue;
      labelled++;
      pos += y[i] as number;
    }
  }
  return { pos, labelled };
}

describe('embedded files', () => {
  it('are found relative to the module, not the working directory', () => {
    for (const f of [
      'marketing-income.csv.gz',
      'digits.csv.gz',
      'tecator-meats.csv.gz',
      'yeast.csv.gz',
      'PROVENANCE.md',
      'NOTICE',
    ]) {
      expect(existsSync(embeddedDataPath(f)), f).toBe(true);
    }
  });
});

describe('marketing-income', () => {
  it('has the documented tasks, positives and masked rows', async () => {
    const ds = await marketingIncome({ college: true, ownsHome: true }).load(1);
    expect(ds.tasks.map((t) => t.id)).toEqual([
      'income_high',
      'never_married',
      'college',
      'owns_home',
    ]);
    expect(counts(ds, 'income_high')).toEqual({ pos: 2192, labelled: 8993 });
    expect(counts(ds, 'never_married')).toEqual({ pos: 3654, labelled: 8833 });
    expect(counts(ds, 'college')).toEqual({ pos: 3066 + 1524 + 966, labelled: 8993 - 86 });
    expect(counts(ds, 'owns_home')).toEqual({ pos: 3256, labelled: 8993 - 240 });
    // Label columns and the DUAL.INCOMES leak are never features.
    expect(ds.inputSpec.categorical.map((c) => c.name)).toEqual([
      'SEX',
      'AGE',
      'OCCUPATION',
      'AREA',
      'HOUSEHOLD.SIZE',
      'UNDER18',
      'HOME.TYPE',
      'ETHNIC.CLASS',
      'LANGUAGE',
    ]);
  });

  it('default: two tasks, 11 categorical features, 70/10/20 seeded split (golden seed 1)', async () => {
    const ds = await marketingIncome().load(1);
    expect([ds.train.n, ds.valid.n, ds.test.n]).toEqual([6295, 899, 1799]);
    expect(ds.inputSpec.numeric).toBe(0);
    expect(ds.inputSpec.categorical.map((c) => `${c.name}:${c.vocabSize}`)).toEqual([
      'SEX:4',
      'AGE:9',
      'EDUCATION:8',
      'OCCUPATION:11',
      'AREA:7',
      'HOUSEHOLD.SIZE:11',
      'UNDER18:12',
      'HOUSEHOLDER:5',
      'HOME.TYPE:7',
      'ETHNIC.CLASS:10',
      'LANGUAGE:5',
    ]);
    expect(Array.from(ds.train.categorical!.slice(0, 22))).toEqual([
      3, 5, 4, 8, 2, 6, 4, 3, 2, 2, 2, 2, 2, 4, 2, 2, 4, 3, 2, 3, 2, 2,
    ]);
    expect(Array.from(ds.test.categorical!.slice(0, 11))).toEqual([
      3, 7, 3, 7, 2, 4, 2, 2, 3, 2, 2,
    ]);
    expect(Array.from(ds.train.labels['income_high']!.slice(0, 10))).toEqual([
      1, 1, 0, 0, 1, 0, 0, 1, 0, 0,
    ]);
    expect(Array.from(ds.train.labels['never_married']!.slice(0, 10))).toEqual([
      0, 0, 1, 1, 0, 1, 1, 0, 0, 0,
    ]);
    expect(Array.from(ds.test.labels['income_high']!.slice(0, 10))).toEqual([
      0, 0, 0, 1, 0, 1, 1, 1, 0, 0,
    ]);
    const again = await marketingIncome().load(1);
    expect(again.test).toEqual(ds.test);
  });

  it('encodes the first file row as read by hand (NA = missing index 0)', async () => {
    // "[75.000-","F","Married","45-54","1 to 3 years of college","Homemaker","10+ years","No",
    // "Three","None","Own","House","White",NA
    const ds = await marketingIncome({ validFraction: 0, testFraction: 0 }).load(1);
    const row = Array.from(ds.train.categorical!.slice(0, 11));
    expect(row[10]).toBe(0); // LANGUAGE NA
    expect(row.slice(0, 10).every((v) => v >= 2)).toBe(true);
    expect(ds.train.labels['income_high']![0]).toBe(1);
    expect(ds.train.labels['never_married']![0]).toBe(0);
    expect(ds.train.masks!['never_married']![0]).toBe(1);
    expect([ds.id, ds.description, ds.provenance]).toEqual([
      'marketing-income',
      'Marketing survey (8,993 rows, 11 categorical features): income_high, never_married',
      'embedded marketing-income.csv.gz: ESL "Marketing" data via R kernlab data(income) (Impact Resources, 1987); see data/PROVENANCE.md and data/NOTICE in the package',
    ]);
  });

  it('rejects unknown options', () => {
    expect(() => marketingIncome({ colege: true })).toThrow(ConfigError);
    expect(marketingIncomeSchema({ college: false, ownsHome: false }).features).toHaveLength(11);
  });
});

describe('tecator-meats', () => {
  it('standardises inputs and targets on the training split only (golden seed 1)', async () => {
    const ds = await tecatorMeats().load(1);
    expect([ds.train.n, ds.valid.n, ds.test.n]).toEqual([150, 22, 43]);
    expect(ds.inputSpec.numeric).toBe(100);
    expect(ds.tasks.map((t) => `${t.id}:${t.kind}`)).toEqual([
      'water:regression',
      'fat:regression',
      'protein:regression',
    ]);
    for (const t of ['water', 'fat', 'protein']) {
      const y = ds.train.labels[t]!;
      let m = 0;
      let v = 0;
      for (const x of y) m += x / y.length;
      for (const x of y) v += (x - m) ** 2 / y.length;
      expect(Math.abs(m)).toBeLessThan(1e-5);
      expect(v).toBeCloseTo(1, 4);
    }
    const sc = ds.targetScaling!;
    expect(sc['water']!.mean).toBeCloseTo(63.443, 3);
    expect(sc['fat']!.std).toBeCloseTo(12.54708, 4);
    expect(Array.from(ds.train.numeric!.slice(0, 3))).toEqual([
      expect.closeTo(-0.450129, 5),
      expect.closeTo(-0.452454, 5),
      expect.closeTo(-0.454624, 5),
    ]);
    expect(ds.train.labels['fat']![2]).toBeCloseTo(1.980647, 5);
    expect([ds.id, ds.description, ds.provenance]).toEqual([
      'tecator-meats',
      'Tecator NIR spectra (215 rows × 100 channels): water, fat, protein (regression)',
      'embedded tecator-meats.csv.gz: Tecator Infratec data via R modeldata data(meats), public domain with permission note; see data/PROVENANCE.md and data/NOTICE in the package',
    ]);
  });

  it('targets correlate as documented (water–fat ≈ −0.988)', async () => {
    const ds = await tecatorMeats({ validFraction: 0, testFraction: 0 }).load(1);
    const a = ds.train.labels['water']!;
    const b = ds.train.labels['fat']!;
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
    expect(s / a.length).toBeCloseTo(-0.988, 2);
  });
});

describe('yeast', () => {
  it('drops label 14 by default; standardised features; golden seed 1', async () => {
    const ds = await yeast().load(1);
    expect([ds.train.n, ds.valid.n, ds.test.n]).toEqual([1692, 242, 483]);
    expect(ds.tasks).toHaveLength(13);
    expect(ds.tasks[0]).toEqual({ id: 'label1', kind: 'binary' });
    expect(ds.inputSpec.numeric).toBe(103);
    expect(Array.from(ds.train.numeric!.slice(0, 3))).toEqual([
      expect.closeTo(0.972314, 5),
      expect.closeTo(1.417926, 5),
      expect.closeTo(0.652498, 5),
    ]);
    expect(Array.from(ds.train.labels['label1']!.slice(0, 8))).toEqual([0, 0, 0, 1, 0, 0, 0, 0]);
    expect(counts(ds, 'label1')).toEqual({ pos: 762, labelled: 2417 });
    expect(counts(ds, 'label12')).toEqual({ pos: 1816, labelled: 2417 });
    expect([ds.id, ds.description, ds.provenance]).toEqual([
      'yeast',
      'Yeast gene function (2,417 rows × 103 features): 13 binary labels',
      'embedded yeast.csv.gz: Elisseeff & Weston (NIPS 2001) via R mlr yeast.task; see data/PROVENANCE.md and data/NOTICE in the package',
    ]);
  });

  it('takes a label subset and validates it', async () => {
    const ds = await yeast({ labels: [14, 2] }).load(2);
    expect(ds.tasks.map((t) => t.id)).toEqual(['label14', 'label2']);
    expect(counts(ds, 'label14').pos).toBe(34);
    expect(() => yeast({ labels: [0, 3] })).toThrow(
      'yeast: option `labels` must be distinct integers in 1..14, got [0,3]',
    );
  });
});
