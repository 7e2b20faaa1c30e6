/**
 * `adult`: loader for a user-supplied copy of the UCI Adult data (`adult.data`, optionally
 * `adult.test`, plain or `.gz`), as a Census-style task pair: income > 50K and marital status
 * "never married". Nothing is downloaded: the data set is CC BY 4.0 on the UCI repository, users
 * fetch it themselves.
 *
 * File format (from the data set's documentation `adult.names`; not checked against a copy here):
 * no header, fields separated by `, `, `?` = missing, 15 fields per line ({@link ADULT_COLUMNS}).
 * `adult.test` opens with a comment line (`|1x3 Cross validator`) and its labels end with a
 * period (`>50K.`, `<=50K.`): the loader skips the one and accepts both spellings of the other.
 *
 * Tasks (binary): `income` (`>50K`) and `never_married` (`marital-status` == `Never-married`).
 * Features: `age`, `education-num`, `capital-gain`, `capital-loss`, `hours-per-week` numeric
 * (standardised on the training split), every other column categorical; the label columns are
 * never features. `fnlwgt` is the census sampling weight, not an attribute of the person:
 * dropped by default, or used as the row weight or as a numeric feature (`fnlwgt` option).
 */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { RegistryEntry } from '../registry/types.js';
import { uciCsvLoader, uciFileOptions } from './file-dataset.js';
import type { DataSchema, TaskColumnSchema } from './schema.js';
import type { DatasetLoader } from './types.js';

/** The 15 fields of an Adult line, in file order. */
export const ADULT_COLUMNS: readonly string[] = [
  'age',
  'workclass',
  'fnlwgt',
  'education',
  'education-num',
  'marital-status',
  'occupation',
  'relationship',
  'race',
  'sex',
  'capital-gain',
  'capital-loss',
  'hours-per-week',
  'native-country',
  'income',
];

/** Continuous attributes (numeric features); `fnlwgt` is handled by its own option. */
export const ADULT_NUMERIC: readonly string[] = [
  'age',
  'education-num',
  'capital-gain',
  'capital-loss',
  'hours-per-week',
];

const INCOME: TaskColumnSchema = {
  id: 'income',
  column: 'income',
  kind: 'binary',
  positive: ['>50K', '>50K.'],
  negative: ['<=50K', '<=50K.'],
};
const NEVER_MARRIED: TaskColumnSchema = {
  id: 'never_married',
  column: 'marital-status',
  kind: 'binary',
  positive: 'Never-married',
};

/** What to do with `fnlwgt`. */
export type AdultFnlwgt = 'drop' | 'weight' | 'feature';

/** The schema of the Adult task pair. */
export function adultSchema(fnlwgt: AdultFnlwgt): DataSchema {
  const excluded = new Set([
    'income',
    'marital-status',
    ...(fnlwgt === 'feature' ? [] : ['fnlwgt']),
  ]);
  return {
    features: ADULT_COLUMNS.filter((c) => !excluded.has(c)).map((column) => ({
      column,
      type:
        ADULT_NUMERIC.includes(column) || column === 'fnlwgt'
          ? ('numeric' as const)
          : ('categorical' as const),
    })),
    tasks: [INCOME, NEVER_MARRIED],
    ...(fnlwgt === 'weight' ? { weight: 'fnlwgt' } : {}),
    missing: ['?'],
  };
}

/** Options of `adult`. */
export const adultOptions: OptionsSchema = uciFileOptions(
  { train: 'adult.data', test: 'adult.test' },
  {
    fnlwgt: {
      type: 'enum',
      values: ['drop', 'weight', 'feature'],
      default: 'drop',
      description:
        'the census sampling weight fnlwgt: drop it, use it as the row weight, or as a numeric feature',
    },
  },
);

const CSV = { header: false, columns: ADULT_COLUMNS, trim: true, comment: '|' } as const;

/** Registry factory of `adult`. */
export function adult(options?: Readonly<Record<string, unknown>>): DatasetLoader {
  const o = validateOptions('adult', adultOptions, options);
  return uciCsvLoader({
    id: 'adult',
    options: o,
    schema: adultSchema(o['fnlwgt'] as AdultFnlwgt),
    csv: CSV,
    trainFile: 'adult.data, plain or .gz',
    title: 'UCI Adult, income / never_married',
    source: 'UCI Adult',
  });
}

/** Registry entry of `adult`. */
export const adultEntry: RegistryEntry<DatasetLoader> = {
  id: 'adult',
  kind: 'dataset',
  displayName: 'Adult (UCI)',
  summary:
    'Loader for your copy of UCI Adult: income > 50K and never-married, a Census-style task pair.',
  reference: 'UCI Adult data set (Becker & Kohavi, 1996; CC BY 4.0).',
  options: adultOptions,
  create: adult,
};
