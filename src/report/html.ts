/**
 * The self-contained HTML report: one file, inline CSS and inline SVG charts, no scripts and no
 * network access, so it opens offline and can be attached to an issue or archived as is.
 */
import { buildCharts, MAX_POINTS, renderSvg } from './charts.js';
import { bestIndices, higherIsBetter } from './summary.js';
import type { ReportInput, Stat } from './types.js';

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Number with 4 significant decimals for values below 10, 2 decimals above (fixed, no exponent). */
export function formatNumber(x: number, decimals?: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? '—' : x > 0 ? '∞' : '−∞';
  const d = decimals ?? (Math.abs(x) >= 10 ? 2 : 4);
  return x.toFixed(d).replace('-', '−');
}

/** `mean ± std` (just the mean when there is one seed). */
export function formatStat(s: Stat, decimals?: number): string {
  const mean = formatNumber(s.mean, decimals);
  return s.n > 1
    ? `${mean} ± ${formatNumber(s.std, decimals ?? (Math.abs(s.mean) >= 10 ? 2 : 4))}`
    : mean;
}

/** Table cell text: the mean, then a smaller muted `± std` (escaped, HTML). */
function statHtml(s: Stat, decimals?: number): string {
  const text = formatStat(s, decimals);
  const at = text.indexOf(' ± ');
  return at < 0 ? text : `${text.slice(0, at)}<span class="sd"> ± ${text.slice(at + 3)}</span>`;
}

/**
 * JSON with two-space indentation where arrays of numbers, strings, booleans or null stay on one
 * line (`"hidden": [64, 32]`), which keeps the configuration block short.
 */
export function compactJson(value: unknown, indent = ''): string {
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object'))
      return `[${value.map((v) => JSON.stringify(v) ?? 'null').join(', ')}]`;
    return `[\n${value.map((v) => inner + compactJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries
      .map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner)}`)
      .join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

interface Column {
  readonly task: string;
  readonly metric: string;
}

/** Task-metric columns in task order, metrics in first-seen order. */
function metricColumns(input: ReportInput): Column[] {
  const cols: Column[] = [];
  for (const t of input.tasks) {
    const seen: string[] = [];
    for (const m of input.methods) {
      for (const metric of Object.keys(m.test[t.id] ?? {})) {
        if (!seen.includes(metric)) seen.push(metric);
      }
    }
    for (const metric of seen) cols.push({ task: t.id, metric });
  }
  return cols;
}

const arrow = (metric: string): string => {
  const h = higherIsBetter(metric);
  return h === undefined ? '' : h ? ' ↑' : ' ↓';
};

function cell(text: string, best: boolean): string {
  return best
    ? `<td class="num best"><span class="best-mark" title="best in this column" aria-label="best">★</span> ${text}</td>`
    : `<td class="num">${text}</td>`;
}

/** The results table: methods × (task metrics, Δm%), mean ± std, best per column marked. */
export function resultsTable(input: ReportInput): string {
  const cols = metricColumns(input);
  const hasDelta = input.methods.some((m) => m.deltaM !== undefined);
  const hasTime = input.methods.some((m) => m.seconds !== undefined);
  const groups = input.tasks
    .map((t) => [t.id, cols.filter((c) => c.task === t.id).length] as const)
    .filter(([, n]) => n > 0);
  const best = new Map<string, Set<number>>();
  for (const c of cols) {
    const means = input.methods.map((m) => m.test[c.task]?.[c.metric]?.mean ?? NaN);
    best.set(`${c.task}\u0000${c.metric}`, new Set(bestIndices(means, higherIsBetter(c.metric))));
  }
  const bestDelta = new Set(
    bestIndices(
      input.methods.map((m) => m.deltaM?.mean ?? NaN),
      false,
    ),
  );
  const head1 = [
    '<th rowspan="2" class="method">method</th>',
    ...groups.map(([task, n]) => `<th colspan="${n}" class="group">${escapeHtml(task)}</th>`),
    ...(hasDelta ? ['<th rowspan="2" class="num">Δm% ↓</th>'] : []),
    ...(hasTime ? ['<th rowspan="2" class="num">s / run</th>'] : []),
  ].join('');
  const head2 = cols
    .map((c) => `<th class="num">${escapeHtml(c.metric)}${arrow(c.metric)}</th>`)
    .join('');
  const rows: string[] = [];
  if (input.baseline !== undefined) {
    const b = input.baseline;
    rows.push(
      `<tr class="baseline"><th scope="row" class="method">single-task <span class="muted">(reference)</span></th>${cols
        .map((c) => {
          const s = b[c.task]?.[c.metric];
          return `<td class="num">${s !== undefined ? statHtml(s) : '—'}</td>`;
        })
        .join(
          '',
        )}${hasDelta ? '<td class="num">0</td>' : ''}${hasTime ? '<td class="num">—</td>' : ''}</tr>`,
    );
  }
  input.methods.forEach((m, i) => {
    const cells = cols.map((c) => {
      const s = m.test[c.task]?.[c.metric];
      return cell(
        s !== undefined ? statHtml(s) : '—',
        best.get(`${c.task}\u0000${c.metric}`)?.has(i) === true,
      );
    });
    if (hasDelta)
      cells.push(cell(m.deltaM !== undefined ? statHtml(m.deltaM, 2) : '—', bestDelta.has(i)));
    if (hasTime)
      cells.push(
        `<td class="num">${m.seconds !== undefined ? formatNumber(m.seconds, 1) : '—'}</td>`,
      );
    rows.push(
      `<tr><th scope="row" class="method">${escapeHtml(m.displayName)}${
        m.displayName.toLowerCase() !== m.method
          ? ` <span class="muted">${escapeHtml(m.method)}</span>`
          : ''
      }</th>${cells.join('')}</tr>`,
    );
  });
  const seeds = Math.max(
    0,
    ...input.methods.flatMap((m) =>
      Object.values(m.test).flatMap((r) => Object.values(r).map((s) => s.n)),
    ),
  );
  return [
    '<div class="table-wrap"><table class="results">',
    `<caption>Final test metrics, ${seeds > 1 ? `mean ± standard deviation over ${seeds} seeds` : 'one seed'}. ↑ higher is better, ↓ lower is better; ★ marks the best method in each column.</caption>`,
    `<thead><tr>${head1}</tr><tr>${head2}</tr></thead>`,
    `<tbody>${rows.join('')}</tbody>`,
    '</table></div>',
  ].join('\n');
}

const CSS = `
:root { --fg:#111827; --muted:#6b7280; --line:#e5e7eb; --bg:#f8fafc; --card:#ffffff; --accent:#0072B2; --best:#e7f6ee; --best-fg:#065f46; }
* { box-sizing: border-box; }
html { background: var(--bg); }
body { margin: 0 auto; max-width: 1320px; padding: 32px 24px 64px; color: var(--fg);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 24px; }
h1 { font-size: 28px; margin: 0 0 6px; letter-spacing: -0.01em; }
h2 { font-size: 19px; margin: 0 0 4px; }
.sub { color: var(--muted); margin: 0; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; padding: 0; list-style: none; }
.chips li { background: #eef2f7; border-radius: 999px; padding: 2px 10px; font-size: 13px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin: 0 0 20px; }
.caption, figcaption { color: var(--muted); font-size: 13px; margin: 2px 0 12px; }
figure { margin: 0; }
figure svg { max-width: 100%; height: auto; display: block; }
.notes { border-left: 4px solid #E69F00; background: #fffaf0; }
.notes ul { margin: 6px 0 0; padding-left: 20px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: 12.5px; padding-top: 8px; }
th, td { padding: 5px 7px; border-bottom: 1px solid var(--line); white-space: nowrap; }
thead th { background: #f1f5f9; font-weight: 600; border-bottom: 2px solid #cbd5e1; }
th.group { text-align: center; border-left: 1px solid var(--line); }
th.method { text-align: left; font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafbfc; }
tr.baseline { background: #f3f4f6 !important; font-style: italic; }
td.best { background: var(--best); color: var(--best-fg); font-weight: 700; }
.best-mark { color: #059669; }
.sd { color: var(--muted); font-size: 0.86em; font-weight: 400; }
td.best .sd { color: inherit; }
.muted { color: var(--muted); font-weight: 400; font-size: 12px; }
pre { background: #0f172a; color: #e2e8f0; padding: 14px 16px; border-radius: 8px; overflow-x: auto; font-size: 12.5px; line-height: 1.45; }
table.kv { width: auto; }
table.kv th { text-align: left; color: var(--muted); font-weight: 500; }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 28px; }
@media print { html { background: #fff; } section { break-inside: avoid; border: none; } }
`;

/** Options of {@link renderReport}. */
export interface RenderReportOptions {
  /** Most points per drawn series (default {@link MAX_POINTS}). */
  readonly maxPoints?: number;
}

/**
 * Renders the whole report to one HTML string: header, notes, results table, one figure per
 * chart with data (Δm%, training loss, validation metric, task weights, gradient cosines),
 * the exact configuration and the versions. The output references nothing outside itself.
 */
export async function renderReport(
  input: ReportInput,
  options: RenderReportOptions = {},
): Promise<string> {
  const charts = buildCharts(input, options.maxPoints ?? MAX_POINTS);
  const figures: string[] = [];
  for (const c of charts) {
    const svg = await renderSvg(c.spec, c.id);
    figures.push(
      `<section id="${c.id}" class="chart"><h2>${escapeHtml(c.title)}</h2><figure>${svg}<figcaption>${escapeHtml(c.caption)}</figcaption></figure></section>`,
    );
  }
  const tasks = input.tasks.map((t) => `${t.id} (${t.kind})`).join(', ');
  const chips = [
    `dataset: ${input.dataset}`,
    `architecture: ${input.architecture}`,
    `tasks: ${tasks}`,
    `${input.kind === 'bench' ? 'methods' : 'method'}: ${input.methods.length}`,
    `runs: ${input.runs.length}`,
    ...(input.createdAt !== undefined ? [`created: ${input.createdAt}`] : []),
  ];
  const notes =
    input.notes !== undefined && input.notes.length > 0
      ? `<section class="notes"><h2>Notes</h2><ul>${input.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></section>`
      : '';
  const versions = Object.entries(input.versions)
    .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="manytask ${escapeHtml(input.versions['manytask'] ?? '')}">
<title>${escapeHtml(input.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(input.title)}</h1>
<p class="sub">${input.kind === 'bench' ? 'Benchmark: every method × seed, with single-task baselines.' : 'One training run.'}</p>
<ul class="chips">${chips.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>
</header>
${notes}
<section id="results"><h2>Results</h2>
${resultsTable(input)}
</section>
${figures.join('\n')}
<section id="config"><h2>Configuration</h2><p class="caption">The exact configuration of these results.</p>
<pre>${escapeHtml(compactJson(input.config))}</pre>
</section>
<section id="versions"><h2>Versions</h2><table class="kv"><tbody>${versions}</tbody></table></section>
<footer>Generated by manytask. Self-contained: no scripts, no network.</footer>
</body>
</html>
`;
}
