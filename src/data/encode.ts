/**
 * Typed columns → model-ready splits. Everything learned from data (categorical vocabularies,
 * numeric means and standard deviations, target scaling) is fitted on the training split only
 * and then applied unchanged to the validation and test splits, so no statistic leaks from
 * held-out rows.
 */
import type { InputSpec, TaskSpec } from '../core/model.js';
import type { TaskId } from '../core/types.js';
import { dataError } from './data-error.js';
import type { DataSchema, TaskColumnSchema } from './schema.js';
import { taskIdOf } from './schema.js';
import type { CatColumn, Column, ColumnTable, NumColumn } from './table.js';
import type { DataSplit } from './types.js';

/** Rows of one table that form a split. */
export interface SplitSource {
  readonly table: ColumnTable;
  readonly rows: Int32Array;
}

/** Where each split's rows come from (one file split three ways, or a separate test file). */
export interface SplitSources {
  readonly train: SplitSource;
  readonly valid: SplitSource;
  readonly test: SplitSource;
}

/** How one feature was encoded (enough to encode new rows the same way). */
export type FeatureEncoding =
  | {
      readonly column: string;
      readonly type: 'numeric';
      readonly mean: number;
      readonly std: number;
      readonly missingIndicator: boolean;
    }
  | {
      readonly column: string;
      readonly type: 'categorical';
      /** Known values; value `vocab[i]` has index `i + 2` (0 = missing, 1 = out of vocabulary). */
      readonly vocab: readonly string[];
    };

/** Index of a missing categorical value. */
export const MISSING_INDEX = 0;
/** Index of a categorical value not in the training vocabulary. */
export const OOV_INDEX = 1;

/** Everything fitted on the training split. */
export interface DataEncoding {
  readonly features: readonly FeatureEncoding[];
  /** Names of the numeric input columns, in order (indicators included). */
  readonly numericNames: readonly string[];
  /** Multiclass tasks: class value of each index. */
  readonly classes: Readonly<Record<TaskId, readonly string[]>>;
  /** Regression tasks with `standardize`: y_model = (y − mean) / std. */
  readonly targetScaling: Readonly<Record<TaskId, { readonly mean: number; readonly std: number }>>;
}

/** Result of {@link encodeSplits}. */
export interface EncodedData {
  readonly inputSpec: InputSpec;
  readonly tasks: readonly TaskSpec[];
  readonly train: DataSplit;
  readonly valid: DataSplit;
  readonly test: DataSplit;
  readonly encoding: DataEncoding;
}

function num(table: ColumnTable, column: string): NumColumn {
  return table.columns.get(column) as NumColumn;
}
function cat(table: ColumnTable, column: string): CatColumn {
  return table.columns.get(column) as CatColumn;
}

/** Mean and population std of the finite values at `rows`; std 0 is replaced by 1. */
function moments(values: Float64Array, rows: Int32Array): { mean: number; std: number; n: number } {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (const r of rows) {
    const x = values[r] as number;
    if (Number.isNaN(x)) continue;
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  const std = n > 0 ? Math.sqrt(m2 / n) : 0;
  return { mean, std: std > 0 ? std : 1, n };
}

function isIntegerText(s: string): boolean {
  return /^[+-]?\d+$/.test(s);
}

/** Resolves each multiclass task's class list from the schema or from the values seen. */
function resolveClasses(t: TaskColumnSchema, tables: readonly ColumnTable[]): readonly string[] {
  if (t.classes !== undefined) return t.classes;
  const seen = new Set<string>();
  for (const tb of tables) for (const v of cat(tb, t.column).dict) seen.add(v);
  if (t.numClasses !== undefined) {
    return Array.from({ length: t.numClasses }, (_, i) => String(i));
  }
  const values = [...seen];
  return values.every(isIntegerText) ? values.sort((a, b) => Number(a) - Number(b)) : values.sort();
}

/** Per table, maps dictionary codes of a multiclass column to class indices (or throws). */
function classCodeMap(
  t: TaskColumnSchema,
  table: ColumnTable,
  classes: readonly string[],
): Int32Array {
  const col = cat(table, t.column);
  const byName = new Map<string, number>();
  classes.forEach((c, i) => byName.set(c, i));
  const numeric = t.classes === undefined && t.numClasses !== undefined;
  const map = new Int32Array(col.dict.length);
  col.dict.forEach((v, code) => {
    const idx = numeric && isIntegerText(v) ? byName.get(String(Number(v))) : byName.get(v);
    if (idx === undefined) {
      const row = col.codes.indexOf(code);
      throw dataError(
        {
          file: table.file,
          line: table.lines[row] as number,
          lineKind: table.lineKind,
          column: t.column,
        },
        `label ${JSON.stringify(v)} of multiclass task '${taskIdOf(t)}' is not one of its ${classes.length} classes`,
        t.classes !== undefined
          ? "add the value to the task's `classes`, or fix the label"
          : `labels must be integers 0..${classes.length - 1}; raise numClasses or list the values in \`classes\``,
      );
    }
    map[code] = idx;
  });
  return map;
}

/** Distinct labelled classes of a binary/multiclass column over some rows (stops at 2). */
function distinctClasses(col: Column, rows: Int32Array | null, n: number): number {
  const seen = new Set<number>();
  const count = rows === null ? n : rows.length;
  for (let i = 0; i < count && seen.size < 2; i++) {
    const r = rows === null ? i : (rows[i] as number);
    const v = col.type === 'num' ? (col.values[r] as number) : (col.codes[r] as number);
    if (col.type === 'num' ? !Number.isNaN(v) : v >= 0) seen.add(v);
  }
  return seen.size;
}

function checkTwoClasses(
  t: TaskColumnSchema,
  tables: readonly ColumnTable[],
  train: SplitSource,
): void {
  for (const tb of tables) {
    const col = tb.columns.get(t.column) as Column;
    if (distinctClasses(col, null, tb.n) < 2) {
      throw dataError(
        { file: tb.file, column: t.column },
        `task '${taskIdOf(t)}' has only one class among its labelled rows`,
        t.kind === 'binary' && t.positive !== undefined
          ? `check \`positive\` (${JSON.stringify(t.positive)}) against the column's values, or drop the task`
          : 'a classification task needs at least two classes: fix the labels or drop the task',
      );
    }
  }
  const col = train.table.columns.get(t.column) as Column;
  if (distinctClasses(col, train.rows, train.table.n) < 2) {
    throw dataError(
      { file: train.table.file, column: t.column },
      `task '${taskIdOf(t)}' has only one class in the training split (${train.rows.length} rows)`,
      'use more rows, smaller validFraction/testFraction, or another seed',
    );
  }
}

/**
 * Encodes the three splits with encoders fitted on `sources.train`.
 *
 * Inputs: numeric features standardised, z = (x − μ_train)/σ_train (σ = 1 when constant),
 * missing → 0 (the training mean) plus an optional indicator column; categorical features as
 * indices (0 missing, 1 OOV, 2.. by training frequency, ties by value). Labels: binary 0/1,
 * multiclass indices, regression values (optionally standardised); missing labels are masked
 * (`masks` present on every split, for every task, when any label is missing anywhere).
 *
 * @throws DataError when a classification task has one class only (in a file or in the training
 * split), a numeric feature has no value in the training split, or a multiclass label is unknown.
 */
export function encodeSplits(schema: DataSchema, sources: SplitSources): EncodedData {
  const tables = [...new Set([sources.train.table, sources.valid.table, sources.test.table])];
  const trainRows = sources.train.rows;
  const trainTable = sources.train.table;

  const classes: Record<TaskId, readonly string[]> = {};
  const codeMaps = new Map<string, Map<ColumnTable, Int32Array>>();
  for (const t of schema.tasks) {
    if (t.kind === 'multiclass') {
      const cls = resolveClasses(t, tables);
      classes[taskIdOf(t)] = cls;
      const m = new Map<ColumnTable, Int32Array>();
      for (const tb of tables) m.set(tb, classCodeMap(t, tb, cls));
      codeMaps.set(t.column, m);
    }
    if (t.kind !== 'regression') checkTwoClasses(t, tables, sources.train);
  }

  const features: FeatureEncoding[] = [];
  const numericNames: string[] = [];
  const catSpecs: { name: string; vocabSize: number }[] = [];
  for (const f of schema.features) {
    if (f.type === 'numeric') {
      const m = moments(num(trainTable, f.column).values, trainRows);
      if (m.n === 0) {
        throw dataError(
          { file: trainTable.file, column: f.column },
          'numeric feature has no value in the training split',
          'drop the feature, or check schema.missing (every value was read as missing)',
        );
      }
      const missingIndicator = f.missingIndicator ?? false;
      features.push({
        column: f.column,
        type: 'numeric',
        mean: m.mean,
        std: m.std,
        missingIndicator,
      });
      numericNames.push(f.column);
      if (missingIndicator) numericNames.push(`${f.column}__missing`);
    } else {
      const col = cat(trainTable, f.column);
      const counts = new Float64Array(col.dict.length);
      for (const r of trainRows) {
        const c = col.codes[r] as number;
        if (c >= 0) counts[c] = (counts[c] as number) + 1;
      }
      const order = col.dict
        .map((v, c) => ({ v, k: counts[c] as number }))
        .filter((e) => e.k > 0)
        .sort((a, b) => b.k - a.k || (a.v < b.v ? -1 : a.v > b.v ? 1 : 0));
      const kept = order.slice(0, f.maxVocab ?? order.length).map((e) => e.v);
      features.push({ column: f.column, type: 'categorical', vocab: kept });
      catSpecs.push({ name: f.column, vocabSize: kept.length + 2 });
    }
  }

  const targetScaling: Record<TaskId, { mean: number; std: number }> = {};
  for (const t of schema.tasks) {
    if (t.kind === 'regression' && t.standardize === true) {
      const m = moments(num(trainTable, t.column).values, trainRows);
      targetScaling[taskIdOf(t)] = { mean: m.mean, std: m.std };
    }
  }

  let anyMissing = false;
  for (const src of [sources.train, sources.valid, sources.test]) {
    for (const t of schema.tasks) {
      const col = src.table.columns.get(t.column) as Column;
      for (const r of src.rows) {
        if (col.type === 'num' ? Number.isNaN(col.values[r]) : (col.codes[r] as number) < 0) {
          anyMissing = true;
          break;
        }
      }
      if (anyMissing) break;
    }
  }

  const encoding: DataEncoding = { features, numericNames, classes, targetScaling };
  const build = (src: SplitSource): DataSplit =>
    buildSplit(schema, encoding, src, codeMaps, anyMissing);
  const tasks: TaskSpec[] = schema.tasks.map((t) => ({
    id: taskIdOf(t),
    kind: t.kind,
    ...(t.kind === 'multiclass' ? { numClasses: (classes[taskIdOf(t)] ?? []).length } : {}),
    ...(t.loss !== undefined ? { loss: t.loss } : {}),
  }));
  return {
    inputSpec: { numeric: numericNames.length, categorical: catSpecs },
    tasks,
    train: build(sources.train),
    valid: build(sources.valid),
    test: build(sources.test),
    encoding,
  };
}

function buildSplit(
  schema: DataSchema,
  encoding: DataEncoding,
  src: SplitSource,
  codeMaps: ReadonlyMap<string, ReadonlyMap<ColumnTable, Int32Array>>,
  withMasks: boolean,
): DataSplit {
  const { table, rows } = src;
  const n = rows.length;
  const nNum = encoding.numericNames.length;
  const nCat = encoding.features.filter((f) => f.type === 'categorical').length;
  const numeric = new Float32Array(n * nNum);
  const categorical = new Int32Array(n * nCat);
  let jn = 0;
  let jc = 0;
  for (const f of encoding.features) {
    if (f.type === 'numeric') {
      const v = num(table, f.column).values;
      const ind = f.missingIndicator;
      for (let i = 0; i < n; i++) {
        const x = v[rows[i] as number] as number;
        const miss = Number.isNaN(x);
        numeric[i * nNum + jn] = miss ? 0 : (x - f.mean) / f.std;
        if (ind) numeric[i * nNum + jn + 1] = miss ? 1 : 0;
      }
      jn += ind ? 2 : 1;
    } else {
      const col = cat(table, f.column);
      const index = new Map<string, number>();
      f.vocab.forEach((v, i) => index.set(v, i + 2));
      const codeToIndex = new Int32Array(col.dict.length);
      col.dict.forEach((v, c) => (codeToIndex[c] = index.get(v) ?? OOV_INDEX));
      for (let i = 0; i < n; i++) {
        const c = col.codes[rows[i] as number] as number;
        categorical[i * nCat + jc] = c < 0 ? MISSING_INDEX : (codeToIndex[c] as number);
      }
      jc++;
    }
  }
  const labels: Record<TaskId, Float32Array | Int32Array> = {};
  const masks: Record<TaskId, Uint8Array> = {};
  for (const t of schema.tasks) {
    const id = taskIdOf(t);
    const mask = new Uint8Array(n);
    if (t.kind === 'multiclass') {
      const col = cat(table, t.column);
      const map = codeMaps.get(t.column)?.get(table) as Int32Array;
      const y = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const c = col.codes[rows[i] as number] as number;
        if (c >= 0) {
          y[i] = map[c] as number;
          mask[i] = 1;
        }
      }
      labels[id] = y;
    } else {
      const v = num(table, t.column).values;
      const sc = encoding.targetScaling[id];
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const x = v[rows[i] as number] as number;
        if (!Number.isNaN(x)) {
          y[i] = sc !== undefined ? (x - sc.mean) / sc.std : x;
          mask[i] = 1;
        }
      }
      labels[id] = y;
    }
    masks[id] = mask;
  }
  let rowWeights: Float32Array | undefined;
  if (schema.weight !== undefined) {
    const w = num(table, schema.weight).values;
    rowWeights = new Float32Array(n);
    for (let i = 0; i < n; i++) rowWeights[i] = w[rows[i] as number] as number;
  }
  return {
    n,
    ...(nNum > 0 ? { numeric } : {}),
    ...(nCat > 0 ? { categorical } : {}),
    labels,
    ...(withMasks ? { masks } : {}),
    ...(rowWeights !== undefined ? { rowWeights } : {}),
  };
}
