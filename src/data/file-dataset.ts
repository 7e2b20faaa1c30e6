/**
 * From read tables to a {@link Dataset}, shared by the file loaders (`tabular-file`, the embedded
 * sets, Census-Income, Adult, Ali-CCP, AliExpress): the seeded split of a training table (optionally with
 * a separate test table), the encoding fitted on its training rows, the assembled data set, and
 * the options every loader of user-supplied files takes.
 */
import { ConfigError } from '../core/errors.js';
import type { OptionsSchema } from '../core/options.js';
import { createRng } from '../core/rng.js';
import { encodeSplits, type EncodedData } from './encode.js';
import type { DataSchema } from './schema.js';
import { allRows, seededSplit, type SplitFractions } from './split.js';
import { readTable, type ColumnTable, type CsvTableOptions } from './table.js';
import type { Dataset, DatasetLoader, DataSplit } from './types.js';

/**
 * Splits `train` with `seededSplit(n, fractions, createRng(seed))` and encodes the splits. With a
 * separate `test` table, `train` is split into training and validation rows only (test fraction
 * 0) and every row of `test` is the test split. Encoders are fitted on the training rows.
 */
export function encodeSeededSplits(
  schema: DataSchema,
  train: ColumnTable,
  test: ColumnTable | undefined,
  fractions: SplitFractions,
  seed: number,
): EncodedData {
  const s = seededSplit(
    train.n,
    {
      validFraction: fractions.validFraction,
      testFraction: test !== undefined ? 0 : fractions.testFraction,
    },
    createRng(seed),
  );
  return encodeSplits(schema, {
    train: { table: train, rows: s.train },
    valid: { table: train, rows: s.valid },
    test:
      test !== undefined ? { table: test, rows: allRows(test.n) } : { table: train, rows: s.test },
  });
}

/** The data set of encoded splits; `targetScaling` only when a regression target was standardised. */
export function encodedDataset(
  enc: EncodedData,
  about: { readonly id: string; readonly description: string; readonly provenance: string },
): Dataset {
  return {
    id: about.id,
    description: about.description,
    inputSpec: enc.inputSpec,
    tasks: enc.tasks,
    train: enc.train,
    valid: enc.valid,
    test: enc.test,
    provenance: about.provenance,
    ...(Object.keys(enc.encoding.targetScaling).length > 0
      ? { targetScaling: enc.encoding.targetScaling }
      : {}),
  };
}

/**
 * `validFraction` and `testFraction` of a loader that splits a training file, where the option
 * `testOption` names a separate test file (the test fraction only applies without it).
 */
export function heldOutOptions(testOption: string): OptionsSchema {
  return {
    validFraction: {
      type: 'number',
      default: 0.1,
      min: 0,
      max: 0.5,
      description: 'share of the training file held out for validation',
    },
    testFraction: {
      type: 'number',
      default: 0.2,
      min: 0,
      max: 0.5,
      description: `share of the training file held out for test (only without ${testOption})`,
    },
  };
}

/** The split fractions of validated options that include `validFraction` and `testFraction`. */
export function fractionsOf(options: Readonly<Record<string, unknown>>): SplitFractions {
  return {
    validFraction: options['validFraction'] as number,
    testFraction: options['testFraction'] as number,
  };
}

/**
 * The value of the required path option `name` of a loader of user-supplied files; `file` says
 * which file the user gives a copy of (nothing is downloaded).
 *
 * @throws ConfigError when the option is missing or empty.
 */
export function requiredPath(
  owner: string,
  options: Readonly<Record<string, unknown>>,
  name: string,
  file: string,
): string {
  const path = options[name];
  if (typeof path !== 'string' || path === '') {
    throw new ConfigError(
      `${owner}: option \`${name}\` is required (your copy of ${file}; nothing is downloaded)`,
    );
  }
  return path;
}

/** Positive rate of a binary task over the labelled rows of a split, as a percentage string. */
export function positiveRate(split: DataSplit, task: string): string {
  const y = split.labels[task];
  const m = split.masks?.[task];
  if (y === undefined) return 'n/a';
  let pos = 0;
  let n = 0;
  for (let i = 0; i < split.n; i++) {
    if (m !== undefined && m[i] === 0) continue;
    n++;
    pos += y[i] as number;
  }
  return n > 0 ? `${((100 * pos) / n).toFixed(1)} %` : 'n/a';
}

/**
 * The options every {@link uciCsvLoader} takes: the two file paths (`files` names them in the
 * descriptions), `maxVocab`, the held-out fractions, and the data set's own options (`own`).
 */
export function uciFileOptions(
  files: { readonly train: string; readonly test: string },
  own: OptionsSchema,
): OptionsSchema {
  return {
    trainPath: { type: 'string', description: `path of ${files.train} (or .gz); required` },
    testPath: { type: 'string', description: `path of ${files.test} (or .gz); optional` },
    ...own,
    maxVocab: {
      type: 'integer',
      default: 1000,
      min: 1,
      description: 'keep at most this many values per categorical column',
    },
    ...heldOutOptions('testPath'),
  };
}

/** What {@link uciCsvLoader} needs to know about one UCI data set. */
export interface UciCsvSpec {
  readonly id: string;
  /** Validated options (`trainPath`, `testPath`, `maxVocab` and the held-out fractions). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly schema: DataSchema;
  /** Headerless CSV layout: column names in file order, plus trimming and comment lines. */
  readonly csv: CsvTableOptions & { readonly columns: readonly string[] };
  /** The training file the user gives a copy of, e.g. `adult.data, plain or .gz`. */
  readonly trainFile: string;
  /** Start of the description, e.g. `UCI Adult, income / never_married`. */
  readonly title: string;
  /** Who made the files, for the provenance line, e.g. `UCI Adult`. */
  readonly source: string;
}

/**
 * A loader of a user-supplied UCI data set in its original headerless CSV files (a training file
 * and an optional test file; Census-Income, Adult): categorical features capped at `maxVocab`
 * values, seeded splits, and a description with the row counts and each task's training
 * positive rate (these sets are imbalanced; the counts are reported, never asserted).
 */
export function uciCsvLoader(spec: UciCsvSpec): DatasetLoader {
  const o = spec.options;
  const trainPath = requiredPath(spec.id, o, 'trainPath', spec.trainFile);
  const testPath = o['testPath'] as string | undefined;
  const schema: DataSchema = {
    ...spec.schema,
    features: spec.schema.features.map((f) =>
      f.type === 'categorical' ? { ...f, maxVocab: o['maxVocab'] as number } : f,
    ),
  };
  const read = (path: string): Promise<ColumnTable> =>
    readTable(path, schema, { format: 'csv', csv: spec.csv });
  return {
    id: spec.id,
    config: o,
    load: async (seed): Promise<Dataset> => {
      const train = await read(trainPath);
      const test = testPath !== undefined ? await read(testPath) : undefined;
      const enc = encodeSeededSplits(schema, train, test, fractionsOf(o), seed);
      const rates = enc.tasks.map((t) => `${t.id} ${positiveRate(enc.train, t.id)}`).join(', ');
      const files = `${train.n} rows × ${spec.csv.columns.length} fields in ${trainPath}${test !== undefined ? `, ${test.n} in ${testPath}` : ''}`;
      return encodedDataset(enc, {
        id: spec.id,
        description: `${spec.title}: ${files}; training positives: ${rates}`,
        provenance: `user-supplied ${spec.source} files (${files}), seed ${seed}`,
      });
    },
  };
}
