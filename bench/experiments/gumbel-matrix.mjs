#!/usr/bin/env node
// Gumbel-Matrix routing on the MMoE synthetic generator with one related pair and one unrelated
// task: does the learned allocation share more components within the pair than across?
// (docs/experiments/gumbel-matrix.md)
//
//   npm run build && node bench/experiments/gumbel-matrix.mjs [--seeds 5] [--write]
//
// Data: mmoe-synthetic with two pairs of cosine p = 0.9 (dim 50, 'gaussian' shape, 6,000 training
// rows); tasks y1, y2 (the related pair) and y3 (from the other pair: its weight vector is
// orthogonal to both). Model: gumbel-matrix with two routed layers of 4 components (width 16),
// towers [8]; model Adam lr 1e-3, router Adam lr --router-lr (default 1e-2; official 2e-3), batch
// 128, 10 epochs, summed loss. Two configurations: p0 = 0.97 (Omniglot) and p0 = 0.5 with the
// budget penalty (λ_b = 1, b = 0.5). Shared-bottom and MMoE on the same data give reference MSEs.
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

const ID = 'gumbel-matrix';
const args = experimentArgs(ID, {
  epochs: { type: 'string', default: '10' },
  'router-lr': { type: 'string', default: '0.01' },
});
const EPOCHS = Number(args.epochs);
const DATA = {
  numPairs: 2,
  correlation: 0.9,
  dim: 50,
  shape: 'gaussian',
  nTrain: 6000,
  nValid: 500,
  nTest: 2000,
};
const TASKS = ['y1', 'y2', 'y3'];
const ROUTER_LR = Number(args['router-lr']);
const ROUTED = { layers: [16, 16], components: 4, towerHidden: [8] };
const MODELS = [
  {
    id: 'gm-0.97',
    label: 'gumbel-matrix p0 = 0.97',
    arch: 'gumbel-matrix',
    options: { ...ROUTED, probsInit: 0.97 },
  },
  {
    id: 'gm-budget',
    label: 'gumbel-matrix p0 = 0.5, budget 0.5',
    arch: 'gumbel-matrix',
    options: { ...ROUTED, probsInit: 0.5, budgetWeight: 1, budget: 0.5 },
  },
  {
    id: 'shared-bottom',
    label: 'shared-bottom 16 → 16',
    arch: 'shared-bottom',
    options: { hidden: [16, 16], towerHidden: [8] },
  },
  {
    id: 'mmoe',
    label: 'MMoE 4 experts [16, 16]',
    arch: 'mmoe',
    options: { numExperts: 4, expertHidden: [16, 16], towerHidden: [8] },
  },
];

function restrict(ds, tasks) {
  const pick = (split) => ({
    ...split,
    labels: Object.fromEntries(tasks.map((t) => [t, split.labels[t]])),
    ...(split.masks !== undefined
      ? { masks: Object.fromEntries(tasks.map((t) => [t, split.masks[t]])) }
      : {}),
  });
  return {
    ...ds,
    tasks: ds.tasks.filter((t) => tasks.includes(t.id)),
    train: pick(ds.train),
    valid: pick(ds.valid),
    test: pick(ds.test),
  };
}

async function run(model, seed) {
  return cached(join(args.out, `${model.id}-seed${seed}.json`), async () => {
    const ds = restrict(await loadData('mmoe-synthetic', DATA, seed), TASKS);
    const r = await trainRun({
      ds,
      arch: model.arch,
      archOptions: model.options,
      method: {
        kind: 'loss-weighting',
        weighting: mt.defaultRegistry.create('ew', {}, 'loss-weighting'),
      },
      optimizer: mt.adam({ learningRate: 1e-3 }),
      ...(model.arch === 'gumbel-matrix'
        ? { extraOptimizer: mt.adam({ learningRate: ROUTER_LR }) }
        : {}),
      epochs: EPOCHS,
      batchSize: 128,
      seed,
    });
    let allocation;
    if (model.arch === 'gumbel-matrix') {
      const batch = mt.splitToBatch(ds.test, ds.inputSpec, ds.tasks, [0, 1]);
      const d = r.model.diagnostics(batch.inputs, {
        training: false,
        rng: mt.createRng(0),
        step: 0,
      });
      mt.disposeBatch(batch);
      allocation = { probabilities: d.probabilities, allocation: d.allocation };
    }
    const test = r.test;
    r.finish();
    console.log(`${model.id} seed ${seed}: ${r.seconds.toFixed(1)} s`);
    return { test, allocation, seconds: r.seconds };
  });
}

const out = [
  `Produced by \`node bench/experiments/gumbel-matrix.mjs --seeds ${args.seeds} --write\` on ${new Date().toISOString().slice(0, 10)} (${tf.getBackend()} backend, ${EPOCHS} epochs).`,
];
const results = {};
for (const m of MODELS) {
  results[m.id] = [];
  for (let s = 0; s < args.seeds; s++) results[m.id].push(await run(m, s));
}

// Allocation overlaps.
const overlapRows = [];
const heat = [];
for (const m of MODELS.filter((x) => x.arch === 'gumbel-matrix')) {
  const within = [];
  const across = [];
  const totals = [];
  const probWithin = [];
  const probAcross = [];
  results[m.id].forEach((r, seed) => {
    const S = mt.sharedComponents(Object.values(r.allocation.allocation));
    within.push(S[0][1]);
    across.push((S[0][2] + S[1][2]) / 2);
    totals.push(TASKS.map((_, t) => S[t][t]));
    // Expected overlap under the learned probabilities: Σ_ℓ Σ_c p_ic p_jc.
    const P = mt.sharedComponents(Object.values(r.allocation.probabilities));
    probWithin.push(P[0][1]);
    probAcross.push((P[0][2] + P[1][2]) / 2);
    if (seed === 0) {
      for (const [layer, rows] of Object.entries(r.allocation.probabilities))
        rows.forEach((row, t) =>
          row.forEach((p, c) =>
            heat.push({ model: m.label, layer, task: TASKS[t], component: `c${c}`, p }),
          ),
        );
    }
  });
  overlapRows.push([
    m.label,
    pm(stat(within), 2),
    pm(stat(across), 2),
    `${within.filter((w, i) => w > across[i]).length} / ${within.length}`,
    pm(stat(probWithin), 2),
    pm(stat(probAcross), 2),
    TASKS.map((_, t) => pm(stat(totals.map((x) => x[t])), 1)).join(', '),
  ]);
}
out.push('', '### Shared components (greedy allocation at the end, 2 layers × 4 components)', '');
out.push(
  table(
    [
      'model',
      'within the related pair (y1, y2)',
      'across (mean of (y1, y3), (y2, y3))',
      'seeds with within > across',
      'expected within Σp₁p₂',
      'expected across',
      'components used by y1, y2, y3',
    ],
    overlapRows,
  ),
);

out.push('', '### Test MSE (mean ± std over seeds)', '');
out.push(
  table(
    ['model', ...TASKS.map((t) => `${t} MSE ↓`), 's/run'],
    MODELS.map((m) => {
      const ms = mt.statMetrics(results[m.id].map((r) => r.test));
      return [
        m.label,
        ...TASKS.map((t) => pm(ms[t].mse)),
        pm(stat(results[m.id].map((r) => r.seconds)), 0),
      ];
    }),
  ),
);

await svg(
  join(
    import.meta.dirname,
    '..',
    '..',
    'docs',
    'experiments',
    'img',
    'gumbel-matrix-allocation.svg',
  ),
  {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: heat },
    facet: {
      row: { field: 'model', type: 'nominal' },
      column: { field: 'layer', type: 'nominal' },
    },
    spec: {
      width: 120,
      height: 72,
      encoding: {
        x: { field: 'component', type: 'nominal' },
        y: { field: 'task', type: 'nominal' },
      },
      layer: [
        {
          mark: 'rect',
          encoding: {
            color: {
              field: 'p',
              type: 'quantitative',
              scale: { domain: [0, 1] },
              title: 'P(task uses component)',
            },
          },
        },
        {
          mark: { type: 'text', fontSize: 9 },
          encoding: { text: { field: 'p', type: 'quantitative', format: '.2f' } },
        },
      ],
    },
  },
);
out.push('', '![Learned allocation probabilities, seed 0](img/gumbel-matrix-allocation.svg)');
const markdown = out.join('\n');
console.log(`\n${markdown}`);
if (args.write) writeResults(ID, markdown);
