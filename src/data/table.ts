/**
 * Reading a file into typed columns, checked against a {@link DataSchema} while it streams:
 * every bad cell is reported with the file, line (CSV) or row (Parquet/Arrow), column and fix.
 *
 * Only the columns the schema names are kept. Numbers are stored as Float64Array (NaN = missing);
 * categorical values and multiclass labels as dictionary codes (Int32Array, −1 = missing) plus
 * the dictionary, so a 200k-row file does not hold millions of strings.
 */
import { readFile } from 'node:fs/promises';
import { assertReadableFile, readCsvRecords, type CsvOptions } from './csv.js';
import { dataError, showValue, type DataLocation } from './data-error.js';
import { GrowArray } from './grow.js';
import { DEFAULT_MISSING, taskIdOf, type DataSchema, type TaskColumnSchema } from './schema.js';

/** A cell as a reader produced it. */
export type RawValue = string | number | boolean | bigint | null | undefined | Date;

/** Numbers (features, binary/regression labels, weights); NaN = missing. */
export interface NumColumn {
  readonly type: 'num';
  readonly values: Float64Array;
}

/** Dictionary-coded strings (categorical features, multiclass labels); −1 = missing. */
export interface CatColumn {
  readonly type: 'cat';
  readonly codes: Int32Array;
  readonly dict: readonly string[];
}

export type Column = NumColumn | CatColumn;

/** The schema's columns of one file. */
export interface ColumnTable {
  readonly file: string;
  readonly n: number;
  /** `'line'` for text files, `'row'` for columnar files. */
  readonly lineKind: 'line' | 'row';
  /** 1-based line (or row) of each row, for messages. */
  readonly lines: Int32Array;
  readonly columns: ReadonlyMap<string, Column>;
}

/** What one schema column is used for. */
export type ColumnRole =
  | { readonly kind: 'numeric' }
  | { readonly kind: 'categorical' }
  | { readonly kind: 'label'; readonly task: TaskColumnSchema }
  | { readonly kind: 'weight' };

/** Column name → role, in schema order (features, tasks, weight). */
export function columnRoles(schema: DataSchema): Map<string, ColumnRole> {
  const roles = new Map<string, ColumnRole>();
  for (const f of schema.features) roles.set(f.column, { kind: f.type });
  for (const t of schema.tasks) roles.set(t.column, { kind: 'label', task: t });
  if (schema.weight !== undefined) roles.set(schema.weight, { kind: 'weight' });
  return roles;
}

/** Accepts one cell at a time for one column. */
export interface ColumnBuilder {
  push(v: RawValue, line: number): void;
  finish(): Column;
}

const NAN_TOKENS = new Set(['nan', '-nan', '+nan']);
const TRUE_TOKENS = new Set(['1', 'true', 't', 'yes']);
const FALSE_TOKENS = new Set(['0', 'false', 'f', 'no']);

function cellText(v: RawValue): string {
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'string' ? v.trim() : String(v);
}

function parseNumber(v: RawValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'string') return Number.NaN;
  const t = v.trim();
  if (t === '') return Number.NaN;
  return Number(t);
}

/**
 * Creates the builder for one column. `file`/`lineKind` only feed error messages.
 * `missing` holds the trimmed tokens that mean missing.
 */
export function createColumnBuilder(
  column: string,
  role: ColumnRole,
  missing: ReadonlySet<string>,
  file: string,
  lineKind: 'line' | 'row',
): ColumnBuilder {
  const at = (line: number): DataLocation => ({ file, line, lineKind, column });
  const isMissing = (v: RawValue): boolean =>
    v === null || v === undefined || missing.has(cellText(v));
  const isNaNCell = (v: RawValue): boolean =>
    (typeof v === 'number' && Number.isNaN(v)) ||
    (typeof v === 'string' && NAN_TOKENS.has(v.trim().toLowerCase()));

  const numeric = (onBad: (v: RawValue, line: number) => never) => {
    const out = new GrowArray(Float64Array);
    return {
      push(v: RawValue, line: number): void {
        if (isMissing(v) || isNaNCell(v)) {
          out.push(Number.NaN);
          return;
        }
        const x = parseNumber(v);
        if (!Number.isFinite(x)) onBad(v, line);
        out.push(x);
      },
      finish: (): Column => ({ type: 'num', values: out.done() }),
    };
  };

  const dictionary = (check?: (v: RawValue, line: number) => void) => {
    const codes = new GrowArray(Int32Array);
    const dict: string[] = [];
    const index = new Map<string, number>();
    return {
      push(v: RawValue, line: number): void {
        if (isMissing(v)) {
          codes.push(-1);
          return;
        }
        check?.(v, line);
        const key = cellText(v);
        let c = index.get(key);
        if (c === undefined) {
          c = dict.length;
          dict.push(key);
          index.set(key, c);
        }
        codes.push(c);
      },
      finish: (): Column => ({ type: 'cat', codes: codes.done(), dict }),
    };
  };

  const nanLabel = (task: TaskColumnSchema, line: number): never => {
    throw dataError(
      at(line),
      `label of task '${taskIdOf(task)}' is NaN`,
      `a label must be a value; if NaN means "no label" here, add "NaN" to schema.missing so the row is masked out of this task's loss`,
    );
  };

  switch (role.kind) {
    case 'numeric':
      return numeric((v, line) => {
        throw dataError(
          at(line),
          `value ${showValue(cellText(v))} is not a number (the schema declares this feature 'numeric')`,
          `declare the column as type 'categorical', or add ${showValue(cellText(v))} to schema.missing if it means missing`,
        );
      });
    case 'categorical':
      return dictionary();
    case 'weight': {
      const out = new GrowArray(Float64Array);
      return {
        push(v: RawValue, line: number): void {
          const x = isMissing(v) ? Number.NaN : parseNumber(v);
          if (!Number.isFinite(x) || x < 0) {
            throw dataError(
              at(line),
              `row weight ${showValue(v === null || v === undefined ? 'null' : cellText(v))} is missing, not a number or negative`,
              'row weights must be finite numbers ≥ 0 on every row: fix the value or drop schema.weight',
            );
          }
          out.push(x);
        },
        finish: (): Column => ({ type: 'num', values: out.done() }),
      };
    }
    case 'label': {
      const task = role.task;
      if (task.kind === 'multiclass') {
        return dictionary((v, line) => {
          if (isNaNCell(v)) nanLabel(task, line);
        });
      }
      if (task.kind === 'regression') {
        const inner = numeric((v, line) => {
          throw dataError(
            at(line),
            `label ${showValue(cellText(v))} of regression task '${taskIdOf(task)}' is not a number`,
            `fix the value, or add ${showValue(cellText(v))} to schema.missing if it means "no label"`,
          );
        });
        return {
          push(v: RawValue, line: number): void {
            if (!isMissing(v) && isNaNCell(v)) nanLabel(task, line);
            inner.push(v, line);
          },
          finish: inner.finish,
        };
      }
      // binary
      const valueSet = (
        v: TaskColumnSchema['positive'] | TaskColumnSchema['negative'],
      ): Set<string> | undefined =>
        v === undefined
          ? undefined
          : new Set((Array.isArray(v) ? v : [v]).map((p) => String(p).trim()));
      const positives = valueSet(task.positive);
      const negatives = valueSet(task.negative);
      const out = new GrowArray(Float64Array);
      return {
        push(v: RawValue, line: number): void {
          if (isMissing(v)) {
            out.push(Number.NaN);
            return;
          }
          if (isNaNCell(v)) nanLabel(task, line);
          const key = cellText(v);
          if (positives !== undefined) {
            if (negatives !== undefined && !positives.has(key) && !negatives.has(key)) {
              throw dataError(
                at(line),
                `label ${showValue(key)} of binary task '${taskIdOf(task)}' is neither a positive (${[...positives].map((p) => showValue(p)).join(', ')}) nor a negative (${[...negatives].map((p) => showValue(p)).join(', ')}) value`,
                'fix the label, or add the value to `positive` / `negative` (or to schema.missing)',
              );
            }
            out.push(positives.has(key) ? 1 : 0);
            return;
          }
          const low = key.toLowerCase();
          if (TRUE_TOKENS.has(low)) out.push(1);
          else if (FALSE_TOKENS.has(low)) out.push(0);
          else {
            throw dataError(
              at(line),
              `label ${showValue(key)} of binary task '${taskIdOf(task)}' is not 0/1 or true/false`,
              `declare which value means 1 with \`positive\` in the task's schema (e.g. positive: ${showValue(key)})`,
            );
          }
        },
        finish: (): Column => ({ type: 'num', values: out.done() }),
      };
    }
  }
}

/** File format of a data file. */
export type FileFormat = 'csv' | 'parquet' | 'arrow';

/** Format from the file name: `.parquet`, `.arrow`/`.feather`/`.ipc`, otherwise CSV. */
export function formatFromPath(path: string): FileFormat {
  const p = path.toLowerCase().replace(/\.gz$/, '');
  if (p.endsWith('.parquet') || p.endsWith('.pq')) return 'parquet';
  if (p.endsWith('.arrow') || p.endsWith('.feather') || p.endsWith('.ipc')) return 'arrow';
  return 'csv';
}

/** CSV reading options beyond the field splitting. */
export interface CsvTableOptions extends CsvOptions {
  /** First record is a header (default true). */
  readonly header?: boolean;
  /** Column names when there is no header (required then). */
  readonly columns?: readonly string[];
  /**
   * Records whose first field starts with this text are skipped (Adult's `adult.test` opens with
   * the line `|1x3 Cross validator`). Default: none.
   */
  readonly comment?: string;
}

/** Options of {@link readTable}. */
export interface ReadTableOptions {
  /** Default: from the file name ({@link formatFromPath}). */
  readonly format?: FileFormat;
  readonly csv?: CsvTableOptions;
}

function unknownColumn(file: string, column: string, found: readonly string[]): never {
  const shown = found.slice(0, 12).map((c) => `'${c}'`);
  if (found.length > 12) shown.push('...');
  throw dataError(
    { file, column },
    `column '${column}' named in the schema is not in the file (columns found: ${shown.join(', ')})`,
    'fix the column name in the schema (names are case-sensitive) or add the column to the file',
  );
}

function emptyFile(file: string, detail: string): never {
  throw dataError({ file }, `file is empty (${detail})`, 'give a file with at least one data row');
}

interface TableSink {
  builders: [number, ColumnBuilder][];
  lines: GrowArray<Int32Array>;
}

function makeSink(
  file: string,
  lineKind: 'line' | 'row',
  schema: DataSchema,
  found: readonly string[],
): { sink: TableSink; names: string[] } {
  const roles = columnRoles(schema);
  const missing = new Set((schema.missing ?? DEFAULT_MISSING).map((m) => m.trim()));
  const position = new Map<string, number>();
  found.forEach((c, i) => {
    if (position.has(c)) {
      throw dataError(
        { file, column: c },
        `column name '${c}' appears twice in the header`,
        'give every column a distinct name',
      );
    }
    position.set(c, i);
  });
  const builders: [number, ColumnBuilder][] = [];
  const names: string[] = [];
  for (const [column, role] of roles) {
    const p = position.get(column);
    if (p === undefined) unknownColumn(file, column, found);
    builders.push([p, createColumnBuilder(column, role, missing, file, lineKind)]);
    names.push(column);
  }
  return { sink: { builders, lines: new GrowArray(Int32Array) }, names };
}

function finishTable(
  file: string,
  lineKind: 'line' | 'row',
  sink: TableSink,
  names: readonly string[],
): ColumnTable {
  const lines = sink.lines.done();
  const columns = new Map<string, Column>();
  sink.builders.forEach(([, b], i) => columns.set(names[i] as string, b.finish()));
  return { file, n: lines.length, lineKind, lines, columns };
}

async function readCsvTable(
  path: string,
  schema: DataSchema,
  opts: CsvTableOptions,
): Promise<ColumnTable> {
  const header = opts.header ?? true;
  let sink: TableSink | undefined;
  let names: string[] = [];
  let width = 0;
  let sawHeader = false;
  const start = (cols: readonly string[]): void => {
    width = cols.length;
    ({ sink, names } = makeSink(path, 'line', schema, cols));
  };
  if (!header) {
    if (opts.columns === undefined) {
      throw dataError(
        { file: path },
        'the CSV has no header and no column names were given',
        'pass csv.columns (one name per field) or set csv.header to true',
      );
    }
    start(opts.columns);
  }
  for await (const records of readCsvRecords(path, opts)) {
    for (const rec of records) {
      if (opts.comment !== undefined && rec.fields[0]?.startsWith(opts.comment) === true) continue;
      if (sink === undefined) {
        start(rec.fields.map((f) => f.trim()));
        sawHeader = true;
        continue;
      }
      if (rec.fields.length !== width) {
        throw dataError(
          { file: path, line: rec.line },
          `row has ${rec.fields.length} fields but the ${header ? 'header has' : 'declared columns are'} ${width}`,
          'fix the row: quote fields that contain the delimiter, and give every row the same number of fields',
        );
      }
      for (const [p, b] of sink.builders) b.push(rec.fields[p], rec.line);
      sink.lines.push(rec.line);
    }
  }
  if (sink === undefined) emptyFile(path, 'no header and no rows');
  if (sink.lines.n === 0) emptyFile(path, sawHeader ? 'a header but no data rows' : 'no data rows');
  return finishTable(path, 'line', sink, names);
}

function asBytes(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

async function readParquetTable(path: string, schema: DataSchema): Promise<ColumnTable> {
  await assertReadableFile(path);
  const hp = await import('hyparquet');
  const file = asBytes(await readFile(path));
  let metadata;
  try {
    metadata = hp.parquetMetadata(file);
  } catch (e) {
    throw dataError(
      { file: path },
      `is not a readable Parquet file (${(e as Error).message})`,
      'check that the file is Parquet, or give it a .csv / .arrow name if it is not',
    );
  }
  const found = hp.parquetSchema(metadata).children.map((c) => c.element.name);
  const { sink, names } = makeSink(path, 'row', schema, found);
  const n = Number(metadata.num_rows);
  if (n === 0) emptyFile(path, 'no rows');
  // Read one row group at a time so a large file is decoded in bounded pieces.
  let rowStart = 0;
  for (const rg of metadata.row_groups) {
    const rowEnd = rowStart + Number(rg.num_rows);
    let rows: unknown[][] = [];
    try {
      await hp.parquetRead({
        file,
        metadata,
        columns: names,
        rowStart,
        rowEnd,
        onComplete: (r: unknown[][]) => {
          rows = r;
        },
      });
    } catch (e) {
      throw dataError(
        { file: path },
        `cannot be decoded (${(e as Error).message})`,
        'write the file with snappy or no compression, or convert it to CSV',
      );
    }
    rows.forEach((row, r) => {
      const line = rowStart + r + 1;
      sink.builders.forEach(([, b], j) => b.push(row[j] as RawValue, line));
      sink.lines.push(line);
    });
    rowStart = rowEnd;
  }
  return finishTable(path, 'row', sink, names);
}

async function readArrowTable(path: string, schema: DataSchema): Promise<ColumnTable> {
  await assertReadableFile(path);
  const arrow = await import('apache-arrow');
  let table;
  try {
    table = arrow.tableFromIPC(await readFile(path));
  } catch (e) {
    throw dataError(
      { file: path },
      `is not a readable Arrow IPC file (${(e as Error).message})`,
      'check that the file is Arrow IPC (file or stream format), or give it a .csv / .parquet name',
    );
  }
  const found = table.schema.fields.map((f) => f.name);
  const { sink, names } = makeSink(path, 'row', schema, found);
  if (table.numRows === 0) emptyFile(path, 'no rows');
  let offset = 0;
  for (const batch of table.batches) {
    const vectors = names.map((c) => batch.getChild(c));
    for (let r = 0; r < batch.numRows; r++) {
      const line = offset + r + 1;
      sink.builders.forEach(([, b], j) => b.push(vectors[j]?.get(r) as RawValue, line));
      sink.lines.push(line);
    }
    offset += batch.numRows;
  }
  return finishTable(path, 'row', sink, names);
}

/**
 * Reads the schema's columns of a CSV (optionally gzip), Parquet or Arrow IPC file.
 *
 * @throws DataError for a missing or empty file, a schema column not in the file, a ragged CSV
 * row, a non-numeric numeric cell, a NaN label, a label that does not fit its task kind, or a
 * bad row weight; each names the file, the line or row, the column and the fix.
 */
export async function readTable(
  path: string,
  schema: DataSchema,
  options: ReadTableOptions = {},
): Promise<ColumnTable> {
  const format = options.format ?? formatFromPath(path);
  switch (format) {
    case 'csv':
      return readCsvTable(path, schema, options.csv ?? {});
    case 'parquet':
      return readParquetTable(path, schema);
    case 'arrow':
      return readArrowTable(path, schema);
  }
}
