/**
 * User data: a CSV (optionally gzip), Parquet or Arrow IPC file with a declared schema, split
 * with a seed, encoded on the training split.
 */
import { ConfigError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { DataEncoding } from './encode.js';
import { encodeSeededSplits, encodedDataset } from './file-dataset.js';
import { validateSchema, type DataSchema } from './schema.js';
import { readTable, type CsvTableOptions, type FileFormat } from './table.js';
import type { Dataset, DatasetLoader } from './types.js';
import type { RegistryEntry } from '../registry/types.js';

/** Options of {@link loadTabularFile}. */
export interface TabularFileOptions {
  readonly seed: number;
  /** Default 0.1. */
  readonly validFraction?: number;
  /** Default 0.2. */
  readonly testFraction?: number;
  /** Default: from the extension (`.parquet`, `.arrow`/`.feather`/`.ipc`, else CSV). */
  readonly format?: FileFormat;
  readonly csv?: CsvTableOptions;
  /** Data set id (default `'tabular-file'`). */
  readonly id?: string;
  /** Overrides the generated description / provenance (embedded loaders). */
  readonly description?: string;
  readonly provenance?: string;
}

/** A {@link Dataset} plus the fitted encoders (to encode new rows identically). */
export interface TabularDataset extends Dataset {
  readonly encoding: DataEncoding;
}

/**
 * Loads a user file: reads the schema's columns (streaming for CSV), splits the rows with
 * `seededSplit(n, fractions, createRng(seed))`, fits encoders on the training rows and encodes
 * all three splits.
 *
 * @throws ConfigError for a malformed schema; DataError for bad data (file, line, column, fix).
 */
export async function loadTabularFile(
  path: string,
  schema: DataSchema,
  options: TabularFileOptions,
): Promise<TabularDataset> {
  const valid = validateSchema('loadTabularFile', schema);
  const table = await readTable(path, valid, {
    ...(options.format !== undefined ? { format: options.format } : {}),
    ...(options.csv !== undefined ? { csv: options.csv } : {}),
  });
  const enc = encodeSeededSplits(
    valid,
    table,
    undefined,
    { validFraction: options.validFraction ?? 0.1, testFraction: options.testFraction ?? 0.2 },
    options.seed,
  );
  return {
    ...encodedDataset(enc, {
      id: options.id ?? 'tabular-file',
      description:
        options.description ?? `user file ${path}: ${table.n} rows, ${enc.tasks.length} tasks`,
      provenance:
        options.provenance ?? `user-supplied file ${path} (${table.n} rows), seeded split`,
    }),
    encoding: enc.encoding,
  };
}

/** Options schema of the `tabular-file` dataset entry. */
export const tabularFileOptions: OptionsSchema = {
  path: { type: 'string', description: 'CSV (.csv, .csv.gz), Parquet or Arrow IPC file' },
  schema: {
    type: 'object',
    description:
      '{ features: [{ column, type }], tasks: [{ column, kind, ... }], weight?, missing? }',
  },
  format: {
    type: 'enum',
    values: ['auto', 'csv', 'parquet', 'arrow'],
    default: 'auto',
    description: 'file format (auto: from the extension)',
  },
  delimiter: { type: 'string', default: ',', description: 'CSV delimiter (one character)' },
  validFraction: {
    type: 'number',
    default: 0.1,
    min: 0,
    max: 0.9,
    description: 'validation share',
  },
  testFraction: { type: 'number', default: 0.2, min: 0, max: 0.9, description: 'test share' },
};

/** Registry factory of `tabular-file`: validates options and the schema at creation time. */
export function tabularFileLoader(options?: Readonly<Record<string, unknown>>): DatasetLoader {
  const o = validateOptions('tabular-file', tabularFileOptions, options);
  if (typeof o['path'] !== 'string' || o['path'] === '') {
    throw new ConfigError('tabular-file: option `path` is required (the data file to read)');
  }
  if (o['schema'] === undefined) {
    throw new ConfigError(
      'tabular-file: option `schema` is required ({ features, tasks, weight?, missing? })',
    );
  }
  const schema = validateSchema('tabular-file', o['schema']);
  const path = o['path'];
  const format = o['format'] === 'auto' ? undefined : (o['format'] as FileFormat);
  return {
    id: 'tabular-file',
    config: o,
    load: (seed) =>
      loadTabularFile(path, schema, {
        seed,
        validFraction: o['validFraction'] as number,
        testFraction: o['testFraction'] as number,
        csv: { delimiter: o['delimiter'] as string },
        ...(format !== undefined ? { format } : {}),
      }),
  };
}

/** Registry entry of `tabular-file` (a user CSV / Parquet / Arrow file with a declared schema). */
export const tabularFileEntry: RegistryEntry<DatasetLoader> = {
  id: 'tabular-file',
  kind: 'dataset',
  displayName: 'Tabular file',
  summary:
    'A user-supplied CSV (optionally gzip), Parquet or Arrow IPC file with a declared schema of feature and task columns.',
  reference: 'manytask loader; schema and encodings documented in docs/datasets.md.',
  options: tabularFileOptions,
  create: tabularFileLoader,
};
