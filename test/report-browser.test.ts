/**
 * The report in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * the page loads offline with no console errors and no network requests, every chart's SVG has
 * drawn marks with non-zero size, and a full-page screenshot is written and non-trivial. Checked
 * on a synthetic input covering every chart and on the report a real (tiny) bench writes.
 *
 * In CI (`CI` set) a missing browser is a failure; locally the test is skipped with a reason.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from '../src/cli/commands/bench.js';
import { buildCharts } from '../src/report/charts.js';
import { renderReport } from '../src/report/html.js';
import { sampleReportInput } from '../src/report/sample.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const inCi = process.env['CI'] !== undefined && process.env['CI'] !== '';

if (!available && !inCi) {
  console.warn(
    `report-browser.test.ts: skipped because ${CHROMIUM} does not exist (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'manytask-report-'));
afterAll(() => {
  // Keep the screenshots for inspection when asked to.
  if (process.env['KEEP_REPORT_SCREENSHOT'] === undefined)
    rmSync(dir, { recursive: true, force: true });
});

/**
 * Opens `file` in a fresh headless Chromium profile and checks it: no console or page errors, no
 * request but the file itself, the chart sections in `chartIds` order each with drawn marks, at
 * least one best-in-column mark, and a non-trivial full-page screenshot at `png`.
 */
async function checkInBrowser(file: string, chartIds: readonly string[], png: string) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'manytask-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1200, height: 900 },
  });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });

    expect(errors).toEqual([]);
    // The page itself is the only thing it loads.
    expect(requests).toEqual([url]);

    const charts = await page.evaluate(() =>
      Array.from(document.querySelectorAll('section.chart')).map((s) => {
        const svg = s.querySelector('svg');
        const marks = svg
          ? Array.from(svg.querySelectorAll('.mark-line path, .mark-rect path, .mark-symbol path'))
          : [];
        const drawn = marks.filter((m) => {
          const b = (m as SVGGraphicsElement).getBBox();
          return b.width > 0 || b.height > 0;
        });
        const box = svg?.getBoundingClientRect();
        return {
          id: s.id,
          marks: marks.length,
          drawn: drawn.length,
          width: box?.width ?? 0,
          height: box?.height ?? 0,
        };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual(chartIds);
    for (const c of charts) {
      expect(c.drawn, `${c.id}: drawn marks`).toBeGreaterThan(0);
      expect(c.width, `${c.id}: width`).toBeGreaterThan(100);
      expect(c.height, `${c.id}: height`).toBeGreaterThan(50);
    }
    expect(await page.locator('td.best').count()).toBeGreaterThan(0);

    await page.screenshot({ path: png, fullPage: true });
    // A blank page of this size compresses to a few kB; the report is far larger.
    expect(statSync(png).size).toBeGreaterThan(50_000);
    if (process.env['KEEP_REPORT_SCREENSHOT'] !== undefined) console.log(`screenshot: ${png}`);
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

describe('report in headless Chromium', () => {
  it('is available in CI', () => {
    if (inCi)
      expect(available, `chromium not found at ${CHROMIUM}; .ci/run must install it`).toBe(true);
  });

  it.skipIf(!available && !inCi)('loads offline without errors and draws every chart', async () => {
    const input = sampleReportInput();
    const file = join(dir, 'report.html');
    writeFileSync(file, await renderReport(input));
    const ids = buildCharts(input).map((c) => c.id);
    expect(ids).toEqual(['delta-m', 'train-loss', 'valid-metric', 'task-weights', 'grad-cosine']);
    await checkInBrowser(file, ids, join(dir, 'report.png'));
  });

  it.skipIf(!available && !inCi)('renders the report a real bench writes', async () => {
    const out = join(dir, 'bench');
    await runBench({
      plan: {
        format: 'manytask-bench-plan/1',
        base: {
          dataset: {
            id: 'mmoe-synthetic',
            dim: 6,
            numSines: 2,
            nTrain: 120,
            nValid: 40,
            nTest: 40,
          },
          architecture: { id: 'shared-bottom', hidden: [8] },
          epochs: 2,
          batchSize: 40,
          logEvery: 1,
        },
        methods: [
          { id: 'ew', options: {} },
          { id: 'upgrad', options: {} },
        ],
        seeds: [0, 1],
        notes: [],
      },
      out,
      io: { stdout: () => {}, stderr: () => {}, isTTY: false },
      interrupt: { requested: false },
    });
    const file = join(out, 'report.html');
    expect(readFileSync(file, 'utf8')).toContain('<!DOCTYPE html>');
    await checkInBrowser(
      file,
      ['delta-m', 'train-loss', 'valid-metric', 'task-weights', 'grad-cosine'],
      join(dir, 'bench.png'),
    );
  });
});
