import { describe, expect, test } from 'vitest';
import { gramianOf, stepContext } from '../testing/host.js';
import { gradvacWeighting } from './gradvac.js';
import { pcgradWeighting } from './pcgrad.js';

const rows = [
  [-4, 1, 1],
  [6, 1, 1],
];
const g = gramianOf(rows);
const cos = (a: number[], b: number[]) => {
  const d = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
  return d(a, b) / Math.sqrt(d(a, a) * d(b, b));
};

describe('gradvac weighting', () => {
  test('fresh targets: the first step equals PCGrad; the targets move to β·ρ', () => {
    const gv = gradvacWeighting();
    const r = gv.weigh(g, gv.init(2), stepContext({ numTasks: 2 }));
    const pc = pcgradWeighting().weigh(g, {}, stepContext({ numTasks: 2 })).weights;
    expect(r.weights[0]).toBeCloseTo(pc[0]!, 6);
    expect(r.weights[1]).toBeCloseTo(pc[1]!, 6);
    const rho = cos(rows[0]!, rows[1]!);
    expect(r.state.targets[1]).toBeCloseTo(0.5 * rho, 8);
    expect(r.state.targets[2]).toBeCloseTo(0.5 * rho, 8);
  });

  test('second step: the corrected gradient reaches the target cosine exactly', () => {
    const gv = gradvacWeighting();
    const s0 = gv.init(2);
    const s1 = gv.weigh(g, s0, stepContext({ numTasks: 2 })).state;
    expect(Array.from(s0.targets)).toEqual([0, 0, 0, 0]);
    const w = gv.weigh(g, s1, stepContext({ numTasks: 2, seed: 1 })).weights;
    // For K = 2: ĝ₁ = g₁ + (w₂ − 1)·g₂.
    const g1hat = rows[0]!.map((v, i) => v + (w[1]! - 1) * rows[1]![i]!);
    expect(cos(g1hat, rows[1]!)).toBeCloseTo(s1.targets[1]!, 6);
  });

  test("emaUpdate 'always' moves targets without a conflict; 'on-conflict' does not", () => {
    const pos = gramianOf([
      [1, 0],
      [1, 1],
    ]);
    const a = gradvacWeighting({ emaUpdate: 'always', beta: 0.1 });
    const ra = a.weigh(pos, a.init(2), stepContext({ numTasks: 2 }));
    expect(ra.state.targets[1]).toBeCloseTo(0.1 * Math.SQRT1_2, 8);
    expect(Array.from(ra.weights)).toEqual([1, 1]);
    const b = gradvacWeighting();
    expect(Array.from(b.weigh(pos, b.init(2), stepContext({ numTasks: 2 })).state.targets)).toEqual(
      [0, 0, 0, 0],
    );
  });

  test('a state for another task count is a ShapeError naming init', () => {
    const gv = gradvacWeighting();
    expect(() => gv.weigh(g, gv.init(3), stepContext({ numTasks: 2 }))).toThrow(/call init again/);
    expect(() => gradvacWeighting({ beta: 2 })).toThrow(
      /gradvac: option `beta` must be ≤ 1, got 2/,
    );
  });
});
