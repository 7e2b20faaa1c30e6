import { describe, expect, it } from 'vitest';
import { evaluateToy, onParetoFront } from './problem.js';

function fd(x1: number, x2: number, scale: number): number[] {
  const h = 1e-6;
  const e = (a: number, b: number): Float64Array =>
    Float64Array.from(evaluateToy(a, b, scale).losses);
  const p1 = e(x1 + h, x2);
  const m1 = e(x1 - h, x2);
  const p2 = e(x1, x2 + h);
  const m2 = e(x1, x2 - h);
  return [
    (p1[0]! - m1[0]!) / (2 * h),
    (p2[0]! - m2[0]!) / (2 * h),
    (p1[1]! - m1[1]!) / (2 * h),
    (p2[1]! - m2[1]!) / (2 * h),
  ];
}

describe('toy problem', () => {
  it('matches hand-computed values at the documented Pareto point (0, −8.355)', () => {
    const { losses } = evaluateToy(0, -8.355);
    // REFERENCES §6.2: L1 = L2 = −15.092 there.
    expect(losses[0]).toBeCloseTo(-15.092, 3);
    expect(losses[1]).toBeCloseTo(-15.092, 3);
    expect(onParetoFront(0, -8.355)).toBe(true);
    expect(onParetoFront(-5.04, 2.15)).toBe(false);
  });
  it.each([
    [-8.5, 7.5, 1],
    [3.1, 2.2, 1],
    [9, -1, 0.1],
    [-4, -6, 1],
    [10, -8, 0.1],
  ])('analytic gradients equal central differences at (%f, %f), scale %f', (x1, x2, s) => {
    const { jacobian } = evaluateToy(x1, x2, s);
    fd(x1, x2, s).forEach((g, i) => expect(jacobian[i]).toBeCloseTo(g, 5));
  });
  it('follows PyTorch at the x₂ = 0 kink: both clamp branches pass their gradient', () => {
    const { jacobian } = evaluateToy(0, 0);
    // c₁ = c₂ = 0 and dc₁/dx₂ = 0.5, dc₂/dx₂ = −0.5 at x₂ = 0; ∂L/∂x₁ = 0.
    const f1 = Math.log(3.5) + 6; // |0.5·(−7) − 0| = 3.5
    const g1 = (49 + 6.4) / 10 - 20;
    expect(jacobian[0]).toBe(0);
    expect(jacobian[1]).toBeCloseTo(0.5 * f1 - 0.5 * g1, 12);
    expect(jacobian[1]).not.toBe(0);
  });
});
