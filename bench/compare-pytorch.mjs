#!/usr/bin/env node
// Optional: "manytask step / PyTorch step" at equal threads, for the benchmark MLP of
// PERFORMANCE.md §2. Needs a built manytask (`npm run build`) and, for the PyTorch side, a
// python3 with torch (Debian/Ubuntu: apt-get install python3-torch libopenblas0-pthread).
// Never part of the product or the tests: without PyTorch it says so and exits 0.
//
// Usage: node bench/compare-pytorch.mjs [--k 2,4,8] [--quick] [--json]
//        [--backends wasm,blas,blas2,workers2]
// Env: MANYTASK_PYTHON picks the interpreter, MANYTASK_CLI another manytask CLI entry point.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    k: { type: 'string', default: '2,4,8' },
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    backends: { type: 'string', default: 'wasm,blas,blas2,workers2' },
  },
});

/** Threads each manytask path uses, to pair it with the PyTorch run at the same count. */
const THREADS = { wasm: 1, 'wasm-stock': 1, blas: 1, blas2: 2, workers2: 2, cpu: 1 };

function findPython() {
  const candidates = [process.env.MANYTASK_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

function runJson(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: root, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    throw new Error(`compare-pytorch: '${cmd} ${args.join(' ')}' exited with ${r.status}`);
  }
  return JSON.parse(r.stdout);
}

const python = findPython();
if (python === undefined) {
  console.log(
    'compare-pytorch: no python3 with torch found (set MANYTASK_PYTHON, or on Debian/Ubuntu: ' +
      'apt-get install python3-torch libopenblas0-pthread); nothing to compare.',
  );
  process.exit(0);
}
const cli = process.env.MANYTASK_CLI ?? join(root, 'dist', 'cli', 'main.js');
if (!existsSync(cli)) {
  console.error('compare-pytorch: dist/cli/main.js is missing; run `npm run build` first.');
  process.exit(2);
}

const backends = values.backends.split(',');
const threadCounts = [...new Set(backends.map((b) => THREADS[b] ?? 1))].sort();
const reps = values.quick ? ['--reps', '3', '--warmup', '1'] : ['--reps', '9', '--warmup', '2'];
const script = join(root, 'bench', 'pytorch_step.py');
const torch = {};
for (const t of threadCounts)
  torch[t] = runJson(python, [script, '--json', '--k', values.k, '--threads', String(t), ...reps]);
const perf = runJson(process.execPath, [
  cli,
  'perf',
  '--json',
  '--models',
  'mlp',
  '--variants',
  'ew-plain',
  '--k',
  values.k,
  '--backends',
  values.backends,
  ...(values.quick ? ['--quick'] : []),
]);

const rows = [];
for (const r of perf.rows) {
  // ew-plain is the model bench/pytorch_step.py builds (K heads of 16, summed MSE, SGD).
  if (r.ms === null || r.variant !== 'ew-plain' || r.model !== 'mlp') continue;
  const threads = THREADS[r.backend] ?? 1;
  const py = torch[threads].results.find((x) => x.k === r.k);
  if (py === undefined) continue;
  rows.push({
    backend: r.backend,
    threads,
    k: r.k,
    manytaskMs: r.ms,
    pytorchMs: py.ms,
    ratio: Math.round((r.ms / py.ms) * 100) / 100,
    // Fastest step over fastest step: the least disturbed by other load on a shared machine.
    minRatio: Math.round((r.minMs / py.minMs) * 100) / 100,
    // One-thread paths: CPU time is the fairer measure on a shared machine.
    ...(threads === 1 && r.cpuMs !== undefined
      ? { cpuRatio: Math.round((r.cpuMs / py.cpuMs) * 100) / 100 }
      : {}),
  });
}
const targets = [
  ['wasm', 2, 4, 'default wasm path, EW step, K=2: ≤ 4× PyTorch at 1 thread'],
  ['blas', 2, 1, 'native BLAS, 1 thread: ≤ 1.0× PyTorch'],
  ['blas2', 2, 1, 'native BLAS, 2 threads: ≤ 1.0× PyTorch'],
].map(([backend, k, limit, target]) => {
  const r = rows.find((x) => x.backend === backend && x.k === k);
  return {
    target,
    limit,
    measured: r?.ratio ?? null,
    met: r === undefined ? null : r.ratio <= limit,
    ...(r !== undefined ? { minRatio: r.minRatio, cpuRatio: r.cpuRatio } : {}),
  };
});

if (values.json) {
  console.log(JSON.stringify({ torch, backends: perf.backends, rows, targets }, null, 2));
} else {
  const t1 = torch[threadCounts[0]];
  console.log(
    `PyTorch ${t1.torch} (${t1.blas} BLAS) vs manytask, B=${t1.batch}; ratio = manytask / PyTorch`,
  );
  console.log('backend   threads  K  manytask ms  PyTorch ms  ratio  min ratio  cpu ratio');
  for (const r of rows)
    console.log(
      `${r.backend.padEnd(9)} ${String(r.threads).padEnd(8)} ${String(r.k).padEnd(2)} ` +
        `${String(r.manytaskMs).padEnd(12)} ${String(r.pytorchMs).padEnd(11)} ` +
        `${r.ratio.toFixed(2).padEnd(6)} ${r.minRatio.toFixed(2).padEnd(10)} ` +
        `${r.cpuRatio !== undefined ? r.cpuRatio.toFixed(2) : ''}`,
    );
  for (const t of targets)
    console.log(
      `${t.met === null ? '?      ' : t.met ? 'met    ' : 'NOT met'}  ${t.target}: ${t.measured ?? 'n/a'}` +
        (t.minRatio !== undefined ? ` (fastest/fastest ${t.minRatio}` : '') +
        (t.cpuRatio !== undefined
          ? `, CPU time ${t.cpuRatio})`
          : t.minRatio !== undefined
            ? ')'
            : ''),
    );
}
