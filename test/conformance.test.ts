// The conformance suite over EVERY aggregator in the default registry, so that methods added
// later are covered automatically. Per-method settings below are explicit and commented.
import { describe, expect, test } from 'vitest';
import type { Aggregator } from '../src/core/types.js';
import { defaultRegistry } from '../src/registry/index.js';
import {
  describeAggregatorConformance,
  type ConformanceOptions,
} from '../src/testing/conformance.js';

/** Settings that a method needs to be exercised at all (never to hide a failing check). */
const SETTINGS: Readonly<Record<string, ConformanceOptions>> = {
  // Krum needs K ≥ nByzantine + 3 (3 with the defaults); at K = 3 each score is the distance to
  // the nearest row, so mutual nearest neighbours tie exactly and float32 rounding picks the
  // winner. K = 5 has no structural ties.
  krum: { taskCounts: [5] },
  // Trimmed mean needs K ≥ 2·trim + 1 (3 with the defaults).
  'trimmed-mean': { taskCounts: [3, 5] },
  // CoGrad's auxiliary term is cubic in the gradient scale: at |J| = 1e10 it overflows float32 and
  // the method throws NumericalError by design (the engine skips such steps).
  cograd: { structureScales: [0, 1e-10, 1, 1e3] },
  // Non-conflicting up to their ridge regEps = 1e-4 on the trace-normalised Gramian (torchjd's
  // default): (Gw)_k ≥ −regEps·trace(G)·w_k.
  upgrad: { ridge: 1e-4 },
  dualproj: { ridge: 1e-4 },
};

const aggregators = defaultRegistry.list('aggregator');

describe('registry', () => {
  test('has the foundation aggregators', () => {
    const ids = aggregators.map((e) => e.id);
    for (const id of [
      'mean',
      'sum',
      'constant',
      'random',
      'mgda',
      'pcgrad',
      'gradvac',
      'upgrad',
      'dualproj',
      'cagrad',
      'imtl-g',
      'aligned-mtl',
      'nash-mtl',
      'config',
      'graddrop',
    ]) {
      expect(ids).toContain(id);
    }
  });
});

for (const entry of aggregators) {
  if (entry.traits === undefined) {
    test(`${entry.id} declares traits`, () => expect(entry.traits).toBeDefined());
    continue;
  }
  describeAggregatorConformance(
    entry.id,
    (o) => defaultRegistry.create<Aggregator<unknown>>(entry.id, o, 'aggregator'),
    entry.traits,
    { id: entry.id, ...SETTINGS[entry.id] },
  );
}
