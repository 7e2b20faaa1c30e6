#!/usr/bin/env node
// Packaging check of `npm test`: packs the package as npm would publish it (without re-running the
// build; `npm ci` has built dist/) and asks @arethetypeswrong/cli whether every export resolves with
// its types for ESM consumers (node16 from ESM, bundlers). publint runs before this, on the files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'manytask-pack-'));
const run = (cmd, args) =>
  spawnSync(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' });
try {
  const pack = run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir]);
  if (pack.status !== 0) process.exit(pack.status ?? 1);
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) {
    console.error('check-package: npm pack wrote no tarball');
    process.exit(1);
  }
  const attw = run('attw', [
    join(dir, tarball),
    '--profile',
    'esm-only',
    '--format',
    'table-flipped',
  ]);
  process.exitCode = attw.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
