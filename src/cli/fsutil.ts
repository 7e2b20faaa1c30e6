/**
 * Crash-safe files for run directories.
 *
 * - {@link writeFileAtomic}: temp file in the same directory → write → fsync → rename → fsync of
 *   the directory. A reader sees the old file or the new one, never a torn one.
 * - {@link JsonlWriter}: append-only `metrics.jsonl`; {@link readJsonl} tolerates a torn last
 *   line (a crash mid-append) and reports it.
 * - {@link writeCheckpoint} / {@link readCheckpoint}: a checkpoint directory whose commit point is
 *   the atomic rename of `manifest.json`. Payload files carry the step in their names and are
 *   written (and fsynced) before the manifest, so an interrupted write leaves the previous
 *   checkpoint intact; stale payloads are removed only after the new manifest is durable.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DataError } from '../core/errors.js';

let tmpCounter = 0;

async function fsyncDir(dir: string): Promise<void> {
  // Directory fsync makes the rename durable; some file systems refuse it (EINVAL/EISDIR), which
  // only weakens durability after a power loss, not atomicity.
  let h: fsp.FileHandle | undefined;
  try {
    h = await fsp.open(dir, 'r');
    await h.sync();
  } catch {
    /* not supported here */
  } finally {
    await h?.close();
  }
}

/** Writes `data` to `path` atomically (same-directory temp file, fsync, rename, dir fsync). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${tmpCounter++}`);
  const h = await fsp.open(tmp, 'w');
  try {
    await h.writeFile(data);
    await h.sync();
  } catch (err) {
    await h.close();
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await h.close();
  try {
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

/** Pretty JSON (2 spaces, trailing newline), written atomically. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** Reads and parses a JSON file; errors name the file and say what to do. */
export async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(
      code === 'ENOENT'
        ? `${path}: file not found`
        : `${path}: cannot read (${code ?? String(err)})`,
      { file: path },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DataError(`${path}: invalid JSON (${(err as Error).message}); fix the file`, {
      file: path,
    });
  }
}

/** Append-only JSON-lines file; `sync()` makes every appended line durable. */
export interface JsonlWriter {
  append(record: unknown): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Opens `path` for appending JSON lines (created when missing). */
export async function openJsonl(path: string): Promise<JsonlWriter> {
  const h = await fsp.open(path, 'a');
  let closed = false;
  return {
    async append(record) {
      await h.appendFile(JSON.stringify(record) + '\n');
    },
    async sync() {
      if (!closed) await h.sync();
    },
    async close() {
      if (closed) return;
      closed = true;
      await h.sync();
      await h.close();
    },
  };
}

/** Parsed JSON lines plus whether a torn (unparseable, unterminated) last line was dropped. */
export interface JsonlContent {
  readonly records: unknown[];
  readonly tornTail: boolean;
}

/**
 * Reads a JSON-lines file. A last line without its newline that does not parse is a torn append
 * and is dropped (`tornTail`); any other bad line is a {@link DataError} naming file and line.
 */
export async function readJsonl(path: string): Promise<JsonlContent> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { records: [], tornTail: false };
    throw err;
  }
  const lines = text.split('\n');
  const terminated = text.endsWith('\n');
  if (terminated) lines.pop();
  const records: unknown[] = [];
  let tornTail = false;
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      if (i === lines.length - 1 && !terminated) {
        tornTail = true;
        break;
      }
      throw new DataError(`${path}: line ${i + 1} is not valid JSON; repair or delete the line`, {
        file: path,
        line: i + 1,
      });
    }
  }
  return { records, tornTail };
}

/** Rewrites a JSON-lines file atomically with exactly `records`. */
export async function writeJsonlAtomic(path: string, records: readonly unknown[]): Promise<void> {
  await writeFileAtomic(path, records.map((r) => JSON.stringify(r) + '\n').join(''));
}

/** A host array of a checkpoint (tensor values, read back from the device). */
export interface StoredArray {
  readonly dtype: 'float32' | 'int32' | 'uint8';
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array | Uint8Array;
}

/** What a checkpoint holds: JSON metadata and named numeric arrays. */
export interface CheckpointPayload {
  readonly meta: unknown;
  readonly arrays: Readonly<Record<string, StoredArray>>;
}

interface ManifestArray {
  readonly name: string;
  readonly dtype: StoredArray['dtype'];
  readonly shape: readonly number[];
  /** Byte offset in the binary file. */
  readonly offset: number;
  readonly length: number;
}

interface Manifest {
  readonly format: 'manytask-checkpoint/1';
  /** Used in payload file names so a new checkpoint never overwrites the committed one. */
  readonly tag: string;
  readonly metaFile: string;
  readonly binFile: string;
  readonly sha256: string;
  readonly arrays: readonly ManifestArray[];
}

const MANIFEST = 'manifest.json';

/**
 * Writes a checkpoint into `dir` (created when missing). `tag` distinguishes payload files
 * (use the step). Everything is durable when the promise resolves.
 */
export async function writeCheckpoint(
  dir: string,
  tag: string,
  payload: CheckpointPayload,
): Promise<void> {
  if (!/^[A-Za-z0-9_-]+$/.test(tag))
    throw new Error(`writeCheckpoint: tag must match [A-Za-z0-9_-]+, got '${tag}'`);
  await fsp.mkdir(dir, { recursive: true });
  const arrays: ManifestArray[] = [];
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, a] of Object.entries(payload.arrays)) {
    const size = a.shape.reduce((p, q) => p * q, 1);
    if (size !== a.data.length)
      throw new Error(
        `writeCheckpoint: array '${name}' has ${a.data.length} values but shape [${a.shape.join(', ')}]`,
      );
    const bytes = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    arrays.push({ name, dtype: a.dtype, shape: [...a.shape], offset, length: bytes.length });
    parts.push(bytes);
    offset += bytes.length;
  }
  const bin = new Uint8Array(offset);
  let o = 0;
  for (const p of parts) {
    bin.set(p, o);
    o += p.length;
  }
  const manifest: Manifest = {
    format: 'manytask-checkpoint/1',
    tag,
    metaFile: `state-${tag}.json`,
    binFile: `arrays-${tag}.bin`,
    sha256: createHash('sha256').update(bin).digest('hex'),
    arrays,
  };
  await writeFileAtomic(join(dir, manifest.binFile), bin);
  await writeJsonAtomic(join(dir, manifest.metaFile), payload.meta);
  await writeJsonAtomic(join(dir, MANIFEST), manifest);
  // The manifest is committed: older payloads are garbage now.
  for (const f of await fsp.readdir(dir)) {
    if (f !== MANIFEST && f !== manifest.metaFile && f !== manifest.binFile)
      await fsp.rm(join(dir, f), { force: true, recursive: true });
  }
}

/** True when `dir` holds a committed checkpoint. */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  try {
    await fsp.access(join(dir, MANIFEST));
    return true;
  } catch {
    return false;
  }
}

/** Reads the committed checkpoint of `dir`, verifying sizes and the checksum. */
export async function readCheckpoint(dir: string): Promise<CheckpointPayload> {
  const manifestPath = join(dir, MANIFEST);
  const m = (await readJson(manifestPath)) as Partial<Manifest>;
  if (m.format !== 'manytask-checkpoint/1' || m.binFile === undefined || m.metaFile === undefined)
    throw new DataError(`${manifestPath}: not a manytask checkpoint manifest`, {
      file: manifestPath,
    });
  const binPath = join(dir, m.binFile);
  const bin = new Uint8Array(await fsp.readFile(binPath));
  const sha = createHash('sha256').update(bin).digest('hex');
  if (sha !== m.sha256)
    throw new DataError(
      `${binPath}: checksum mismatch (the checkpoint is corrupt); delete ${dir} and restart the run`,
      { file: binPath },
    );
  const arrays: Record<string, StoredArray> = {};
  for (const a of m.arrays ?? []) {
    // Copy so the typed array is aligned and owns its buffer.
    const slice = bin.slice(a.offset, a.offset + a.length);
    const data =
      a.dtype === 'int32'
        ? new Int32Array(slice.buffer)
        : a.dtype === 'uint8'
          ? slice
          : new Float32Array(slice.buffer);
    arrays[a.name] = { dtype: a.dtype, shape: a.shape, data };
  }
  return { meta: await readJson(join(dir, m.metaFile)), arrays };
}
