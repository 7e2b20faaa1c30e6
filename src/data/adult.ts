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
import { positiveRate } from './census-income.js';
import {
  encodeSeededSplits,
  encodedDataset,
  fractionsOf,
  heldOutOptions,
  requiredPath,
} from './file-dataset.js';
import type { DataSchema, TaskColumnSchema } from './schema.js';
import { readTable } from './table.js';
import type { Dataset, DatasetLoader } from './types.js';

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
export const adultOptions: OptionsSchema = {
  trainPath: { type: 'string', description: 'path of adult.data (or .gz); required' },
  testPath: { type: 'string', description: 'path of adult.test (or .gz); optional' },
  fnlwgt: {
    type: 'enum',
    values: ['drop', 'weight', 'feature'],
    default: 'drop',
    description:
      'the census sampling weight fnlwgt: drop it, use it as the row weight, or as a numeric feature',
  },
  maxVocab: {
    type: 'integer',
    default: 1000,
    min: 1,
    description: 'keep at most this many values per categorical column',
  },
  ...heldOutOptions('testPath'),
};

const CSV = { header: false, columns: ADULT_COLUMNS, trim: true, comment: '|' } as const;

/** Registry factory of `adult`. */
export function adult(options?: Readonly<Record<string, unknown>>): DatasetLoader {
  const o = validateOptions('adult', adultOptions, options);
  const trainPath = requiredPath('adult', o, 'trainPath', 'adult.data, plain or .gz');
  const testPath = o['testPath'] as string | undefined;
  const base = adultSchema(o['fnlwgt'] as AdultFnlwgt);
  const schema: DataSchema = {
    ...base,
    features: base.features.map((f) =>
      f.type === 'categorical' ? { ...f, maxVocab: o['maxVocab'] as number } : f,
    ),
  };
  return {
    id: 'adult',
    config: o,
    load: async (seed): Promise<Dataset> => {
      const train = await readTable(trainPath, schema, { format: 'csv', csv: CSV });
      const test =
        testPath !== undefined
          ? await readTable(testPath, schema, { format: 'csv', csv: CSV })
          : undefined;
      const enc = encodeSeededSplits(schema, train, test, fractionsOf(o), seed);
      const rates = enc.tasks.map((t) => `${t.id} ${positiveRate(enc.train, t.id)}`).join(', ');
      const files = `${train.n} rows × ${ADULT_COLUMNS.length} fields in ${trainPath}${test !== undefined ? `, ${test.n} in ${testPath}` : ''}`;
      return encodedDataset(enc, {
        id: 'adult',
        description: `UCI Adult, income / never_married: ${files}; training positives: ${rates}`,
        provenance: `user-supplied UCI Adult files (${files}), seed ${seed}`,
      });
    },
  };
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
