import { fileURLToPath } from 'node:url';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { DataError } from '../core/errors.js';
import { createCsvParser, parseCsv, readCsvRecords, type CsvRecord } from './csv.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

async function readAll(path: string): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const recs of readCsvRecords(path)) out.push(...recs);
  return out;
}

/** RFC 4180 writer used to round-trip random tables. */
function toCsv(rows: string[][], eol: string): string {
  const q = (f: string): string => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
  return rows.map((r) => r.map(q).join(',')).join(eol) + eol;
}

describe('createCsvParser', () => {
  it('parses quotes, doubled quotes, embedded delimiters and newlines with start lines', () => {
    const recs = parseCsv('a,b\r\n"x, y","say ""hi"""\n"multi\nline",2\n\n3,\n');
    expect(recs).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['x, y', 'say "hi"'], line: 2 },
      { fields: ['multi\nline', '2'], line: 3 },
      { fields: ['3', ''], line: 6 },
    ]);
  });

  it('strips a UTF-8 BOM and handles a last line without newline', () => {
    expect(parseCsv('\uFEFFa,b\n1,2')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
    ]);
  });

  it('trims unquoted fields in trim mode (", " separated files) but keeps quoted spaces', () => {
    const recs = parseCsv(' 73, Not in universe, " a b ", - 50000.\n', 'f', { trim: true });
    expect(recs[0]?.fields).toEqual(['73', 'Not in universe', ' a b ', '- 50000.']);
  });

  it('uses another delimiter', () => {
    expect(parseCsv('a\tb,c\n', 'f', { delimiter: '\t' })[0]?.fields).toEqual(['a', 'b,c']);
  });

  it('reports an unclosed quote with the line where it opened', () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3\n', 'data.csv')).toThrow(
      new DataError(
        'data.csv, line 2: a quoted field opened on this line is never closed; close the quote, or double any literal quote inside the field ("")',
        { file: 'data.csv', line: 2 },
      ),
    );
  });

  it('reports text after a closing quote', () => {
    expect(() => parseCsv('a\n"x"y\n', 'data.csv')).toThrow(
      'data.csv, line 2: unexpected character "y" after the closing quote of a quoted field; write a literal quote inside a quoted field as two quotes ("") and put the delimiter right after the closing quote',
    );
  });

  test.prop(
    [
      fc.array(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', 'é') }), {
          minLength: 1,
          maxLength: 4,
        }),
        {
          minLength: 1,
          maxLength: 6,
        },
      ),
      fc.constantFrom('\n', '\r\n'),
      fc.array(fc.nat(), { maxLength: 6 }),
    ],
    { numRuns: 150 },
  )('round-trips any table, whatever the chunk boundaries', (rows, eol, cuts) => {
    // A record that is a single empty field is a blank line, which the parser skips by design.
    const kept = rows.filter((r) => !(r.length === 1 && r[0] === ''));
    const text = toCsv(kept, eol);
    const parser = createCsvParser('p');
    const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
    const got: string[][] = [];
    let prev = 0;
    for (const p of [...points, text.length]) {
      got.push(...parser.push(text.slice(prev, p)).map((r) => r.fields));
      prev = p;
    }
    got.push(...parser.end().map((r) => r.fields));
    expect(got).toEqual(kept);
  });
});

describe('readCsvRecords', () => {
  it('streams a file and its gzip copy to the same records with line numbers', async () => {
    const plain = await readAll(fixture('user-basic.csv'));
    const gz = await readAll(fixture('user-basic.csv.gz'));
    expect(gz).toEqual(plain);
    expect(plain).toHaveLength(21);
    expect(plain[13]).toEqual({
      fields: ['13', '48', 'Multi\nline', '1', 'a', '11', '1'],
      line: 14,
    });
    expect(plain[14]?.line).toBe(16);
  });

  it('reports a missing file', async () => {
    const f = fixture('no-such-file.csv');
    await expect(readAll(f)).rejects.toThrow(
      `${f}: file not found; check the path (relative paths resolve from ${process.cwd()})`,
    );
  });

  it('reports a .gz file that is not gzip', async () => {
    const f = fixture('not-gzip.csv.gz');
    await expect(readAll(f)).rejects.toBeInstanceOf(DataError);
    await expect(readAll(f)).rejects.toThrow(/cannot be decompressed/);
  });
});
