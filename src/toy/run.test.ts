import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../registry/registry.js';
import type { RegistryEntry } from '../registry/types.js';
import type { Aggregator, EmptyState } from '../core/types.js';
import { entries as lossEntries } from '../loss-weighting/entries.js';
import { runToy, toyOptions } from './run.js';

// The CAGrad variant (REFERENCES §6.2). EW runs the full 100k steps (about a second on the host
// path); FAMO a reduced 30k. EW (the mean gradient, equal to the sum up to Adam's
// invariance to a positive scale) ends in the upper valley from (−8.5, 7.5), (−8.5, 5) and (9, 9)
// and reaches (0, −8.355) with L1 = L2 = −15.092 from (0, 0) and (10, −8).
describe('runToy (reduced CAGrad variant)', () => {
  it('EW: 3 of 5 stuck at the documented points, 2 reach (0, −8.355)', () => {
    const r = runToy({ variant: 'cagrad', methods: [{ id: 'ew' }] });
    expect(r.map((x) => x.outcome)).toEqual(['stuck', 'stuck', 'pareto', 'stuck', 'pareto']);
    const near = (i: number, p: [number, number], tol: number): void => {
      expect(Math.abs(r[i]!.final[0] - p[0])).toBeLessThan(tol);
      expect(Math.abs(r[i]!.final[1] - p[1])).toBeLessThan(tol);
    };
    near(0, [-5.04, 2.15], 0.15);
    near(1, [-5.63, 0.84], 0.15);
    near(3, [5.05, 2.35], 0.15);
    near(2, [0, -8.355], 1e-3);
    near(4, [0, -8.355], 1e-3);
    expect(r[2]!.losses[0]).toBeCloseTo(-15.092, 3);
    expect(r[2]!.stationarity).toBeLessThan(1e-6);
    expect(r[0]!.stationarity).toBeGreaterThan(0.5); // stuck, not Pareto-stationary
    expect(r[0]!.path).toBe('loss-weighting');
    // Trajectories start at the init and end at the final point.
    expect(Array.from(r[0]!.trajectory.slice(0, 2))).toEqual([-8.5, 7.5]);
    expect(r[0]!.trajectory.at(-1)).toBe(r[0]!.final[1]);
  });

  it('FAMO (toy presets: γ = 0, L^min = −21) reaches the Pareto front from all five inits', () => {
    const r = runToy({ variant: 'cagrad', methods: [{ id: 'famo' }], iterations: 30_000 });
    expect(r.every((x) => x.outcome === 'pareto')).toBe(true);
    expect(r[0]!.options).toEqual({ weightDecay: 0, minLosses: [-21, -21] });
    expect(toyOptions('nash', { id: 'famo', options: { lr: 0.01 } })).toEqual({
      weightDecay: 0,
      minLosses: [-2.1, -21],
      lr: 0.01,
    });
  });

  it('MGDA (host weighting path) leaves the valley where EW sticks: documented Pareto points in 25k steps', () => {
    const r = runToy({
      variant: 'cagrad',
      methods: [{ id: 'mgda' }],
      inits: [
        [-8.5, 7.5],
        [9, 9],
      ],
      iterations: 25_000,
    });
    expect(r.map((x) => x.outcome)).toEqual(['pareto', 'pareto']);
    expect(r[0]!.path).toBe('weighting');
    // REFERENCES §6.2: MGDA ends on init-dependent Pareto points (−3.32, −8.37), (3.33, −8.37).
    expect(r[0]!.final[0]).toBeCloseTo(-3.32, 1);
    expect(r[1]!.final[0]).toBeCloseTo(3.33, 1);
    expect(r[0]!.final[1]).toBeCloseTo(-8.37, 1);
    expect(r[0]!.stationarity).toBeLessThan(1e-3);
  });

  it('runs aggregators without a weighting through tensors, without leaking', () => {
    const meanViaTensors: RegistryEntry<Aggregator<EmptyState>> = {
      id: 'tensor-mean',
      kind: 'aggregator',
      displayName: 'mean (tensor path)',
      summary: 'test double',
      reference: 'test double for the tensor path',
      options: {},
      create: () => ({
        id: 'tensor-mean',
        config: {},
        traits: {
          nonConflicting: 'never-claimed',
          permutationInvariant: true,
          linearUnderScaling: true,
          singleTask: 'identity',
          stochastic: false,
          stateful: false,
        },
        init: () => ({}),
        update: (j, s) => ({
          direction: { x: tf.tidy(() => tf.mean(j.blocks['x']!, 0)) },
          state: s,
        }),
      }),
    };
    const registry = createRegistry([...lossEntries, meanViaTensors as RegistryEntry]);
    const before = tf.memory().numTensors;
    const viaTensor = runToy({
      variant: 'cagrad',
      methods: [{ id: 'tensor-mean' }],
      inits: [[-8.5, 7.5]],
      iterations: 1000,
      registry,
    });
    expect(tf.memory().numTensors).toBe(before);
    const viaHost = runToy({
      variant: 'cagrad',
      methods: [{ id: 'ew' }],
      inits: [[-8.5, 7.5]],
      iterations: 1000,
    });
    expect(viaTensor[0]!.path).toBe('tensor');
    // Same trajectory up to float32 rounding of the Jacobian (Adam is invariant to mean vs sum).
    expect(viaTensor[0]!.final[0]).toBeCloseTo(viaHost[0]!.final[0], 2);
    expect(viaTensor[0]!.final[1]).toBeCloseTo(viaHost[0]!.final[1], 2);
  });

  it('rejects entries that are not methods and bad iteration counts', () => {
    expect(() => runToy({ variant: 'cagrad', methods: [{ id: 'ew' }], iterations: 0 })).toThrow(
      /iterations must be a positive integer/,
    );
    expect(() => runToy({ variant: 'cagrad', methods: [{ id: 'no-such-method' }] })).toThrow(
      /unknown id/,
    );
  });
});
