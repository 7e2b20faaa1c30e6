#!/usr/bin/env node
// The orthogonal-gradient regulariser on multi-digits: angle between the task gradients on the
// shared parameters during training with and without the penalty, and the task metrics
// (docs/experiments/ortho-reg.md).
//
//   npm run build && node bench/experiments/ortho-reg.mjs [--seeds 5] [--write]
//
// Two set-ups, because TF.js has no second-order gradient through conv2d filters or max-pooling:
// - `mlp`: the 12×12 canvas flattened to 144 numeric inputs, shared-bottom MLP 64 → 32 (ReLU),
//   penalty on the gradients of the shared parameters (the third-party default, wrt_rep false);
// - `conv`: the LeNet-style image trunk (conv 3×3 ×8 → max-pool → dense 50, then 32), penalty on
//   the gradients of the shared representation (`wrtRepresentation`).
// Both: towers [16], Adam lr 3e-3, batch 256, seeds 0..n−1, λ ∈ {0, 1, 10}. The runs use the
// `sum` aggregator (= EW) so every step computes the parameter-space Jacobian, whose cosine
// gives the angle φ = arccos(cos(g₁, g₂)) logged at every step; the regulariser only adds its
// gradient.
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

const ID = 'ortho-reg';
const args = experimentArgs(ID, {
  epochs: { type: 'string', default: '5' },
  'train-pairs': { type: 'string', default: '10000' },
});
const EPOCHS = Number(args.epochs);
const DATA = { trainPairs: Number(args['train-pairs']) };
const LAMBDAS = [0, 1, 10];
const SETUPS = [
  {
    id: 'mlp',
    label: 'MLP on pixels, penalty on shared parameters',
    arch: { hidden: [64, 32], towerHidden: [16], secondOrderSafe: true },
    flatten: true,
    reg: {},
  },
  {
    id: 'conv',
    label: 'conv trunk, penalty on the shared representation',
    arch: {
      hidden: [32],
      towerHidden: [16],
      convFilters: [8],
      convKernels: [3],
      imageDense: 50,
      secondOrderSafe: true,
    },
    flatten: false,
    reg: { wrtRepresentation: true },
  },
  {
    // Correlated tasks: the MMoE generator's pair with weight-vector cosine 0.5, so the two
    // gradients start far from orthogonal and the penalty has something to push on.
    id: 'synthetic',
    label:
      'two correlated regression tasks (mmoe-synthetic, cosine 0.5), MLP, penalty on shared parameters',
    data: {
      id: 'mmoe-synthetic',
      options: {
        numPairs: 1,
        correlation: 0.5,
        dim: 50,
        shape: 'gaussian',
        nTrain: 10000,
        nValid: 500,
        nTest: 2000,
      },
    },
    arch: { hidden: [64, 32], towerHidden: [16], secondOrderSafe: true },
    reg: {},
  },
];

/** The image split as 144 numeric columns (same rows, labels and masks). */
function flattenSplit(split) {
  const { image, ...rest } = split;
  return { ...rest, numeric: image };
}

function flattenDataset(ds) {
  const px = ds.inputSpec.image.height * ds.inputSpec.image.width * ds.inputSpec.image.channels;
  return {
    ...ds,
    inputSpec: { numeric: px, categorical: [] },
    train: flattenSplit(ds.train),
    valid: flattenSplit(ds.valid),
    test: flattenSplit(ds.test),
  };
}

const WINDOW = 100;

/** Task metrics shown per set-up: classification on multi-digits, regression on mmoe-synthetic. */
function metricsOf(setup) {
  return setup.data?.id === 'mmoe-synthetic'
    ? [
        { key: 'mse', arrow: '↓' },
        { key: 'mae', arrow: '↓' },
      ]
    : [
        { key: 'accuracy', arrow: '↑' },
        { key: 'logloss', arrow: '↓' },
      ];
}

async function run(setup, lambda, seed) {
  return cached(join(args.out, `${setup.id}-l${lambda}-seed${seed}.json`), async () => {
    let ds = await loadData(setup.data?.id ?? 'multi-digits', setup.data?.options ?? DATA, seed);
    if (setup.flatten) ds = flattenDataset(ds);
    const angles = [];
    const penalties = [];
    const r = await trainRun({
      ds,
      arch: 'shared-bottom',
      archOptions: setup.arch,
      method: {
        kind: 'aggregator',
        aggregator: mt.defaultRegistry.create('sum', {}, 'aggregator'),
      },
      optimizer: mt.adam({ learningRate: 3e-3 }),
      ...(lambda > 0 ? { regularizers: [mt.orthoReg({ penalty: lambda, ...setup.reg })] } : {}),
      epochs: EPOCHS,
      seed,
      onStep: (rep) => {
        angles.push(mt.pairAngles(rep.cosines, rep.tasks.length)[0]);
        if (lambda > 0) penalties.push(rep.penalties['ortho-reg'] / lambda);
      },
    });
    const test = r.test;
    r.finish();
    console.log(`${setup.id} λ=${lambda} seed ${seed}: ${r.seconds.toFixed(1)} s`);
    return { angles, penalties, test, seconds: r.seconds, tasks: ds.tasks.map((t) => t.id) };
  });
}

/** Mean and variance of the angles over a window of steps. */
function windowStats(angles) {
  const w = mt.angleWindow(angles.length);
  w.push(angles);
  return w.stats();
}

const out = [
  `Produced by \`node bench/experiments/ortho-reg.mjs --seeds ${args.seeds} --write\` on ${new Date().toISOString().slice(0, 10)} (${tf.getBackend()} backend; multi-digits ${DATA.trainPairs} training pairs, mmoe-synthetic 10,000 rows, ${EPOCHS} epochs).`,
];
const points = [];
for (const setup of SETUPS) {
  const rows = [];
  let taskIds = [];
  for (const lambda of LAMBDAS) {
    const runs = [];
    for (let s = 0; s < args.seeds; s++) runs.push(await run(setup, lambda, s));
    const tasks = runs[0].tasks;
    taskIds = tasks;
    const all = runs.map((r) => windowStats(r.angles));
    const last = runs.map((r) => windowStats(r.angles.slice(-WINDOW)));
    const ms = mt.statMetrics(runs.map((r) => r.test));
    const cos2 = stat(
      runs.map((r) => {
        const c = r.angles.slice(-WINDOW).map((a) => Math.cos((a * Math.PI) / 180) ** 2);
        return c.reduce((a, b) => a + b, 0) / c.length;
      }),
    );
    rows.push([
      `λ = ${lambda}`,
      pm(stat(all.map((x) => x.mean)), 1),
      pm(stat(all.map((x) => x.variance)), 1),
      pm(stat(last.map((x) => x.mean)), 1),
      pm(stat(last.map((x) => x.variance)), 1),
      pm(cos2, 3),
      ...tasks.flatMap((t) => metricsOf(setup).map((m) => pm(ms[t][m.key]))),
      pm(stat(runs.map((r) => r.seconds)), 0),
    ]);
    // Windowed variance over training (seed 0), for the plot.
    const a = runs[0].angles;
    for (let end = WINDOW; end <= a.length; end += 10) {
      const st = windowStats(a.slice(end - WINDOW, end));
      points.push({
        setup: setup.id,
        lambda: `λ = ${lambda}`,
        step: end,
        variance: st.variance,
        mean: st.mean,
      });
    }
    if (rows.length === 1) out.push(`\n### ${setup.id}: ${setup.label}\n`);
  }
  const tasks = taskIds;
  out.push(
    table(
      [
        'penalty',
        'angle mean (all steps) °',
        'angle variance (all steps) °²',
        `angle mean (last ${WINDOW}) °`,
        `angle variance (last ${WINDOW}) °²`,
        `mean cos² (last ${WINDOW})`,
        ...tasks.flatMap((t) => metricsOf(setup).map((m) => `${t} ${m.key} ${m.arrow}`)),
        's/run',
      ],
      rows,
    ),
  );
}
await svg(
  join(
    import.meta.dirname,
    '..',
    '..',
    'docs',
    'experiments',
    'img',
    'ortho-reg-angle-variance.svg',
  ),
  {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: points },
    facet: { column: { field: 'setup', type: 'nominal' } },
    spec: {
      width: 260,
      height: 160,
      mark: 'line',
      encoding: {
        x: { field: 'step', type: 'quantitative' },
        y: {
          field: 'variance',
          type: 'quantitative',
          title: `angle variance over the last ${WINDOW} steps (°²)`,
        },
        color: { field: 'lambda', type: 'nominal' },
      },
    },
  },
);
out.push('', '![Windowed angle variance over training, seed 0](img/ortho-reg-angle-variance.svg)');
const markdown = out.join('\n');
console.log(`\n${markdown}`);
if (args.write) writeResults(ID, markdown);
