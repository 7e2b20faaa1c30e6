/**
 * `marketing-income`: the default recommender-style tabular set (DATASETS §2.1, §4.1).
 *
 * 8,993 survey rows × 14 categorical columns (Impact Resources, 1987; the "Marketing" data of
 * Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning*, via R `kernlab`).
 * Tasks mirror the MMoE / PLE Census-Income group 1 (Ma et al., KDD 2018; Tang et al., RecSys
 * 2020): `income_high` (INCOME in the top two levels, ≥ $50k) and `never_married`
 * (MARITAL.STATUS == "Single"), plus optional `college` (EDUCATION ≥ "1 to 3 years of college")
 * and `owns_home` (HOUSEHOLDER == "Own").
 *
 * Features: every other column, categorical, `NA` = the missing index 0 (its own category).
 * Label columns are never features, and DUAL.INCOMES is always excluded because its level
 * "Not Married" leaks the marital-status label. Rows without a marital status (160) are kept
 * and masked out of `never_married` only (likewise for the optional tasks).
 */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { embeddedTabularLoader, splitOptions } from './embedded.js';
import type { DataSchema, TaskColumnSchema } from './schema.js';
import type { DatasetLoader } from './types.js';
import type { RegistryEntry } from '../registry/types.js';

const FILE = 'marketing-income.csv.gz';

/** Id of the default data set (examples, `manytask bench` without `--dataset`). */
export const DEFAULT_DATASET_ID = 'marketing-income';

/** All 14 columns of the file. */
export const MARKETING_COLUMNS: readonly string[] = [
  'INCOME',
  'SEX',
  'MARITAL.STATUS',
  'AGE',
  'EDUCATION',
  'OCCUPATION',
  'AREA',
  'DUAL.INCOMES',
  'HOUSEHOLD.SIZE',
  'UNDER18',
  'HOUSEHOLDER',
  'HOME.TYPE',
  'ETHNIC.CLASS',
  'LANGUAGE',
];

const TASKS: Readonly<Record<string, TaskColumnSchema>> = {
  income_high: {
    id: 'income_high',
    column: 'INCOME',
    kind: 'binary',
    positive: ['[50.000-75.000)', '[75.000-'],
  },
  never_married: {
    id: 'never_married',
    column: 'MARITAL.STATUS',
    kind: 'binary',
    positive: 'Single',
  },
  college: {
    id: 'college',
    column: 'EDUCATION',
    kind: 'binary',
    positive: ['1 to 3 years of college', 'College graduate', 'Grad Study'],
  },
  owns_home: { id: 'owns_home', column: 'HOUSEHOLDER', kind: 'binary', positive: 'Own' },
};

/** Options of `marketing-income`. */
export const marketingIncomeOptions: OptionsSchema = {
  college: {
    type: 'boolean',
    default: false,
    description: 'add the `college` task (EDUCATION becomes a label)',
  },
  ownsHome: {
    type: 'boolean',
    default: false,
    description: 'add the `owns_home` task (HOUSEHOLDER becomes a label)',
  },
  ...splitOptions,
};

/** The schema for a choice of tasks: label columns and DUAL.INCOMES are not features. */
export function marketingIncomeSchema(opts: { college: boolean; ownsHome: boolean }): DataSchema {
  const tasks = [TASKS['income_high'], TASKS['never_married']] as TaskColumnSchema[];
  if (opts.college) tasks.push(TASKS['college'] as TaskColumnSchema);
  if (opts.ownsHome) tasks.push(TASKS['owns_home'] as TaskColumnSchema);
  const excluded = new Set([...tasks.map((t) => t.column), 'DUAL.INCOMES']);
  return {
    features: MARKETING_COLUMNS.filter((c) => !excluded.has(c)).map((column) => ({
      column,
      type: 'categorical' as const,
    })),
    tasks,
    missing: ['NA'],
  };
}

/** Registry factory of `marketing-income`. */
export function marketingIncome(options?: Readonly<Record<string, unknown>>): DatasetLoader {
  const o = validateOptions('marketing-income', marketingIncomeOptions, options);
  const schema = marketingIncomeSchema({
    college: o['college'] === true,
    ownsHome: o['ownsHome'] === true,
  });
  return embeddedTabularLoader('marketing-income', o, FILE, schema, {
    description: `Marketing survey (8,993 rows, 11 categorical features): ${schema.tasks.map((t) => t.id).join(', ')}`,
    source: 'ESL "Marketing" data via R kernlab data(income) (Impact Resources, 1987)',
  });
}

/** Registry entry of `marketing-income` (the default data set). */
export const marketingIncomeEntry: RegistryEntry<DatasetLoader> = {
  id: 'marketing-income',
  kind: 'dataset',
  displayName: 'Marketing income (default)',
  summary:
    'Default recommender-style tabular set: 8,993 survey rows, 11 categorical features; income_high and never_married (MMoE Census-Income task pair), optional college and owns_home.',
  reference:
    'Hastie, Tibshirani & Friedman, The Elements of Statistical Learning ("Marketing" data, Impact Resources 1987), via R kernlab data(income); task pair of Ma et al., KDD 2018 (MMoE) and Tang et al., RecSys 2020 (PLE).',
  options: marketingIncomeOptions,
  create: marketingIncome,
};
