import { describe, expect, it } from 'vitest';
import type { ReportInput } from '../../report/types.js';
import { formatResultsTable } from './bench.js';

const s = (mean: number, std = 0.01, n = 2) => ({ mean, std, n });

describe('formatResultsTable', () => {
  const input: ReportInput = {
    title: 't',
    kind: 'bench',
    dataset: 'd',
    architecture: 'a',
    tasks: [
      { id: 'a', kind: 'binary' },
      { id: 'b', kind: 'regression' },
    ],
    methods: [
      {
        method: 'ew',
        displayName: 'EW',
        test: { a: { auc: s(0.8) }, b: { mse: s(1.5) } },
        deltaM: s(1.25, 0.5),
        seconds: 2.04,
      },
      {
        method: 'pcgrad',
        displayName: 'PCGrad',
        test: { a: { auc: s(0.82) }, b: { mse: s(1.7) } },
        deltaM: s(-0.5, 0.25),
        seconds: 3.5,
      },
    ],
    baseline: { a: { auc: s(0.79) }, b: { mse: s(1.6) } },
    runs: [],
    config: {},
    versions: {},
  };

  it('prints an aligned table with mean ± std, Δm% and the best per column starred', () => {
    expect(formatResultsTable(input)).toBe(
      [
        'method                a auc↑             b mse↓            Δm%↓    s/run',
        '───────────  ─────────────────  ─────────────────  ──────────────  ───────',
        'single-task  0.7900 ± 0.0100    1.6000 ± 0.0100               0        —',
        'ew           0.8000 ± 0.0100    1.5000 ± 0.0100 *   1.25 ± 0.50      2.0',
        'pcgrad       0.8200 ± 0.0100 *  1.7000 ± 0.0100    −0.50 ± 0.25 *    3.5',
        '',
        '* best in column (↑ higher is better, ↓ lower is better)',
        '',
      ].join('\n'),
    );
  });
});
