import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataError } from '../core/errors.js';
import {
  hasCheckpoint,
  openJsonl,
  readCheckpoint,
  readJson,
  readJsonl,
  writeCheckpoint,
  writeFileAtomic,
  writeJsonlAtomic,
} from './fsutil.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'manytask-fsutil-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temp files behind', async () => {
    const p = join(dir, 'a.json');
    writeFileSync(p, 'old');
    await writeFileAtomic(p, 'new');
    expect(readFileSync(p, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });
  it('keeps the old file when the write fails', async () => {
    const p = join(dir, 'missing-dir', 'a.json');
    await expect(writeFileAtomic(p, 'x')).rejects.toThrow(/ENOENT/);
    expect(existsSync(p)).toBe(false);
  });
});

describe('readJson', () => {
  it('names the file in its errors', async () => {
    await expect(readJson(join(dir, 'nope.json'))).rejects.toThrow(
      `${join(dir, 'nope.json')}: file not found`,
    );
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    await expect(readJson(join(dir, 'bad.json'))).rejects.toThrow(
      new RegExp(`^${join(dir, 'bad.json')}: invalid JSON .*; fix the file$`),
    );
  });
});

describe('JSON lines', () => {
  it('appends and reads back records', async () => {
    const p = join(dir, 'm.jsonl');
    const w = await openJsonl(p);
    await w.append({ a: 1 });
    await w.append({ b: [2, 3] });
    await w.close();
    expect(await readJsonl(p)).toEqual({ records: [{ a: 1 }, { b: [2, 3] }], tornTail: false });
  });
  it('drops a torn last line and reports it', async () => {
    const p = join(dir, 'm.jsonl');
    writeFileSync(p, '{"a":1}\n{"b":');
    expect(await readJsonl(p)).toEqual({ records: [{ a: 1 }], tornTail: true });
  });
  it('rejects a bad line in the middle, naming file and line', async () => {
    const p = join(dir, 'm.jsonl');
    writeFileSync(p, '{"a":1}\nxx\n{"b":2}\n');
    const err = await readJsonl(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(
      `${p}: line 2 is not valid JSON; repair or delete the line`,
    );
  });
  it('treats a missing file as empty and rewrites atomically', async () => {
    const p = join(dir, 'm.jsonl');
    expect(await readJsonl(p)).toEqual({ records: [], tornTail: false });
    await writeJsonlAtomic(p, [{ x: 1 }, { y: 2 }]);
    expect(readFileSync(p, 'utf8')).toBe('{"x":1}\n{"y":2}\n');
  });
});

describe('checkpoints', () => {
  const payload = (v: number) => ({
    meta: { step: v, note: 'hi' },
    arrays: {
      w: { dtype: 'float32' as const, shape: [2, 2], data: new Float32Array([v, 0.5, -1, 1e-7]) },
      idx: { dtype: 'int32' as const, shape: [3], data: new Int32Array([1, -2, v]) },
      empty: { dtype: 'float32' as const, shape: [0], data: new Float32Array(0) },
      bytes: { dtype: 'uint8' as const, shape: [3], data: new Uint8Array([255, 0, v]) },
    },
  });

  it('round-trips metadata and arrays bit for bit', async () => {
    const ck = join(dir, 'checkpoint');
    expect(await hasCheckpoint(ck)).toBe(false);
    await writeCheckpoint(ck, '10', payload(10));
    expect(await hasCheckpoint(ck)).toBe(true);
    const back = await readCheckpoint(ck);
    expect(back.meta).toEqual({ step: 10, note: 'hi' });
    expect(back.arrays['w']?.shape).toEqual([2, 2]);
    expect(Array.from(back.arrays['w']!.data)).toEqual(Array.from(payload(10).arrays.w.data));
    expect(back.arrays['idx']?.data).toBeInstanceOf(Int32Array);
    expect(Array.from(back.arrays['idx']!.data)).toEqual([1, -2, 10]);
    expect(back.arrays['empty']?.data.length).toBe(0);
    expect(back.arrays['bytes']?.data).toEqual(new Uint8Array([255, 0, 10]));
  });

  it('keeps only the committed payload files after a newer checkpoint', async () => {
    const ck = join(dir, 'checkpoint');
    await writeCheckpoint(ck, '1', payload(1));
    await writeCheckpoint(ck, '2', payload(2));
    expect(readdirSync(ck).sort()).toEqual(['arrays-2.bin', 'manifest.json', 'state-2.json']);
    expect((await readCheckpoint(ck)).meta).toEqual({ step: 2, note: 'hi' });
  });

  it('still reads the previous checkpoint when a new one was interrupted before the manifest', async () => {
    const ck = join(dir, 'checkpoint');
    await writeCheckpoint(ck, '1', payload(1));
    // A crash after the payload files of tag 2 were written but before the manifest rename.
    writeFileSync(join(ck, 'arrays-2.bin'), 'partial');
    writeFileSync(join(ck, '.manifest.json.tmp-1-0'), '{"format":');
    expect((await readCheckpoint(ck)).meta).toEqual({ step: 1, note: 'hi' });
  });

  it('detects corruption', async () => {
    const ck = join(dir, 'checkpoint');
    await writeCheckpoint(ck, '3', payload(3));
    const bin = join(ck, 'arrays-3.bin');
    const bytes = readFileSync(bin);
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    writeFileSync(bin, bytes);
    await expect(readCheckpoint(ck)).rejects.toThrow(
      `${bin}: checksum mismatch (the checkpoint is corrupt); delete ${ck} and restart the run`,
    );
  });
});
