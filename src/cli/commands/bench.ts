/**
 * The plain-text results table that `manytask bench` prints: the same columns as the HTML
 * report's table (task metrics mean ± std, Δm%, seconds per run), best per column starred.
 */
import { formatNumber, formatStat } from '../../report/html.js';
import { bestIndices, higherIsBetter } from '../../report/summary.js';
import type { ReportInput } from '../../report/types.js';

/** Renders `input`'s methods as an aligned text table (trailing newline included). */
export function formatResultsTable(input: ReportInput): string {
  const cols: { task: string; metric: string }[] = [];
  for (const t of input.tasks) {
    const seen: string[] = [];
    for (const m of input.methods)
      for (const metric of Object.keys(m.test[t.id] ?? {}))
        if (!seen.includes(metric)) seen.push(metric);
    for (const metric of seen) cols.push({ task: t.id, metric });
  }
  const hasDelta = input.methods.some((m) => m.deltaM !== undefined);
  const hasTime = input.methods.some((m) => m.seconds !== undefined);
  const arrow = (metric: string): string => {
    const h = higherIsBetter(metric);
    return h === undefined ? '' : h ? '↑' : '↓';
  };
  const head = [
    'method',
    ...cols.map((c) => `${c.task} ${c.metric}${arrow(c.metric)}`),
    ...(hasDelta ? ['Δm%↓'] : []),
    ...(hasTime ? ['s/run'] : []),
  ];
  const best = cols.map(
    (c) =>
      new Set(
        bestIndices(
          input.methods.map((m) => m.test[c.task]?.[c.metric]?.mean ?? NaN),
          higherIsBetter(c.metric),
        ),
      ),
  );
  const bestDelta = new Set(
    bestIndices(
      input.methods.map((m) => m.deltaM?.mean ?? NaN),
      false,
    ),
  );
  // A trailing mark keeps the numbers of a right-aligned column aligned.
  const star = (text: string, isBest: boolean): string => `${text} ${isBest ? '*' : ' '}`;
  const rows: string[][] = [];
  if (input.baseline !== undefined) {
    const b = input.baseline;
    rows.push([
      'single-task',
      ...cols.map((c) => {
        const s = b[c.task]?.[c.metric];
        return star(s !== undefined ? formatStat(s) : '—', false);
      }),
      ...(hasDelta ? [star('0', false)] : []),
      ...(hasTime ? [star('—', false)] : []),
    ]);
  }
  input.methods.forEach((m, i) => {
    rows.push([
      m.method,
      ...cols.map((c, ci) => {
        const s = m.test[c.task]?.[c.metric];
        return star(s !== undefined ? formatStat(s) : '—', best[ci]?.has(i) === true);
      }),
      ...(hasDelta
        ? [star(m.deltaM !== undefined ? formatStat(m.deltaM, 2) : '—', bestDelta.has(i))]
        : []),
      ...(hasTime ? [star(m.seconds !== undefined ? formatNumber(m.seconds, 1) : '—', false)] : []),
    ]);
  });
  const headCells = head.map((h, i) => (i === 0 ? h : `${h}  `));
  const widths = headCells.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return (
    [
      line(headCells),
      rule,
      ...rows.map(line),
      '',
      '* best in column (↑ higher is better, ↓ lower is better)',
    ].join('\n') + '\n'
  );
}
