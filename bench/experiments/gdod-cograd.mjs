#!/usr/bin/env node
// GDOD and CoGrad against EW, PCGrad, CAGrad, GradVac, MGDA and GradNorm on marketing-income with
// shared-bottom and MMoE (docs/experiments/gdod-cograd.md).
//
//   npm run build && node bench/experiments/gdod-cograd.mjs [--seeds 5] [--write]
//
// 1. `manytask bench` per architecture (bench defaults: Adam 3e-3, 6 epochs, batch 256; seeds
//    0..n−1; single-task baselines for Δm%).
// 2. Two CoGrad variants per architecture and seed with `manytask train` on the bench's own base
//    configuration: 'diag' with a large γ, and 'outer'.
// 3. Diagnostics from the runs' metrics.jsonl step lines (every 10th step): task-gradient cosine,
//    GDOD's shared/conflict split, CoGrad's auxiliary ratio; and the measured transference
//    T_{j→i} = L_i(θ) − L_i(θ − ηg_j) of the final models on 2,048 test rows.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bench,
  cached,
  cli,
  experimentArgs,
  metricRows,
  mt,
  pm,
  readJsonl,
  stat,
  table,
  writeResults,
} from './lib.mjs';

const ID = 'gdod-cograd';
const args = experimentArgs(ID);
const METHODS = ['ew', 'pcgrad', 'cagrad', 'gradvac', 'mgda', 'gradnorm', 'gdod', 'cograd'];
const ARCHS = [
  { id: 'shared-bottom', flags: [] },
  { id: 'mmoe', flags: ['--arch', 'mmoe'] },
];
const VARIANTS = [
  { label: 'cograd γ=100', id: 'cograd-g100', options: { hessian: 'diag', gamma: 100 } },
  { label: 'cograd outer λ=0.5', id: 'cograd-outer', options: { hessian: 'outer', lambda: 0.5 } },
];
const TASKS = ['income_high', 'never_married'];
const ETA = 0.05;

/** Final test metrics of a `manytask train` run directory. */
function finalTest(dir) {
  return readJsonl(join(dir, 'metrics.jsonl')).find((r) => r.kind === 'final').test;
}

/** Step lines of a run directory. */
function steps(dir) {
  return readJsonl(join(dir, 'metrics.jsonl')).filter((r) => r.kind === 'step');
}

async function variantRuns(archDir, variant) {
  const base = JSON.parse(readFileSync(join(archDir, 'bench.json'), 'utf8')).base;
  const baseFile = join(archDir, 'base.json');
  if (!existsSync(baseFile)) writeFileSync(baseFile, JSON.stringify(base));
  const dirs = [];
  for (let s = 0; s < args.seeds; s++) {
    const dir = join(archDir, 'variants', `${variant.id}-seed${s}`);
    dirs.push(dir);
    const meta = join(dir, 'meta.json');
    if (existsSync(meta) && JSON.parse(readFileSync(meta, 'utf8')).status === 'complete') continue;
    if (existsSync(meta)) await cli(['train', '--resume', dir]);
    else {
      await cli([
        'train',
        '--config',
        baseFile,
        '--method',
        'cograd',
        '--method-options',
        JSON.stringify(variant.options),
        '--seed',
        String(s),
        '--out',
        dir,
      ]);
    }
  }
  return dirs;
}

/** Measured transference of a saved model on 2,048 test rows of its seed's split. */
async function transference(runDir, seed, archDir) {
  return cached(join(runDir, 'transference.json'), async () => {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const base = JSON.parse(readFileSync(join(archDir, 'bench.json'), 'utf8')).base;
    const { id, ...dsOptions } = base.dataset;
    const ds = await mt.defaultRegistry.create(id, dsOptions, 'dataset').load(seed);
    const model = mt.loadModel(JSON.parse(readFileSync(join(runDir, 'model.json'), 'utf8')));
    const rows = Array.from({ length: Math.min(2048, ds.test.n) }, (_, i) => i);
    const batch = mt.splitToBatch(ds.test, ds.inputSpec, ds.tasks, rows);
    const opts = { training: false, rng: mt.createRng(0), step: 0 };
    const losses = () =>
      mt.taskLosses(model.tasks, mt.forward(model, batch.inputs, opts).outputs, batch).perTask;
    const g = mt.taskGradients(model, batch, { forward: opts, mode: 'params' });
    const T = mt.measureTransference(g.jacobian, losses, model.shared, { eta: ETA });
    const gram = mt.gramian(g.jacobian);
    tf.dispose([
      ...Object.values(g.jacobian.blocks),
      ...Object.values(g.heads),
      g.losses,
      g.labelled,
    ]);
    mt.disposeBatch(batch);
    model.dispose();
    return { T: Array.from(T), G: Array.from(gram.data) };
  });
}

const k = TASKS.length;
const out = [];
out.push(
  `Produced by \`node bench/experiments/gdod-cograd.mjs --seeds ${args.seeds} --write\` on ${new Date().toISOString().slice(0, 10)}.`,
);
for (const arch of ARCHS) {
  const archDir = join(args.out, arch.id);
  const results = await bench(archDir, [
    '--methods',
    METHODS.join(','),
    '--seeds',
    String(args.seeds),
    ...arch.flags,
  ]);
  const baseline = results.baseline;
  const methods = results.methods.map((m) => ({
    label: m.displayName ?? m.method,
    id: m.method,
    test: m.test,
    deltaM: m.deltaM,
    dirs: Array.from({ length: args.seeds }, (_, s) =>
      join(archDir, 'runs', `${m.method}-seed${s}`),
    ),
  }));
  for (const v of VARIANTS) {
    const dirs = await variantRuns(archDir, v);
    const tests = dirs.map(finalTest);
    const test = mt.statMetrics(tests);
    const ref = mt.baselineMeans(baseline);
    const deltas = tests.map((t) => mt.deltaMPercent(t, ref));
    methods.push({ label: v.label, id: v.id, test, deltaM: stat(deltas), dirs });
  }

  // Metrics table.
  out.push(`\n### ${arch.id}\n`);
  const head = ['method', ...TASKS.flatMap((t) => [`${t} AUC ↑`, `${t} logloss ↓`]), 'Δm% ↓'];
  const single = [
    'single-task',
    ...TASKS.flatMap((t) => [pm(baseline[t].auc), pm(baseline[t].logloss)]),
    '0',
  ];
  out.push(table(head, [single, ...metricRows(methods, TASKS, ['auc', 'logloss'])]));

  // Paired differences to EW: same seed = same split, initialisation and batch order, so the
  // seed-to-seed spread of the split cancels.
  const ewTests = methods.find((m) => m.id === 'ew').dirs.map(finalTest);
  const paired = methods
    .filter((m) => m.id !== 'ew')
    .map((m) => {
      const tests = m.dirs.map(finalTest);
      return [
        m.label,
        ...TASKS.flatMap((t) =>
          ['auc', 'logloss'].map((k) =>
            pm(stat(tests.map((x, s) => 1e3 * (x[t][k] - ewTests[s][t][k]))), 2),
          ),
        ),
      ];
    });
  out.push(
    '',
    'Paired difference to EW per seed (×1e-3; same split, initialisation and batch order):',
    '',
    table(['method', ...TASKS.flatMap((t) => [`Δ ${t} AUC`, `Δ ${t} logloss`])], paired),
  );

  // Diagnostics table.
  const diagRows = [];
  for (const m of methods) {
    const all = m.dirs.flatMap(steps);
    const cos = stat(all.map((r) => Object.values(r.cosines ?? {})[0]).filter(Number.isFinite));
    const neg = stat(
      m.dirs.map((d) => {
        const c = steps(d)
          .map((r) => Object.values(r.cosines ?? {})[0])
          .filter(Number.isFinite);
        return c.length > 0 ? c.filter((x) => x < 0).length / c.length : NaN;
      }),
    );
    const gdodW = all.filter(
      (r) => r.diagnostics?.gdodRank !== undefined && r.weights !== undefined,
    );
    const aux = all.map((r) => r.diagnostics?.cogradAuxRatio).filter((x) => x !== undefined);
    let T = '—';
    if (['ew', 'gdod', 'cograd', 'cograd-g100', 'cograd-outer'].includes(m.id)) {
      const ts = [];
      for (let s = 0; s < m.dirs.length; s++) ts.push(await transference(m.dirs[s], s, archDir));
      const off = ts.map(({ T: t }) => (t[1] + t[k]) / 2);
      T = pm(stat(off.map((x) => x * 1e3)), 3);
    }
    diagRows.push([
      m.label,
      pm(cos, 3),
      pm(neg, 2),
      gdodW.length > 0
        ? TASKS.map((t) => pm(stat(gdodW.map((r) => r.weights[t])), 2)).join(', ')
        : '—',
      aux.length > 0 ? pm(stat(aux), 4) : '—',
      T,
    ]);
  }
  out.push(
    '\n' +
      table(
        [
          'method',
          'cos(g₁, g₂) over training',
          'share of steps with cos < 0',
          'GDOD: mean w (income_high, never_married)',
          'CoGrad: ‖d − Σg‖/‖Σg‖',
          `final T₁₂ (×1e-3, η = ${ETA})`,
        ],
        diagRows,
      ),
  );
}
const markdown = out.join('\n');
console.log(`\n${markdown}`);
if (args.write) writeResults(ID, markdown);
