#!/usr/bin/env node
// AdaTask vs Adam: AU share of each task in every shared layer, and the task metrics
// (docs/experiments/adatask.md).
//
//   npm run build && node bench/experiments/adatask.mjs [--seeds 5] [--write]
//
// marketing-income with its four tasks (income_high, never_married, college, owns_home),
// shared-bottom with two shared layers (64 → 32) on the embeddings, Adam lr 3e-3 (β 0.9/0.999,
// ε 1e-8), 6 epochs, batch 256, seeds 0..n−1.
// - Adam: plain Adam on Σ_k L_k. Its per-task contributions are not separable, so the AU/rAU of
//   ALGORITHMS §4.3 is measured by a dominance tracker that watches the per-task Jacobian (the
//   run uses the `sum` aggregator, which gives exactly EW's shared gradient Σ_k g_k).
// - AdaTask: `adatask` (official Adam variant) as the task optimiser of the shared parameters;
//   heads keep plain Adam. AU from its own per-task steps.
// - AdaTask ÷K: the same with `normalizeByK` (the summed shared step divided by K).
// AU decay β = 0.999. Layers: the 11 embedding tables (one group), bottom/dense0, bottom/dense1.
import { join } from 'node:path';
import {
  cached,
  experimentArgs,
  loadData,
  mt,
  pm,
  stat,
  svg,
  table,
  tf,
  trainRun,
  writeResults,
} from './lib.mjs';

const ID = 'adatask';
const args = experimentArgs(ID, { epochs: { type: 'string', default: '6' } });
const LR = 3e-3;
const EPOCHS = Number(args.epochs);
const ARCH = { hidden: [64, 32] };
const DATA = { college: true, ownsHome: true };
const VARIANTS = [
  { id: 'adam', label: 'Adam' },
  { id: 'adatask', label: 'AdaTask', options: {} },
  { id: 'adatask-k', label: 'AdaTask ÷K', options: { normalizeByK: true } },
];

/** Layer group of a shared block: every embedding table in one group. */
const groupOf = (block) =>
  block.includes('/encoder/') ? 'embeddings' : block.replace(/^[^/]+\/(.*)\/[^/]+$/, '$1');

/** Per group: size-weighted AU share per task and mean max rAU, from a per-block summary. */
function grouped(summary) {
  const out = {};
  for (const l of summary) {
    const g = groupOf(l.layer);
    const acc = (out[g] ??= { size: 0, share: new Array(l.share.length).fill(0), meanMax: 0 });
    acc.size += l.size;
    l.share.forEach((s, k) => (acc.share[k] += s * l.size));
    acc.meanMax += l.meanMax * l.size;
  }
  for (const acc of Object.values(out)) {
    acc.share = acc.share.map((s) => s / acc.size);
    acc.meanMax /= acc.size;
  }
  return out;
}

/**
 * AdaTask whose AU state is exposed to the step callback (the state the step owns and keeps until
 * the next update). AU is tracked every step; its summary is read by the script, not reported.
 */
function watchedAdatask(options, holder) {
  const opt = mt.adatask({ learningRate: LR, dominanceEvery: 1_000_000, ...options });
  return {
    ...opt,
    update(j, s, ctx) {
      const r = opt.update(j, s, ctx);
      holder.state = r.state.dominance;
      return r;
    },
  };
}

/** A `sum` aggregator that also feeds Adam's dominance tracker with each step's Jacobian. */
function watchedSum(tracker, holder) {
  const sum = mt.defaultRegistry.create('sum', {}, 'aggregator');
  return {
    id: 'sum',
    traits: sum.traits,
    config: sum.config,
    init: (spec) => sum.init(spec),
    update(j, s, ctx) {
      holder.state ??= tracker.init(mt.jacobianSpec(j));
      const next = tracker.update(j, holder.state);
      mt.disposeReplaced(holder.state, next);
      holder.state = next;
      return sum.update(j, s, ctx);
    },
  };
}

async function run(variant, seed) {
  return cached(join(args.out, `${variant.id}-seed${seed}.json`), async () => {
    const ds = await loadData('marketing-income', DATA, seed);
    const tasks = ds.tasks.map((t) => t.id);
    const holder = { state: null };
    const tracker = mt.dominanceTracker({ optimizer: 'adam', learningRate: LR, beta: 0.999 });
    const method =
      variant.id === 'adam'
        ? { kind: 'aggregator', aggregator: watchedSum(tracker, holder) }
        : { kind: 'task-optimizer', optimizer: watchedAdatask(variant.options, holder) };
    const series = [];
    const r = await trainRun({
      ds,
      arch: 'shared-bottom',
      archOptions: ARCH,
      method,
      optimizer: mt.adam({ learningRate: LR }),
      epochs: EPOCHS,
      seed,
      onStep: (rep) => {
        if (rep.step % 10 !== 0 || holder.state === null) return;
        series.push({
          step: rep.step,
          groups: grouped(mt.dominanceSummary(holder.state, { groupBy: 'block' })),
        });
      },
    });
    const final = grouped(mt.dominanceSummary(holder.state, { groupBy: 'block' }));
    if (variant.id === 'adam') mt.disposeState(holder.state);
    r.finish();
    console.log(`${variant.id} seed ${seed}: ${r.seconds.toFixed(1)} s`);
    return { tasks, test: r.test, final, series, seconds: r.seconds };
  });
}

const runs = {};
for (const v of VARIANTS) {
  runs[v.id] = [];
  for (let s = 0; s < args.seeds; s++) runs[v.id].push(await run(v, s));
}
const tasks = runs.adam[0].tasks;
const groups = Object.keys(runs.adam[0].final);
const out = [
  `Produced by \`node bench/experiments/adatask.mjs --seeds ${args.seeds} --write\` on ${new Date().toISOString().slice(0, 10)} (${tf.getBackend()} backend).`,
  '',
  '### AU share per task in each shared layer (end of training, mean ± std over seeds)',
  '',
  table(
    ['layer', 'optimiser', ...tasks.map((t) => `${t} share`), 'mean max rAU (1/K = balanced)'],
    groups.flatMap((g) =>
      VARIANTS.map((v) => [
        g,
        v.label,
        ...tasks.map((_, k) => pm(stat(runs[v.id].map((r) => r.final[g].share[k])), 3)),
        pm(stat(runs[v.id].map((r) => r.final[g].meanMax)), 3),
      ]),
    ),
  ),
  '',
  '### Test metrics (mean ± std over seeds)',
  '',
  table(
    ['optimiser', ...tasks.flatMap((t) => [`${t} AUC ↑`, `${t} logloss ↓`]), 'mean AUC ↑'],
    VARIANTS.map((v) => {
      const ms = mt.statMetrics(runs[v.id].map((r) => r.test));
      const meanAuc = stat(
        runs[v.id].map((r) => tasks.reduce((a, t) => a + r.test[t].auc, 0) / tasks.length),
      );
      return [v.label, ...tasks.flatMap((t) => [pm(ms[t].auc), pm(ms[t].logloss)]), pm(meanAuc)];
    }),
  ),
  '',
  'Paired difference to Adam per seed (×1e-3; same split, initialisation and batch order):',
  '',
  table(
    ['optimiser', ...tasks.flatMap((t) => [`Δ ${t} AUC`, `Δ ${t} logloss`])],
    VARIANTS.slice(1).map((v) => [
      v.label,
      ...tasks.flatMap((t) =>
        ['auc', 'logloss'].map((k) =>
          pm(stat(runs[v.id].map((r, s) => 1e3 * (r.test[t][k] - runs.adam[s].test[t][k]))), 2),
        ),
      ),
    ]),
  ),
];

// Plot: AU share of each task per layer group over training (seed 0), Adam vs AdaTask.
const points = [];
for (const v of VARIANTS.slice(0, 2)) {
  const run0 = runs[v.id][0];
  for (const p of run0.series) {
    const perGroup = p.groups;
    if (Object.keys(perGroup).length === 0) continue;
    for (const [g, acc] of Object.entries(perGroup)) {
      points.push({
        optimiser: v.label,
        layer: g,
        task: 'mean max rAU',
        step: p.step,
        share: acc.meanMax,
      });
      tasks.forEach((t, k) =>
        points.push({ optimiser: v.label, layer: g, task: t, step: p.step, share: acc.share[k] }),
      );
    }
  }
}
if (points.length > 0) {
  const file = join('docs', 'experiments', 'img', 'adatask-au-share.svg');
  await svg(join(import.meta.dirname, '..', '..', file), {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: points },
    facet: {
      row: { field: 'optimiser', type: 'nominal' },
      column: { field: 'layer', type: 'nominal' },
    },
    spec: {
      width: 180,
      height: 120,
      mark: 'line',
      encoding: {
        x: { field: 'step', type: 'quantitative' },
        y: {
          field: 'share',
          type: 'quantitative',
          title: 'AU share / mean max rAU',
          scale: { domain: [0, 1] },
        },
        color: { field: 'task', type: 'nominal', title: 'line' },
      },
    },
  });
  out.push('', `![AU share per task and layer over training, seed 0](img/adatask-au-share.svg)`);
}
const markdown = out.join('\n');
console.log(`\n${markdown}`);
if (args.write) writeResults(ID, markdown);
