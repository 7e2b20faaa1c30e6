// Every registered component is documented: a docs page per method and architecture, a row in
// docs/datasets.md per data set, and the facts `manytask list` shows (reference, cost, traits).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../src/registry/index.js';

const methodKinds = new Set(['aggregator', 'loss-weighting', 'regularizer', 'optimizer']);

describe('registry documentation coverage', () => {
  const entries = defaultRegistry.list();

  it('has unique lowercase kebab-case ids', () => {
    for (const e of entries) expect(e.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it.each(entries.filter((e) => methodKinds.has(e.kind)).map((e) => [e.id, e] as const))(
    'method %s has a docs page, a reference and a cost',
    (id, e) => {
      expect(existsSync(`docs/methods/${id}.md`), `docs/methods/${id}.md is missing`).toBe(true);
      expect(e.reference.length).toBeGreaterThan(10);
      expect(e.cost?.backward, `${id}: cost.backward missing`).toBeTruthy();
      if (e.kind === 'aggregator') expect(e.traits, `${id}: traits missing`).toBeDefined();
    },
  );

  it.each(entries.filter((e) => e.kind === 'architecture').map((e) => [e.id] as const))(
    'architecture %s has a docs page',
    (id) => {
      expect(
        existsSync(`docs/architectures/${id}.md`),
        `docs/architectures/${id}.md is missing`,
      ).toBe(true);
    },
  );

  it.each(entries.filter((e) => e.kind === 'dataset').map((e) => [e.id] as const))(
    'data set %s is described in docs/datasets.md',
    (id) => {
      expect(readFileSync('docs/datasets.md', 'utf8')).toContain(`\`${id}\``);
    },
  );
});
