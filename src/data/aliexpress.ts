/**
 * `aliexpress`: loader for user-supplied AliExpress search-log files (the per-country files
 * `AliExpress_NL/ES/FR/US`, `train.csv` / `test.csv`, released with Li et al., "Improving
 * Multi-Scenario Learning to Rank in E-commerce by Exploiting Task Relationships in the Label
 * Space", CIKM 2020, and used by MTReclib). Two binary tasks: `click` (CTR) and `conversion`
 * (CTCVR over impressions, or CVR over clicks with `cvrOnClicks`).
 *
 * Layout (as read positionally by MTReclib's `AliExpressDataset`; column names are not relied on):
 * a header row; column 1 = search id (ignored); the next `numCategorical` (16) columns are
 * integer-coded categorical features; then the numerical features (63 in the released files; the
 * loader takes whatever is between); the last two columns are the click and conversion labels
 * (0/1). Categorical features get a vocabulary on the training split (capped by `maxVocab`),
 * numerical ones are standardised on it.
 */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { RegistryEntry } from '../registry/types.js';
import { applyClickConversion, cvrOnClicksOption } from './click-conversion.js';
import { readCsvRecords } from './csv.js';
import { dataError } from './data-error.js';
import {
  encodeSeededSplits,
  encodedDataset,
  fractionsOf,
  heldOutOptions,
  requiredPath,
} from './file-dataset.js';
import type { DataSchema } from './schema.js';
import { readTable, type ColumnTable } from './table.js';
import type { Dataset, DatasetLoader } from './types.js';

/** Options of `aliexpress`. */
export const aliExpressOptions: OptionsSchema = {
  trainPath: { type: 'string', description: 'path of the training CSV (or .gz); required' },
  testPath: { type: 'string', description: 'path of the test CSV (or .gz); optional' },
  numCategorical: {
    type: 'integer',
    default: 16,
    min: 0,
    description: 'categorical columns after the search id',
  },
  cvrOnClicks: cvrOnClicksOption('conversion'),
  maxVocab: { type: 'integer', default: 10000, min: 1, description: 'vocabulary cap per column' },
  ...heldOutOptions('testPath'),
};

async function readHeader(path: string): Promise<string[]> {
  for await (const recs of readCsvRecords(path)) {
    const first = recs[0];
    if (first !== undefined) return first.fields.map((f) => f.trim());
  }
  throw dataError(
    { file: path },
    'file is empty (no header and no rows)',
    'give a file with at least one data row',
  );
}

/** The positional schema of an AliExpress header. */
export function aliExpressSchema(
  header: readonly string[],
  numCategorical: number,
  maxVocab: number,
  file: string,
): DataSchema {
  const need = 1 + numCategorical + 2;
  if (header.length < need) {
    throw dataError(
      { file, line: 1 },
      `header has ${header.length} columns, fewer than search id + ${numCategorical} categorical + click + conversion = ${need}`,
      'check the file (AliExpress files have 82 columns) or lower numCategorical',
    );
  }
  const n = header.length;
  return {
    features: [
      ...header.slice(1, 1 + numCategorical).map((column) => ({
        column,
        type: 'categorical' as const,
        maxVocab,
      })),
      ...header.slice(1 + numCategorical, n - 2).map((column) => ({
        column,
        type: 'numeric' as const,
      })),
    ],
    tasks: [
      { id: 'click', column: header[n - 2] as string, kind: 'binary' },
      { id: 'conversion', column: header[n - 1] as string, kind: 'binary' },
    ],
  };
}

/** Registry factory of `aliexpress`. */
export function aliExpress(options?: Readonly<Record<string, unknown>>): DatasetLoader {
  const o = validateOptions('aliexpress', aliExpressOptions, options);
  const trainPath = requiredPath('aliexpress', o, 'trainPath', 'an AliExpress train.csv');
  const testPath = o['testPath'] as string | undefined;
  const cvrOnClicks = o['cvrOnClicks'] === true;
  return {
    id: 'aliexpress',
    config: o,
    load: async (seed): Promise<Dataset> => {
      const header = await readHeader(trainPath);
      const schema = aliExpressSchema(
        header,
        o['numCategorical'] as number,
        o['maxVocab'] as number,
        trainPath,
      );
      const [click, conversion] = schema.tasks.map((t) => t.column) as [string, string];
      const read = async (path: string): Promise<ColumnTable> => {
        const t = await readTable(path, schema, { format: 'csv' });
        applyClickConversion(t, click, conversion, cvrOnClicks);
        return t;
      };
      const train = await read(trainPath);
      const test = testPath !== undefined ? await read(testPath) : undefined;
      const enc = encodeSeededSplits(schema, train, test, fractionsOf(o), seed);
      const files = `${train.n} rows × ${header.length} columns in ${trainPath}${test !== undefined ? `, ${test.n} in ${testPath}` : ''}`;
      return encodedDataset(enc, {
        id: 'aliexpress',
        description: `AliExpress search logs (${files}): click, conversion (${cvrOnClicks ? 'CVR on clicks' : 'CTCVR'})`,
        provenance: `user-supplied AliExpress files (${files}), seed ${seed}`,
      });
    },
  };
}

/** Registry entry of `aliexpress`. */
export const aliExpressEntry: RegistryEntry<DatasetLoader> = {
  id: 'aliexpress',
  kind: 'dataset',
  displayName: 'AliExpress',
  summary:
    'Loader for your copy of an AliExpress country file (16 categorical + numerical features): click and conversion.',
  reference:
    'Li et al., "Improving Multi-Scenario Learning to Rank in E-commerce by Exploiting Task Relationships in the Label Space", CIKM 2020; layout as read by MTReclib (Zhu et al.).',
  options: aliExpressOptions,
  create: aliExpress,
};
