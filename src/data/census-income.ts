/**
 * `census-income`: loader for a user-supplied copy of the UCI Census-Income (KDD) data
 * (`census-income.data`, optionally `census-income.test`, plain or `.gz`), with the task groups of
 * the MMoE paper (Ma et al., KDD 2018, §5.1) and PLE (Tang et al., RecSys 2020). Nothing is
 * downloaded: the data set is CC BY 4.0 on the UCI repository, users fetch it themselves.
 *
 * File format (from the data set's documentation `census-income.names`): no header, fields
 * separated by `, `, `?` = missing, 42 fields per line: 40 attributes, the instance weight
 * (field 25) and the income label `- 50000.` / `50000+.` (last field). Columns are named from the
 * documented list {@link CENSUS_COLUMNS} (the names used by the MMoE reproductions).
 *
 * Tasks (binary):
 * - group 1 (default): `income` (income_50k == "50000+.") and `never_married`
 *   (marital_stat == "Never married");
 * - group 2: `college` (education is an Associates, Bachelors, Masters, Prof school or Doctorate
 *   degree; "Some college but no degree" counts as not college — an assumption, the paper only
 *   says "at least college") and `never_married`.
 *
 * Features: the 7 continuous columns (age, wage_per_hour, capital_gains, capital_losses,
 * stock_dividends, num_emp, weeks_worked) numeric and standardised on the training split; every
 * other column categorical ("Not in universe" is an ordinary category, `?` is missing); label
 * columns are never features; the instance weight is never a feature but can be the row weight
 * (`useInstanceWeight`).
 *
 * Splits: the training file is split into train/validation with `validFraction`; the test file is
 * the test split. Without a test file, the training file is split three ways.
 */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { RegistryEntry } from '../registry/types.js';
import { uciCsvLoader, uciFileOptions } from './file-dataset.js';
import type { DataSchema, TaskColumnSchema } from './schema.js';
import type { DatasetLoader } from './types.js';

/** The 42 fields of a Census-Income (KDD) line, in file order. */
export const CENSUS_COLUMNS: readonly string[] = [
  'age',
  'class_worker',
  'det_ind_code',
  'det_occ_code',
  'education',
  'wage_per_hour',
  'hs_college',
  'marital_stat',
  'major_ind_code',
  'major_occ_code',
  'race',
  'hisp_origin',
  'sex',
  'union_member',
  'unemp_reason',
  'full_or_part_emp',
  'capital_gains',
  'capital_losses',
  'stock_dividends',
  'tax_filer_stat',
  'region_prev_res',
  'state_prev_res',
  'det_hh_fam_stat',
  'det_hh_summ',
  'instance_weight',
  'mig_chg_msa',
  'mig_chg_reg',
  'mig_move_reg',
  'mig_same',
  'mig_prev_sunbelt',
  'num_emp',
  'fam_under_18',
  'country_father',
  'country_mother',
  'country_self',
  'citizenship',
  'own_or_self',
  'vet_question',
  'vet_benefits',
  'weeks_worked',
  'year',
  'income_50k',
];

/** Continuous attributes (numeric features). */
export const CENSUS_NUMERIC: readonly string[] = [
  'age',
  'wage_per_hour',
  'capital_gains',
  'capital_losses',
  'stock_dividends',
  'num_emp',
  'weeks_worked',
];

/** Education values counted as "at least college" for the group-2 `college` task. */
export const CENSUS_COLLEGE_VALUES: readonly string[] = [
  'Associates degree-occup /vocational',
  'Associates degree-academic program',
  'Bachelors degree(BA AB BS)',
  'Masters degree(MA MS MEng MEd MSW MBA)',
  'Prof school degree (MD DDS DVM LLB JD)',
  'Doctorate degree(PhD EdD)',
];

const INCOME: TaskColumnSchema = {
  id: 'income',
  column: 'income_50k',
  kind: 'binary',
  positive: '50000+.',
  negative: '- 50000.',
};
const NEVER_MARRIED: TaskColumnSchema = {
  id: 'never_married',
  column: 'marital_stat',
  kind: 'binary',
  positive: 'Never married',
};
const COLLEGE: TaskColumnSchema = {
  id: 'college',
  column: 'education',
  kind: 'binary',
  positive: CENSUS_COLLEGE_VALUES,
};

/** The schema of a task group (1: income + never_married; 2: college + never_married). */
export function censusSchema(group: 1 | 2, useInstanceWeight: boolean): DataSchema {
  const tasks = group === 1 ? [INCOME, NEVER_MARRIED] : [COLLEGE, NEVER_MARRIED];
  const excluded = new Set(['instance_weight', 'income_50k', ...tasks.map((t) => t.column)]);
  return {
    features: CENSUS_COLUMNS.filter((c) => !excluded.has(c)).map((column) => ({
      column,
      type: CENSUS_NUMERIC.includes(column) ? ('numeric' as const) : ('categorical' as const),
    })),
    tasks,
    ...(useInstanceWeight ? { weight: 'instance_weight' } : {}),
    missing: ['?'],
  };
}

/** Options of `census-income`. */
export const censusIncomeOptions: OptionsSchema = uciFileOptions(
  { train: 'census-income.data', test: 'census-income.test' },
  {
    taskGroup: {
      type: 'integer',
      default: 1,
      min: 1,
      max: 2,
      description: 'MMoE task group: 1 = income + never_married, 2 = college + never_married',
    },
    useInstanceWeight: {
      type: 'boolean',
      default: false,
      description: 'use the instance weight column as the per-row weight (never a feature)',
    },
  },
);

const CSV = { header: false, columns: CENSUS_COLUMNS, trim: true } as const;

/** Registry factory of `census-income`. */
export function censusIncome(options?: Readonly<Record<string, unknown>>): DatasetLoader {
  const o = validateOptions('census-income', censusIncomeOptions, options);
  const group = o['taskGroup'] as 1 | 2;
  return uciCsvLoader({
    id: 'census-income',
    options: o,
    schema: censusSchema(group, o['useInstanceWeight'] === true),
    csv: CSV,
    trainFile: 'census-income.data, plain or .gz',
    title: `Census-Income (KDD), task group ${group}`,
    source: 'UCI Census-Income (KDD)',
  });
}

/** Registry entry of `census-income`. */
export const censusIncomeEntry: RegistryEntry<DatasetLoader> = {
  id: 'census-income',
  kind: 'dataset',
  displayName: 'Census-Income (KDD)',
  summary:
    'Loader for your copy of UCI Census-Income (KDD): income / never-married (group 1) or college / never-married (group 2), as in MMoE and PLE.',
  reference:
    'UCI Census-Income (KDD) data set (CC BY 4.0); task groups of Ma et al., KDD 2018 (MMoE) and Tang et al., RecSys 2020 (PLE).',
  options: censusIncomeOptions,
  create: censusIncome,
};
