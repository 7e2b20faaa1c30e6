// Shared helpers of the seed-method experiment scripts (bench/experiments/*.mjs). They need a
// built manytask (`npm run build`): the library is imported from dist/, the CLI is dist/cli/main.js.
// Runs go to runs/experiments/<id>/ (git-ignored); a finished run is reused, an interrupted bench
// is resumed, so re-running a script after an interruption only does the missing work.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

if (!existsSync(join(ROOT, 'dist', 'index.js'))) {
  console.error('bench/experiments: build manytask first (npm run build)');
  process.exit(2);
}

/** The built library. */
export const mt = await import(join(ROOT, 'dist', 'index.js'));

/**
 * Common flags: `--out <dir>` (default runs/experiments/<id>), `--seeds <n>`, `--write` (update
 * the results block of docs/experiments/<id>.md), plus the script's own flags.
 */
export function experimentArgs(id, extra = {}, defaults = {}) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join(ROOT, 'runs', 'experiments', id) },
      seeds: { type: 'string', default: String(defaults.seeds ?? 5) },
      write: { type: 'boolean', default: false },
      ...extra,
    },
  });
  const seeds = Number(values.seeds);
  if (!Number.isInteger(seeds) || seeds < 1) {
    console.error(`--seeds must be an integer ≥ 1, got '${values.seeds}'`);
    process.exit(2);
  }
  mkdirSync(values.out, { recursive: true });
  return { ...values, seeds };
}

/** Runs the manytask CLI (cpu backend unless MANYTASK_BACKEND says otherwise). */
export function cli(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), ...args], {
      stdio: 'inherit',
      env: { ...process.env, MANYTASK_BACKEND: process.env.MANYTASK_BACKEND ?? 'cpu' },
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`manytask ${args[0]} exited with ${code}`)),
    );
  });
}

/** `manytask bench` into `out` (reused when finished, resumed when interrupted); its results.json. */
export async function bench(out, args) {
  const results = join(out, 'results.json');
  if (!existsSync(results)) {
    if (existsSync(join(out, 'bench.json'))) await cli(['bench', '--resume', out]);
    else await cli(['bench', ...args, '--out', out]);
  }
  return JSON.parse(readFileSync(results, 'utf8'));
}

/** Records of a JSON-lines file. */
export function readJsonl(path) {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

/** Mean and sample standard deviation (as the bench tables). */
export function stat(values) {
  return mt.stat(values);
}

/** `mean ± std` with `digits` decimals. */
export function pm(s, digits = 4) {
  if (s === undefined || !Number.isFinite(s.mean)) return '—';
  return `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
}

/** A Markdown table from a header row and body rows. */
export function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Replaces the text between `<!-- results:start -->` and `<!-- results:end -->` of
 * docs/experiments/<id>.md (the page keeps its prose; the numbers come from the script).
 */
export function writeResults(id, markdown) {
  const file = join(ROOT, 'docs', 'experiments', `${id}.md`);
  const text = readFileSync(file, 'utf8');
  const start = '<!-- results:start -->';
  const end = '<!-- results:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${file}: no ${start} … ${end} block`);
  writeFileSync(file, `${text.slice(0, i + start.length)}\n${markdown}\n${text.slice(j)}`);
  console.log(`updated ${file}`);
}

/** Writes `content` to `path` (creating its directory). */
export function writeFile(path, content) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** A run result cached as JSON at `path`: computed once by `compute`, then reused. */
export async function cached(path, compute) {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8'));
  const value = await compute();
  writeFile(path, JSON.stringify(value));
  return value;
}

/** Per-task metric table rows: one row per method, `mean ± std` of each (task, metric). */
export function metricRows(methods, tasks, metrics, digits = 4) {
  return methods.map((m) => [
    m.label,
    ...tasks.flatMap((t) => metrics.map((k) => pm(m.test[t]?.[k], digits))),
    ...(m.deltaM !== undefined ? [pm(m.deltaM, 2)] : []),
  ]);
}

/** TF.js as the library sees it, on the cpu backend unless MANYTASK_BACKEND says otherwise. */
export const tf = await import('@tensorflow/tfjs');
await tf.setBackend(process.env.MANYTASK_BACKEND ?? 'cpu');
await tf.ready();

/** Loads a registered data set for `seed`. */
export async function loadData(id, options, seed) {
  return mt.defaultRegistry.create(id, options, 'dataset').load(seed);
}

/**
 * One in-process training run with the library's trainer: builds `arch` on `ds` (model rng
 * `createRng(seed).split()`, as `manytask train`), trains, evaluates the test split, and returns
 * `{ test, seconds, state }` (call `finish()` to free the state and the model). `onStep(report,
 * model)` sees every step report.
 */
export async function trainRun({
  ds,
  arch,
  archOptions = {},
  method,
  optimizer,
  extraOptimizer,
  regularizers,
  epochs,
  batchSize = 256,
  seed,
  onStep,
}) {
  const started = performance.now();
  const model = mt.defaultRegistry
    .create(arch, archOptions, 'architecture')
    .build(ds.inputSpec, ds.tasks, mt.createRng(seed).split());
  const trainer = mt.createTrainer({
    model,
    method,
    optimizer,
    ...(extraOptimizer !== undefined ? { extraOptimizer } : {}),
    ...(regularizers !== undefined ? { regularizers } : {}),
    train: ds.train,
    batchSize,
    epochs,
    seed,
  });
  const result = await trainer.run(trainer.init(), {
    onStep: (r) => onStep?.(r, model),
  });
  const test = (await mt.evaluate(model, ds.test, { batchSize: 1024, rng: mt.createRng(seed) }))
    .perTask;
  return {
    test,
    model,
    state: result.state,
    seconds: (performance.now() - started) / 1000,
    finish: () => {
      trainer.dispose(result.state);
      model.dispose();
    },
  };
}

/** Renders a Vega-Lite spec to an SVG file. */
export async function svg(path, spec, idPrefix = 'c') {
  writeFile(path, await mt.renderSvg(spec, idPrefix));
  console.log(`wrote ${path}`);
}
