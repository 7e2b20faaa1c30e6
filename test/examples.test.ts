// The README's library example is examples/quickstart.ts verbatim, and it runs and learns.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('README example', () => {
  it('is examples/quickstart.ts verbatim', () => {
    const example = readFileSync('examples/quickstart.ts', 'utf8').trim();
    expect(readFileSync('README.md', 'utf8')).toContain(example);
  });

  it('trains MMoE with UPGrad on marketing-income and beats chance on both tasks', async () => {
    const { result } = await import('../examples/quickstart.js');
    expect(result.perTask['income_high']?.['auc']).toBeGreaterThan(0.75);
    expect(result.perTask['never_married']?.['auc']).toBeGreaterThan(0.8);
  }, 120_000);
});
