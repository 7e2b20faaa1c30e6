/**
 * Vega-Lite chart specs of the report and their rendering to static SVG (no browser, no
 * scripts): `vega-lite.compile` → `vega.parse` → headless `View.toSVG()`.
 */
import * as vega from 'vega';
import { compile, type Config, type TopLevelSpec } from 'vega-lite';
import type { TaskKind } from '../core/model.js';
import type { EpochRecord, ReportInput, ReportRun, StepRecord } from './types.js';

/** Colour-blind-safe categorical palette (Okabe–Ito, reordered so adjacent hues differ). */
export const PALETTE: readonly string[] = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#CC79A7',
  '#56B4E9',
  '#F0E442',
  '#000000',
  '#7f7f7f',
  '#8c564b',
  '#17becf',
  '#bcbd22',
];

const FONT =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif';

/** Shared look of every chart. */
const CONFIG: Config = {
  font: FONT,
  background: '#ffffff',
  padding: 8,
  view: { stroke: '#e5e7eb' },
  axis: {
    labelColor: '#4b5563',
    titleColor: '#374151',
    titleFontWeight: 600,
    gridColor: '#eef0f3',
    domainColor: '#cbd5e1',
    tickColor: '#cbd5e1',
    labelFontSize: 11,
    titleFontSize: 12,
  },
  legend: {
    labelColor: '#374151',
    titleColor: '#111827',
    labelFontSize: 11,
    labelLimit: 360,
    orient: 'bottom',
  },
  header: { labelFontSize: 12, labelFontWeight: 600, labelColor: '#111827', title: null },
  line: { strokeWidth: 1.8 },
  range: { category: [...PALETTE] },
};

/** Most points per drawn series: keeps the SVG small and the lines readable. */
export const MAX_POINTS = 150;

/** The headline metric per task kind, plotted over epochs. */
export function primaryMetric(kind: TaskKind): string {
  return kind === 'binary' ? 'auc' : kind === 'multiclass' ? 'accuracy' : 'mse';
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/**
 * Averages a series over equal-width x bins so at most `maxPoints` remain (the mean of noisy
 * per-batch losses is also a light smoothing). Input must be sorted by x.
 */
export function downsample(points: readonly Point[], maxPoints: number = MAX_POINTS): Point[] {
  if (points.length <= maxPoints) return [...points];
  const first = points[0]!.x;
  const last = points[points.length - 1]!.x;
  const width = (last - first) / maxPoints || 1;
  const out: Point[] = [];
  let sx = 0;
  let sy = 0;
  let n = 0;
  let bin = 0;
  for (const p of points) {
    const b = Math.min(maxPoints - 1, Math.floor((p.x - first) / width));
    if (b !== bin && n > 0) {
      out.push({ x: sx / n, y: sy / n });
      sx = sy = n = 0;
    }
    bin = b;
    sx += p.x;
    sy += p.y;
    n++;
  }
  if (n > 0) out.push({ x: sx / n, y: sy / n });
  return out;
}

/**
 * Mean over seeds of a per-step quantity, per (method, series), downsampled.
 * `pick` returns the series name → value map of one record (or undefined to skip it).
 */
function seedMeanSeries<R>(
  runs: readonly ReportRun[],
  records: (run: ReportRun) => readonly R[],
  x: (r: R) => number,
  pick: (r: R) => Readonly<Record<string, number>> | undefined,
  maxPoints: number,
): { method: string; series: string; x: number; y: number }[] {
  const acc = new Map<string, Map<number, { sum: number; n: number }>>();
  for (const run of runs) {
    for (const rec of records(run)) {
      const values = pick(rec);
      if (values === undefined) continue;
      for (const [series, y] of Object.entries(values)) {
        if (!Number.isFinite(y)) continue;
        const key = JSON.stringify([run.method, series]);
        let byX = acc.get(key);
        if (byX === undefined) acc.set(key, (byX = new Map()));
        const cell = byX.get(x(rec)) ?? { sum: 0, n: 0 };
        cell.sum += y;
        cell.n++;
        byX.set(x(rec), cell);
      }
    }
  }
  const rows: { method: string; series: string; x: number; y: number }[] = [];
  for (const [key, byX] of acc) {
    const [method, series] = JSON.parse(key) as [string, string];
    const pts = [...byX.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([px, c]) => ({ x: px, y: c.sum / c.n }));
    for (const p of downsample(pts, maxPoints)) rows.push({ method, series, x: p.x, y: p.y });
  }
  return rows;
}

const steps = (run: ReportRun): StepRecord[] =>
  run.history.filter((r): r is StepRecord => r.kind === 'step');
const epochs = (run: ReportRun): EpochRecord[] =>
  run.history.filter((r): r is EpochRecord => r.kind === 'epoch');

/** A chart of the report: its id (anchor and SVG id prefix), title, caption and spec. */
export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

function methodScale(input: ReportInput): { domain: string[]; range: string[] } {
  const domain = input.methods.map((m) => m.displayName);
  return { domain, range: domain.map((_, i) => PALETTE[i % PALETTE.length]!) };
}

function displayNames(input: ReportInput): Map<string, string> {
  return new Map(input.methods.map((m) => [m.method, m.displayName]));
}

/** Columns of a faceted chart: at most 3, fewer when there are fewer panels. */
const columnsFor = (panels: number): number => Math.min(3, Math.max(1, panels));

/**
 * Builds every chart the input has data for (charts without data are left out, never drawn
 * empty): Δm% per method, training loss per task, validation metric per task, task weights,
 * pairwise gradient cosines.
 */
export function buildCharts(input: ReportInput, maxPoints: number = MAX_POINTS): ChartSpec[] {
  const names = displayNames(input);
  const name = (id: string): string => names.get(id) ?? id;
  const methodColor: ColorOptions = { title: 'method', ...methodScale(input) };
  const charts: ChartSpec[] = [];
  const taskOrder = input.tasks.map((t) => t.id);

  const withDelta = input.methods.filter((m) => m.deltaM !== undefined);
  if (withDelta.length > 0) {
    const values = withDelta.map((m) => ({
      method: m.displayName,
      mean: m.deltaM!.mean,
      lo: m.deltaM!.mean - m.deltaM!.std,
      hi: m.deltaM!.mean + m.deltaM!.std,
    }));
    charts.push({
      id: 'delta-m',
      title: 'Δm% vs single-task baselines',
      caption:
        'Mean relative change over every task metric against the single-task models (lower is better; 0 = as good as single-task). Bars: mean over seeds; whiskers: ± one standard deviation.',
      spec: {
        config: CONFIG,
        width: 520,
        height: { step: 22 },
        data: { values },
        layer: [
          {
            mark: { type: 'bar', cornerRadiusEnd: 2, height: { band: 0.7 } },
            encoding: {
              y: {
                field: 'method',
                type: 'nominal',
                sort: values.map((v) => v.method),
                title: null,
              },
              x: { field: 'mean', type: 'quantitative', title: 'Δm% (lower is better)' },
              color: {
                field: 'method',
                type: 'nominal',
                scale: methodScale(input),
                legend: null,
              },
            },
          },
          {
            mark: { type: 'rule', color: '#111827', strokeWidth: 1.2 },
            encoding: {
              y: { field: 'method', type: 'nominal', sort: values.map((v) => v.method) },
              x: { field: 'lo', type: 'quantitative' },
              x2: { field: 'hi' },
            },
          },
          {
            data: { values: [{ zero: 0 }] },
            mark: { type: 'rule', color: '#6b7280', strokeDash: [4, 3] },
            encoding: { x: { field: 'zero', type: 'quantitative' } },
          },
        ],
      } as TopLevelSpec,
    });
  }

  const runs = input.runs;
  const loss = seedMeanSeries(
    runs,
    steps,
    (r) => r.step,
    (r) => r.losses,
    maxPoints,
  );
  if (loss.length > 0) {
    charts.push({
      id: 'train-loss',
      title: 'Training loss per task',
      caption:
        'Per-batch training loss, mean over seeds, averaged in step bins. One panel per task; y scales are independent.',
      spec: facetLines(
        loss.map((r) => ({ series: name(r.method), panel: r.series, x: r.x, y: r.y })),
        { panelOrder: taskOrder, x: 'step', y: 'loss', color: methodColor },
      ),
    });
  }

  const kinds = new Map(input.tasks.map((t) => [t.id, t.kind]));
  const valid = seedMeanSeries(
    runs,
    epochs,
    (r) => r.epoch + 1,
    (r) => {
      if (r.valid === undefined) return undefined;
      const out: Record<string, number> = {};
      for (const [task, metrics] of Object.entries(r.valid)) {
        const kind = kinds.get(task);
        const m = kind !== undefined ? primaryMetric(kind) : undefined;
        const v = m !== undefined ? metrics[m] : undefined;
        if (m !== undefined && v !== undefined) out[`${task} · ${m}`] = v;
      }
      return out;
    },
    maxPoints,
  );
  if (valid.length > 0) {
    charts.push({
      id: 'valid-metric',
      title: 'Validation metric per task',
      caption:
        'Headline validation metric after each evaluated epoch (AUC for binary, accuracy for multiclass, MSE for regression tasks), mean over seeds.',
      spec: facetLines(
        valid.map((r) => ({ series: name(r.method), panel: r.series, x: r.x, y: r.y })),
        {
          panelOrder: input.tasks.map((t) => `${t.id} · ${primaryMetric(t.kind)}`),
          x: 'epoch',
          y: 'value',
          color: methodColor,
          points: true,
        },
      ),
    });
  }

  const weights = seedMeanSeries(
    runs,
    steps,
    (r) => r.step,
    (r) => r.weights,
    maxPoints,
  );
  if (weights.length > 0) {
    const panels = [...new Set(weights.map((r) => name(r.method)))];
    charts.push({
      id: 'task-weights',
      title: 'Task weights over time',
      caption:
        'Weight of each task in the update (d = Σₖ wₖ gₖ for gradient methods, the loss weights for loss-weighting methods), mean over seeds. One panel per method.',
      spec: facetLines(
        weights.map((r) => ({ series: r.series, panel: name(r.method), x: r.x, y: r.y })),
        {
          panelOrder: input.methods.map((m) => m.displayName).filter((m) => panels.includes(m)),
          x: 'step',
          y: 'weight',
          color: { title: 'task', domain: taskOrder },
          sharedY: true,
          zeroY: true,
        },
      ),
    });
  }

  const cos = seedMeanSeries(
    runs,
    steps,
    (r) => r.step,
    (r) => r.cosines,
    maxPoints,
  );
  if (cos.length > 0) {
    const panels = [...new Set(cos.map((r) => name(r.method)))];
    const pairs = [...new Set(cos.map((r) => r.series))].map((p) => p.replace('|', ' × '));
    charts.push({
      id: 'grad-cosine',
      title: 'Gradient conflict: pairwise cosine over time',
      caption:
        'cos(gᵢ, gⱼ) = Gᵢⱼ / √(Gᵢᵢ Gⱼⱼ) from the Gramian of the task gradients on the shared parameters (or features), mean over seeds. Below the dashed zero line the two tasks conflict. Only methods that compute the Gramian appear.',
      spec: facetLines(
        cos.map((r) => ({
          series: r.series.replace('|', ' × '),
          panel: name(r.method),
          x: r.x,
          y: r.y,
        })),
        {
          panelOrder: input.methods.map((m) => m.displayName).filter((m) => panels.includes(m)),
          x: 'step',
          y: 'cosine',
          color: { title: 'task pair', domain: pairs },
          sharedY: true,
          yDomain: [-1, 1],
          zeroRule: true,
        },
      ),
    });
  }
  return charts;
}

interface ColorOptions {
  readonly title: string;
  readonly domain: readonly string[];
  /** Defaults to {@link PALETTE} in order. */
  readonly range?: readonly string[];
}

interface FacetOptions {
  readonly panelOrder: readonly string[];
  readonly x: string;
  readonly y: string;
  readonly color: ColorOptions;
  readonly points?: boolean;
  readonly sharedY?: boolean;
  readonly yDomain?: readonly [number, number];
  readonly zeroRule?: boolean;
  /** Include 0 in the y scale (weights: a constant weight then reads as a level, not noise). */
  readonly zeroY?: boolean;
}

/** Small multiples of lines: one panel per `panel` value, one coloured line per `series`. */
function facetLines(
  values: readonly { series: string; panel: string; x: number; y: number }[],
  o: FacetOptions,
): TopLevelSpec {
  const present = new Set(values.map((v) => v.panel));
  const order = [
    ...o.panelOrder.filter((p) => present.has(p)),
    ...[...present].filter((p) => !o.panelOrder.includes(p)),
  ];
  const line = {
    mark: {
      type: 'line',
      // Per-step series are noisy: a smoothing spline would overshoot between points.
      interpolate: o.points === true ? 'monotone' : 'linear',
      point: o.points === true ? { size: 18 } : false,
    },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.x },
      y: {
        field: 'y',
        type: 'quantitative',
        title: o.y,
        scale: {
          zero: o.zeroY === true,
          ...(o.yDomain !== undefined ? { domain: [...o.yDomain] } : {}),
        },
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: o.color.title,
        scale: {
          domain: [...o.color.domain],
          range: [...(o.color.range ?? o.color.domain.map((_, i) => PALETTE[i % PALETTE.length]!))],
        },
      },
    },
  };
  const layer =
    o.zeroRule === true
      ? [
          line,
          {
            mark: { type: 'rule', color: '#6b7280', strokeDash: [4, 3] },
            encoding: { y: { datum: 0, type: 'quantitative' } },
          },
        ]
      : [line];
  return {
    config: CONFIG,
    data: { values: values.map((v) => ({ ...v })) },
    facet: { field: 'panel', type: 'nominal', sort: order, title: null },
    columns: columnsFor(order.length),
    spec: { width: 250, height: 170, layer },
    resolve: { scale: { y: o.sharedY === true ? 'shared' : 'independent' } },
  } as TopLevelSpec;
}

/**
 * Renders a Vega-Lite spec to a standalone SVG string. Element ids are prefixed with `idPrefix`
 * so several SVGs can be inlined in one page without their clip paths colliding.
 */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string): Promise<string> {
  const vgSpec = compile(spec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return prefixIds(svg, idPrefix);
  } finally {
    view.finalize();
  }
}

/** Rewrites `id="x"`, `url(#x)` and `href="#x"` to use `prefix-x`. */
export function prefixIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}-${id}"`);
}
