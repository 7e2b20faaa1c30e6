import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { buildCharts, downsample, prefixIds } from './charts.js';
import { compactJson, escapeHtml, formatStat, renderReport, resultsTable } from './html.js';
import { sampleReportInput } from './sample.js';
import type { ReportInput } from './types.js';

/** Every inline `<svg>` of a page. */
const svgsOf = (html: string): string[] => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];

describe('downsample', () => {
  it('keeps short series unchanged', () => {
    const pts = [
      { x: 0, y: 1 },
      { x: 1, y: 2 },
    ];
    expect(downsample(pts, 10)).toEqual(pts);
  });
  it('averages equal-width bins (golden: 0..9 into 5 bins)', () => {
    const pts = Array.from({ length: 10 }, (_, i) => ({ x: i, y: 10 * i }));
    // width = 9/5 = 1.8: bins {0,1}, {2,3}, {4,5}, {6,7}, {8,9}
    expect(downsample(pts, 5)).toEqual([
      { x: 0.5, y: 5 },
      { x: 2.5, y: 25 },
      { x: 4.5, y: 45 },
      { x: 6.5, y: 65 },
      { x: 8.5, y: 85 },
    ]);
  });
  fcTest.prop([
    fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 400 }),
    fc.integer({ min: 1, max: 50 }),
  ])('returns ≤ maxPoints points, sorted, within the y range', (ys, max) => {
    const pts = ys.map((y, x) => ({ x, y }));
    const out = downsample(pts, max);
    expect(out.length).toBeLessThanOrEqual(Math.max(max, 1));
    for (let i = 1; i < out.length; i++) expect(out[i]!.x).toBeGreaterThan(out[i - 1]!.x);
    for (const p of out) {
      expect(p.y).toBeGreaterThanOrEqual(Math.min(...ys) - 1e-9);
      expect(p.y).toBeLessThanOrEqual(Math.max(...ys) + 1e-9);
    }
  });
});

describe('prefixIds', () => {
  it('rewrites ids and their references', () => {
    const svg =
      '<svg><clipPath id="clip1"><rect/></clipPath><g clip-path="url(#clip1)"/><use href="#clip1"/></svg>';
    expect(prefixIds(svg, 'c')).toBe(
      '<svg><clipPath id="c-clip1"><rect/></clipPath><g clip-path="url(#c-clip1)"/><use href="#c-clip1"/></svg>',
    );
  });
});

describe('escapeHtml / formatStat', () => {
  it('escapes markup characters', () => {
    expect(escapeHtml(`<script>"a"&'b'</script>`)).toBe(
      '&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;&lt;/script&gt;',
    );
  });
  it('prints mean ± std with 4 decimals below 10', () => {
    expect(formatStat({ mean: 0.81234, std: 0.00421, n: 3 })).toBe('0.8123 ± 0.0042');
    expect(formatStat({ mean: 0.81234, std: 0, n: 1 })).toBe('0.8123');
    expect(formatStat({ mean: -12.345, std: 1.5, n: 2 }, 2)).toBe('−12.35 ± 1.50');
  });
});

describe('compactJson', () => {
  it('keeps arrays of scalars on one line and round-trips through JSON.parse', () => {
    const v = {
      a: { id: 'x', hidden: [64, 32], tags: ['p', null] },
      list: [{ b: 1 }],
      e: [],
      o: {},
    };
    const text = compactJson(v);
    expect(text).toBe(
      [
        '{',
        '  "a": {',
        '    "id": "x",',
        '    "hidden": [64, 32],',
        '    "tags": ["p", null]',
        '  },',
        '  "list": [',
        '    {',
        '      "b": 1',
        '    }',
        '  ],',
        '  "e": [],',
        '  "o": {}',
        '}',
      ].join('\n'),
    );
    expect(JSON.parse(text)).toEqual(v);
  });
});

describe('resultsTable', () => {
  const input = sampleReportInput({ methods: ['ew', 'pcgrad', 'upgrad'], seeds: 2 });
  const html = resultsTable(input);
  const rows = html.match(/<tr>[\s\S]*?<\/tr>/g) ?? [];
  it('has one row per method plus the baseline row, with mean ± std', () => {
    expect(rows.filter((r) => r.includes('scope="row"'))).toHaveLength(3);
    expect(html).toContain('single-task');
    expect(html).toMatch(/\d\.\d{4}<span class="sd"> ± \d\.\d{4}<\/span>/);
  });
  it('marks exactly the best method of each column', () => {
    // Per column, find the best method by hand and check the ★ sits in that row.
    const cols: [string, string, boolean][] = [
      ['income_high', 'auc', true],
      ['income_high', 'logloss', false],
      ['never_married', 'auc', true],
      ['never_married', 'logloss', false],
    ];
    const methodRows = rows.filter((r) => r.includes('scope="row"'));
    cols.forEach(([task, metric, higher], ci) => {
      const means = input.methods.map((m) => m.test[task]![metric]!.mean);
      const best = higher ? Math.max(...means) : Math.min(...means);
      input.methods.forEach((m, mi) => {
        const cells = methodRows[mi]!.match(/<td[\s\S]*?<\/td>/g)!;
        expect(cells[ci]!.includes('★'), `${m.method} ${task} ${metric}`).toBe(means[mi] === best);
      });
    });
    const deltas = input.methods.map((m) => m.deltaM!.mean);
    const bestDelta = deltas.indexOf(Math.min(...deltas));
    const lastCells = methodRows.map((r) => r.match(/<td[\s\S]*?<\/td>/g)![4]!);
    lastCells.forEach((c, i) => expect(c.includes('★')).toBe(i === bestDelta));
  });
});

describe('renderReport', () => {
  it('is one self-contained page with every chart drawn as inline SVG with marks', async () => {
    const input = sampleReportInput();
    const html = await renderReport(input);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    // No scripts, no external resources of any kind.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|src=|url\(["']?(https?:|\/\/)/i);
    expect(html).not.toMatch(/href="(https?:)?\/\//);
    const ids = buildCharts(input).map((c) => c.id);
    expect(ids).toEqual(['delta-m', 'train-loss', 'valid-metric', 'task-weights', 'grad-cosine']);
    const svgs = svgsOf(html);
    expect(svgs).toHaveLength(ids.length);
    for (const [i, svg] of svgs.entries()) {
      expect(html).toContain(`<section id="${ids[i]}"`);
      // Vega's SVG marks: lines are paths in mark-line groups, bars in mark-rect groups.
      expect(svg).toMatch(/class="mark-(line|rect)[^"]*"[^>]*>\s*<(path|g)/);
      const paths = svg.match(/<path[^>]* d="M[^"]+"/g) ?? [];
      expect(paths.length).toBeGreaterThan(3);
    }
    // Clip-path ids are unique across the page.
    const allIds = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(allIds).size).toBe(allIds.length);
  });

  it('leaves out charts without data and escapes the configuration', async () => {
    const { baseline: _b, ...base } = sampleReportInput({ methods: ['ew'], seeds: 1, steps: 12 });
    const input: ReportInput = {
      ...base,
      kind: 'train',
      methods: base.methods.map(({ deltaM: _d, ...m }) => m),
      runs: base.runs.map((r) => ({
        ...r,
        history: r.history.map((h) => {
          if (h.kind !== 'step') return h;
          const { cosines: _c, ...rest } = h;
          return rest;
        }),
      })),
      config: { note: '</pre><script>alert(1)</script>' },
    };
    const html = await renderReport(input);
    expect(html).not.toContain('id="grad-cosine"');
    expect(html).not.toContain('id="delta-m"');
    expect(html).toContain('id="train-loss"');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
