/**
 * One place that formats data errors, so every loader reports bad input the same way:
 * `<file>, line <n>, column '<name>': <problem>; <fix>`.
 */
import { DataError } from '../core/errors.js';

/** Where a problem is: the file, and when known the 1-based line (CSV) or row (Parquet/Arrow). */
export interface DataLocation {
  readonly file: string;
  readonly line?: number;
  /** `'line'` for text files (physical line, header included), `'row'` for columnar files. */
  readonly lineKind?: 'line' | 'row';
  readonly column?: string;
}

/** Builds a {@link DataError} whose message starts with the location and ends with the fix. */
export function dataError(where: DataLocation, problem: string, fix: string): DataError {
  let head = where.file;
  if (where.line !== undefined) head += `, ${where.lineKind ?? 'line'} ${where.line}`;
  if (where.column !== undefined) head += `, column '${where.column}'`;
  return new DataError(`${head}: ${problem}; ${fix}`, {
    file: where.file,
    ...(where.line !== undefined ? { line: where.line } : {}),
    ...(where.column !== undefined ? { column: where.column } : {}),
  });
}

/** Quotes a cell for a message, shortening long ones. */
export function showValue(v: unknown): string {
  const s = typeof v === 'string' ? v : String(v);
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 37)}...` : s);
}
