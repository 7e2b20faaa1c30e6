/**
 * Streaming CSV reader: RFC 4180 quoting (quoted fields may hold delimiters, doubled quotes and
 * newlines), CRLF or LF line ends, an optional UTF-8 BOM, gzip when the file name ends in `.gz`.
 * Every record carries the physical line it starts on, so errors can point at the line.
 *
 * The parser itself ({@link createCsvParser}) is plain string code with no Node import; only
 * {@link readCsvRecords} touches `node:fs` / `node:zlib`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { dataError } from './data-error.js';

/** How a text file is split into fields. */
export interface CsvOptions {
  /** One character; default `','`. */
  readonly delimiter?: string;
  /**
   * Trim spaces and tabs around unquoted fields. Needed for files written with `', '` between
   * fields (Census-Income). Default false.
   */
  readonly trim?: boolean;
}

/** One parsed record. */
export interface CsvRecord {
  readonly fields: string[];
  /** 1-based physical line on which the record starts. */
  readonly line: number;
}

/** Incremental parser: feed text chunks, collect complete records. */
export interface CsvParser {
  push(chunk: string): CsvRecord[];
  /** Flushes the last record; throws when a quoted field was never closed. */
  end(): CsvRecord[];
}

const QUOTE = 34;
const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;

/**
 * Creates an incremental RFC 4180 parser. `file` only names the source in error messages.
 * Blank lines are skipped (they are neither records nor errors).
 */
export function createCsvParser(file: string, options: CsvOptions = {}): CsvParser {
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw dataError(
      { file },
      `CSV delimiter ${JSON.stringify(delimiter)} is not usable`,
      'use a single character other than a quote or a line break',
    );
  }
  const delim = delimiter.charCodeAt(0);
  const trim = options.trim ?? false;

  let line = 1;
  let recordLine = 1;
  let fields: string[] = [];
  let field = '';
  // 0: at field start, 1: in unquoted field, 2: in quoted field, 3: just after a closing quote
  let state = 0;
  let quoteLine = 0;
  let pendingCR = false;
  let first = true;

  const endField = (): void => {
    fields.push(trim && state !== 3 ? field.trim() : field);
    field = '';
    state = 0;
  };
  const endRecord = (out: CsvRecord[]): void => {
    endField();
    const blank = fields.length === 1 && fields[0] === '';
    if (!blank) out.push({ fields, line: recordLine });
    fields = [];
  };

  const push = (chunk: string): CsvRecord[] => {
    const out: CsvRecord[] = [];
    let s = chunk;
    if (first) {
      first = false;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    const n = s.length;
    let i = 0;
    if (pendingCR) {
      pendingCR = false;
      if (n > 0 && s.charCodeAt(0) === LF) i = 1;
    }
    while (i < n) {
      const c = s.charCodeAt(i);
      if (state === 2) {
        // Copy the run up to the next quote in one slice: quoted fields can be long.
        const q = s.indexOf('"', i);
        const stop = q < 0 ? n : q;
        for (let j = i; j < stop; j++) {
          const cj = s.charCodeAt(j);
          if (cj === LF || (cj === CR && s.charCodeAt(j + 1) !== LF)) line++;
        }
        field += s.slice(i, stop);
        if (q < 0) break;
        if (q + 1 < n) {
          if (s.charCodeAt(q + 1) === QUOTE) {
            field += '"';
            i = q + 2;
          } else {
            state = 3;
            i = q + 1;
          }
        } else {
          // The quote ends the chunk: whether it is doubled is decided by the next chunk.
          state = 3;
          i = q + 1;
        }
        continue;
      }
      if (c === delim) {
        endField();
      } else if (c === LF || c === CR) {
        endRecord(out);
        if (c === CR) {
          if (i + 1 < n) {
            if (s.charCodeAt(i + 1) === LF) i++;
          } else {
            pendingCR = true;
          }
        }
        line++;
        recordLine = line;
      } else if (state === 3) {
        if (c === QUOTE) {
          // A doubled quote split across two chunks.
          field += '"';
          state = 2;
        } else if (!(trim && (c === SPACE || c === TAB))) {
          throw dataError(
            { file, line },
            `unexpected character ${JSON.stringify(String.fromCharCode(c))} after the closing quote of a quoted field`,
            'write a literal quote inside a quoted field as two quotes ("") and put the delimiter right after the closing quote',
          );
        }
      } else if (state === 0 && c === QUOTE) {
        state = 2;
        quoteLine = line;
      } else if (!(state === 0 && trim && (c === SPACE || c === TAB))) {
        field += String.fromCharCode(c);
        state = 1;
      }
      i++;
    }
    return out;
  };

  const end = (): CsvRecord[] => {
    if (state === 2) {
      throw dataError(
        { file, line: quoteLine },
        'a quoted field opened on this line is never closed',
        'close the quote, or double any literal quote inside the field ("")',
      );
    }
    const out: CsvRecord[] = [];
    if (fields.length > 0 || field !== '' || state === 3) endRecord(out);
    return out;
  };

  return { push, end };
}

/** Parses a whole string (tests, small inline data). */
export function parseCsv(text: string, file = '<string>', options: CsvOptions = {}): CsvRecord[] {
  const p = createCsvParser(file, options);
  return [...p.push(text), ...p.end()];
}

/** Throws a {@link DataError} naming the file when it does not exist or is not a file. */
export async function assertReadableFile(path: string): Promise<void> {
  let isFile = false;
  try {
    isFile = (await stat(path)).isFile();
  } catch {
    throw dataError(
      { file: path },
      'file not found',
      `check the path (relative paths resolve from ${process.cwd()})`,
    );
  }
  if (!isFile) {
    throw dataError({ file: path }, 'is not a regular file', 'give the path of a data file');
  }
}

/** Opens a file as a byte stream, gunzipping when the name ends in `.gz`. */
export function openMaybeGzip(path: string): Readable {
  const raw = createReadStream(path);
  if (!path.toLowerCase().endsWith('.gz')) return raw;
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

/**
 * Streams the records of a CSV file (gzip when the name ends in `.gz`), one array per chunk read,
 * without holding the file in memory.
 *
 * @throws DataError when the file is missing, is not valid gzip, or has an unclosed quote.
 */
export async function* readCsvRecords(
  path: string,
  options: CsvOptions = {},
): AsyncGenerator<CsvRecord[]> {
  await assertReadableFile(path);
  const parser = createCsvParser(path, options);
  const decoder = new TextDecoder('utf-8');
  const stream = openMaybeGzip(path);
  try {
    for await (const chunk of stream) {
      const recs = parser.push(decoder.decode(chunk as Uint8Array, { stream: true }));
      if (recs.length > 0) yield recs;
    }
  } catch (e) {
    if (
      e instanceof Error &&
      'code' in e &&
      String((e as { code: unknown }).code).startsWith('Z_')
    ) {
      throw dataError(
        { file: path },
        `cannot be decompressed (${e.message})`,
        'the name ends in .gz but the content is not valid gzip: fix the file or rename it',
      );
    }
    throw e;
  } finally {
    stream.destroy();
  }
  const tail = [...parser.push(decoder.decode()), ...parser.end()];
  if (tail.length > 0) yield tail;
}
