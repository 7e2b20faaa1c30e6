/**
 * From read tables to a {@link Dataset}, shared by the file loaders (`tabular-file`, the embedded
 * sets, Census-Income, Ali-CCP, AliExpress): the seeded split of a training table (optionally with
 * a separate test table), the encoding fitted on its training rows, the assembled data set, and
 * the options every loader of user-supplied files takes.
 */
import { ConfigError } from '../core/errors.js';
import type { OptionsSchema } from '../core/options.js';
import { createRng } from '../core/rng.js';
import { encodeSplits, type EncodedData } from './encode.js';
import type { DataSchema } from './schema.js';
import { allRows, seededSplit, type SplitFractions } from './split.js';
import type { ColumnTable } from './table.js';
import type { Dataset } from './types.js';

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
