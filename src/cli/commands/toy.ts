/** `manytask toy`: the two-objective toy problem (REFERENCES §6) for any registered methods. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../core/errors.js';
import { defaultRegistry } from '../../registry/index.js';
import { TOY_VARIANTS, type ToyVariant } from '../../toy/problem.js';
import { runToy, type ToyRunResult } from '../../toy/run.js';
import { writeFileAtomic } from '../fsutil.js';
import { createProgress } from '../progress.js';
import type { Command } from './types.js';

const DEFAULT_METHODS = 'mean,mgda,pcgrad,cagrad,nash-mtl,famo,upgrad';

function parseInits(text: string): [number, number][] {
  return text.split(';').map((pair) => {
    const v = pair.split(',').map((s) => Number(s.trim()));
    if (v.length !== 2 || v.some((x) => !Number.isFinite(x))) {
      throw new ConfigError(`--inits must look like "x1,x2;x1,x2" (finite numbers), got '${pair}'`);
    }
    return [v[0]!, v[1]!];
  });
}

function parseMethodOptions(text: string | undefined): Record<string, Record<string, unknown>> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ConfigError(
      `--options must be JSON mapping method ids to option objects, e.g. '{"cagrad":{"c":0.4}}'; got ${text}`,
    );
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new ConfigError(`--options must be a JSON object keyed by method id, got ${text}`);
  }
  return v as Record<string, Record<string, unknown>>;
}

const fmt = (x: number, d = 3): string => (Math.abs(x) < 5e-4 ? 0 : x).toFixed(d);

/** Plain-text table of every run, then one summary line per method. */
export function toyTable(results: readonly ToyRunResult[]): string {
  const head = ['method', 'init', 'final x', 'L1', 'L2', 'outcome', '‖min-norm∇‖'];
  const rows = results.map((r) => [
    r.method,
    `(${r.init.join(', ')})`,
    `(${fmt(r.final[0])}, ${fmt(r.final[1])})`,
    fmt(r.losses[0]),
    fmt(r.losses[1]),
    r.outcome,
    r.stationarity.toExponential(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const out = [line(head), ...rows.map(line), ''];
  const methods = [...new Set(results.map((r) => r.method))];
  for (const m of methods) {
    const rs = results.filter((r) => r.method === m);
    const count = (o: string): number => rs.filter((r) => r.outcome === o).length;
    const pareto = rs.filter((r) => r.outcome === 'pareto');
    let same = '';
    if (pareto.length > 1) {
      const spread = Math.max(
        ...pareto.map((r) =>
          Math.hypot(r.final[0] - pareto[0]!.final[0], r.final[1] - pareto[0]!.final[1]),
        ),
      );
      same =
        spread < 0.05
          ? `; all Pareto runs end at the same point (spread ${spread.toExponential(1)})`
          : '';
    }
    const counts: Record<string, number> = {};
    for (const r of rs)
      for (const [msg, n] of Object.entries(r.warnings)) counts[msg] = (counts[msg] ?? 0) + n;
    const total = Object.values(counts).reduce((a, n) => a + n, 0);
    const top = Object.entries(counts).sort((a, b) => b[1] - a[1])[0];
    out.push(
      `${m}: ${count('pareto')}/${rs.length} reach the Pareto front, ${count('stuck')} stuck, ${count('moving')} still moving${same}${top !== undefined ? `; ${total} warning(s), most often: ${top[0]}` : ''}`,
    );
  }
  return out.join('\n') + '\n';
}

/** JSON document of the runs (trajectories as `[x1, x2]` pairs). */
export function toyJson(
  results: readonly ToyRunResult[],
  meta: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return {
    ...meta,
    runs: results.map((r) => ({
      method: r.method,
      options: r.options,
      init: r.init,
      final: r.final,
      losses: r.losses,
      outcome: r.outcome,
      stationarity: r.stationarity,
      path: r.path,
      warnings: r.warnings,
      points: Array.from({ length: r.trajectory.length / 2 }, (_, i) => [
        r.trajectory[2 * i],
        r.trajectory[2 * i + 1],
      ]),
    })),
  };
}

/** CSV of the trajectories: one row per recorded point. */
export function toyCsv(results: readonly ToyRunResult[]): string {
  const lines = ['method,init_x1,init_x2,point,x1,x2'];
  for (const r of results) {
    for (let i = 0; i < r.trajectory.length / 2; i++) {
      lines.push(
        `${r.method},${r.init[0]},${r.init[1]},${i},${r.trajectory[2 * i]},${r.trajectory[2 * i + 1]}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

function parseToyArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      methods: { type: 'string', default: DEFAULT_METHODS },
      variant: { type: 'string', default: 'cagrad' },
      iterations: { type: 'string' },
      inits: { type: 'string' },
      lr: { type: 'string' },
      options: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
}

export const toyCommand: Command = {
  name: 'toy',
  summary:
    'Run methods on the two-objective toy problem (which end stuck, which reach the Pareto front)',
  usage: [
    'Usage: manytask toy [--methods ids] [--variant cagrad|nash] [--iterations N] [--inits "x1,x2;..."]',
    '                    [--options JSON] [--out FILE.json|FILE.csv] [--json]',
    '',
    `  --methods     comma-separated aggregator or loss-weighting ids (default ${DEFAULT_METHODS})`,
    "  --variant     'cagrad' (unit scales, 100k iterations, the CAGrad paper's 5 inits; default)",
    "                or 'nash' (L1 scaled by 0.1, 35k iterations, the Nash-MTL/FAMO inits)",
    '  --iterations  Adam steps per run (default: the variant’s)',
    '  --inits       start points, e.g. "-8.5,7.5;0,0" (default: the variant’s five)',
    '  --lr          Adam learning rate on x (default 1e-3)',
    '  --options     per-method options as JSON, e.g. \'{"cagrad":{"c":0.4}}\' (over the toy presets:',
    '                famo weightDecay 0 and minLosses (-21·scale, -21); cagrad c 0.5, rescale 2)',
    '  --out         trajectory file, JSON or CSV by extension (default runs/toy/<variant>.json)',
    '  --json        print the results as JSON instead of the table',
    '',
    'Outcome: pareto = ends on the Pareto segment (|x1| ≤ 7.05, x2 ≈ -8.36); moving = elsewhere',
    'but still travelling over the last 10% of steps; stuck = elsewhere and (nearly) still.',
  ].join('\n'),
  async run(argv, io) {
    const { values } = parseToyArgs(argv);
    const variant = values.variant as ToyVariant;
    if (!(variant in TOY_VARIANTS)) {
      throw new ConfigError(`--variant must be 'cagrad' or 'nash', got '${values.variant}'`);
    }
    const iterations =
      values.iterations !== undefined
        ? Number(values.iterations)
        : TOY_VARIANTS[variant].iterations;
    if (!Number.isInteger(iterations) || iterations < 1) {
      throw new ConfigError(`--iterations must be a positive integer, got '${values.iterations}'`);
    }
    const lr = values.lr !== undefined ? Number(values.lr) : 1e-3;
    if (!(lr > 0)) throw new ConfigError(`--lr must be a positive number, got '${values.lr}'`);
    const perMethod = parseMethodOptions(values.options);
    const ids = values.methods
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (const id of ids) defaultRegistry.get(id); // unknown ids fail before any run
    for (const id of Object.keys(perMethod)) {
      if (!ids.includes(id)) {
        throw new ConfigError(
          `--options names '${id}', which is not in --methods (${ids.join(', ')})`,
        );
      }
    }
    const inits =
      values.inits !== undefined ? parseInits(values.inits) : TOY_VARIANTS[variant].inits;
    const total = ids.length * inits.length;
    const progress = createProgress({ io: { ...io, stdout: io.stderr }, total, label: 'toy' });
    const results = runToy({
      variant,
      methods: ids.map((id) => ({
        id,
        ...(perMethod[id] !== undefined ? { options: perMethod[id] } : {}),
      })),
      iterations,
      inits,
      lr,
      onRun: (done, _total, r) =>
        progress.update(done, `${r.method} (${r.init.join(',')}) → ${r.outcome}`),
    });
    progress.done();
    const out = values.out ?? `runs/toy/${variant}.json`;
    const meta = {
      variant,
      iterations,
      lr,
      scale: TOY_VARIANTS[variant].scale,
      optimizer: 'adam(0.9, 0.999, 1e-8)',
    };
    await mkdir(dirname(out), { recursive: true });
    await writeFileAtomic(
      out,
      out.endsWith('.csv') ? toyCsv(results) : JSON.stringify(toyJson(results, meta)) + '\n',
    );
    if (values.json) io.stdout(JSON.stringify(toyJson(results, meta)['runs'], null, 2) + '\n');
    else io.stdout(toyTable(results) + `\ntrajectories written to ${out}\n`);
    return 0;
  },
};
