/**
 * `ali-ccp`: loader for user-supplied Ali-CCP files (Alibaba Click and Conversion Prediction,
 * released with Ma et al., "Entire Space Multi-Task Model" (ESMM), SIGIR 2018). Two binary tasks:
 * `click` and `purchase` (CTCVR over impressions, or CVR over clicks with `cvrOnClicks`).
 *
 * Layout (from the data set's description; assumptions stated in docs/datasets.md):
 * - `sample_skeleton_{train,test}.csv`: `sample id, click, conversion, common feature index,
 *   feature count, feature list`;
 * - `common_features_{train,test}.csv` (optional): `common feature index, feature count,
 *   feature list` — the user-side features shared by many samples;
 * - a feature list is entries joined by `\x01`; an entry is `field id \x02 feature id \x03 value`.
 *
 * Each selected field becomes one categorical feature whose value is the feature id of the
 * field's first entry (skeleton entries override common ones); a field absent from a row is
 * missing. The default fields are the 18 single-valued ones used by the ESMM/AITM preprocessing;
 * multi-valued fields (`109_14`, ...) can be listed but keep only their first id. Vocabularies are
 * built on the training split and capped by `maxVocab` (feature ids are hashed, so the cap
 * matters). The common-features file is held in memory as a map (its size is the user's concern).
 */
import { ConfigError } from '../core/errors.js';
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
import { DEFAULT_MISSING, type DataSchema } from './schema.js';
import { columnRoles, createColumnBuilder, type Column, type ColumnTable } from './table.js';
import type { Dataset, DatasetLoader } from './types.js';

/** The 18 single-valued fields used by the ESMM / AITM Ali-CCP preprocessing. */
export const ALI_CCP_FIELDS: readonly string[] = [
  '101',
  '121',
  '122',
  '124',
  '125',
  '126',
  '127',
  '128',
  '129',
  '205',
  '206',
  '207',
  '216',
  '508',
  '509',
  '702',
  '853',
  '301',
];

/** Options of `ali-ccp`. */
export const aliCcpOptions: OptionsSchema = {
  skeletonPath: { type: 'string', description: 'sample_skeleton_train.csv (or .gz); required' },
  commonPath: { type: 'string', description: 'common_features_train.csv (or .gz); optional' },
  testSkeletonPath: { type: 'string', description: 'sample_skeleton_test.csv; optional' },
  testCommonPath: { type: 'string', description: 'common_features_test.csv; optional' },
  fields: {
    type: 'string',
    default: ALI_CCP_FIELDS.join(','),
    description: 'comma-separated field ids to use as categorical features',
  },
  cvrOnClicks: cvrOnClicksOption('purchase'),
  maxVocab: { type: 'integer', default: 50000, min: 1, description: 'vocabulary cap per field' },
  ...heldOutOptions('testSkeletonPath'),
};

type FieldMap = Map<string, string>;

/** Parses a feature list, keeping the first feature id of each wanted field. */
function parseFeatureList(
  text: string,
  expected: number,
  wanted: ReadonlySet<string>,
  file: string,
  line: number,
): FieldMap {
  const out: FieldMap = new Map();
  const entries = text === '' ? [] : text.split('\x01');
  if (entries.length !== expected) {
    throw dataError(
      { file, line },
      `feature list has ${entries.length} entries but the feature count field says ${expected}`,
      'the line is truncated or not in the Ali-CCP layout (entries joined by \\x01)',
    );
  }
  for (const e of entries) {
    const a = e.indexOf('\x02');
    const b = e.indexOf('\x03', a + 1);
    if (a <= 0 || b <= a + 1) {
      throw dataError(
        { file, line },
        `feature entry ${JSON.stringify(e.slice(0, 40))} is not "field\\x02id\\x03value"`,
        'the file is not in the Ali-CCP layout',
      );
    }
    const field = e.slice(0, a);
    if (wanted.has(field) && !out.has(field)) out.set(field, e.slice(a + 1, b));
  }
  return out;
}

async function readCommon(
  path: string,
  wanted: ReadonlySet<string>,
): Promise<Map<string, FieldMap>> {
  const common = new Map<string, FieldMap>();
  for await (const recs of readCsvRecords(path)) {
    for (const r of recs) {
      if (r.fields.length !== 3) {
        throw dataError(
          { file: path, line: r.line },
          `row has ${r.fields.length} fields, expected 3 (common feature index, feature count, feature list)`,
          'give the common_features file that goes with the skeleton',
        );
      }
      const [index, count, list] = r.fields as [string, string, string];
      common.set(index, parseFeatureList(list, Number(count), wanted, path, r.line));
    }
  }
  return common;
}

async function readSkeleton(
  path: string,
  commonPath: string | undefined,
  schema: DataSchema,
  fields: readonly string[],
): Promise<ColumnTable> {
  const wanted = new Set(fields);
  const common = commonPath !== undefined ? await readCommon(commonPath, wanted) : undefined;
  const missing = new Set(DEFAULT_MISSING);
  const builders = [...columnRoles(schema)].map(
    ([name, role]) => [name, createColumnBuilder(name, role, missing, path, 'line')] as const,
  );
  const lines: number[] = [];
  for await (const recs of readCsvRecords(path)) {
    for (const r of recs) {
      if (r.fields.length !== 6) {
        throw dataError(
          { file: path, line: r.line },
          `row has ${r.fields.length} fields, expected 6 (sample id, click, conversion, common feature index, feature count, feature list)`,
          'give an Ali-CCP sample_skeleton file',
        );
      }
      const [, click, conversion, index, count, list] = r.fields as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const own = parseFeatureList(list, Number(count), wanted, path, r.line);
      let shared: FieldMap | undefined;
      if (common !== undefined) {
        shared = common.get(index);
        if (shared === undefined) {
          throw dataError(
            { file: path, line: r.line },
            `common feature index ${JSON.stringify(index)} is not in ${commonPath}`,
            'give the common_features file of the same split (train with train, test with test)',
          );
        }
      }
      for (const [name, b] of builders) {
        if (name === 'click') b.push(click, r.line);
        else if (name === 'purchase') b.push(conversion, r.line);
        else b.push(own.get(name) ?? shared?.get(name) ?? null, r.line);
      }
      lines.push(r.line);
    }
  }
  if (lines.length === 0) {
    throw dataError(
      { file: path },
      'file is empty (no rows)',
      'give a file with at least one data row',
    );
  }
  const columns = new Map<string, Column>();
  for (const [name, b] of builders) columns.set(name, b.finish());
  return { file: path, n: lines.length, lineKind: 'line', lines: Int32Array.from(lines), columns };
}

/** Registry factory of `ali-ccp`. */
export function aliCcp(options?: Readonly<Record<string, unknown>>): DatasetLoader {
  const o = validateOptions('ali-ccp', aliCcpOptions, options);
  const skeletonPath = requiredPath('ali-ccp', o, 'skeletonPath', 'sample_skeleton_train.csv');
  const fields = (o['fields'] as string)
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (
    fields.length === 0 ||
    new Set(fields).size !== fields.length ||
    fields.some((f) => f === 'click' || f === 'purchase')
  ) {
    throw new ConfigError(
      `ali-ccp: option \`fields\` must list distinct field ids separated by commas, got ${JSON.stringify(o['fields'])}`,
    );
  }
  const schema: DataSchema = {
    features: fields.map((column) => ({
      column,
      type: 'categorical' as const,
      maxVocab: o['maxVocab'] as number,
    })),
    tasks: [
      { id: 'click', column: 'click', kind: 'binary' },
      { id: 'purchase', column: 'purchase', kind: 'binary' },
    ],
  };
  const cvrOnClicks = o['cvrOnClicks'] === true;
  const testSkeleton = o['testSkeletonPath'] as string | undefined;
  return {
    id: 'ali-ccp',
    config: o,
    load: async (seed): Promise<Dataset> => {
      const read = async (p: string, c: string | undefined): Promise<ColumnTable> => {
        const t = await readSkeleton(p, c, schema, fields);
        applyClickConversion(t, 'click', 'purchase', cvrOnClicks);
        return t;
      };
      const train = await read(skeletonPath, o['commonPath'] as string | undefined);
      const test =
        testSkeleton !== undefined
          ? await read(testSkeleton, o['testCommonPath'] as string | undefined)
          : undefined;
      const enc = encodeSeededSplits(schema, train, test, fractionsOf(o), seed);
      const files = `${train.n} samples in ${skeletonPath}${test !== undefined ? `, ${test.n} in ${testSkeleton}` : ''}`;
      return encodedDataset(enc, {
        id: 'ali-ccp',
        description: `Ali-CCP (${files}, ${fields.length} fields): click, purchase (${cvrOnClicks ? 'CVR on clicks' : 'CTCVR'})`,
        provenance: `user-supplied Ali-CCP files (${files}), seed ${seed}`,
      });
    },
  };
}

/** Registry entry of `ali-ccp`. */
export const aliCcpEntry: RegistryEntry<DatasetLoader> = {
  id: 'ali-ccp',
  kind: 'dataset',
  displayName: 'Ali-CCP',
  summary:
    'Loader for your copy of Ali-CCP (sample skeleton + common features): click and purchase, as in ESMM.',
  reference:
    'Ma et al., "Entire Space Multi-Task Model: An Effective Approach for Estimating Post-Click Conversion Rate", SIGIR 2018 (Ali-CCP data set).',
  options: aliCcpOptions,
  create: aliCcp,
};
