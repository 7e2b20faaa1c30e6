/** A StepContext for host-side unit tests. */
import { createRng } from '../../src/core/rng.js';
import type { StepContext } from '../../src/core/types.js';

export function stepContext(
  losses: ArrayLike<number>,
  opts: { step?: number; epoch?: number; seed?: number } = {},
): StepContext {
  const l = Float64Array.from(losses);
  return {
    step: opts.step ?? 0,
    epoch: opts.epoch ?? 0,
    tasks: Array.from(l, (_, i) => `t${i}`),
    losses: l,
    rng: createRng(opts.seed ?? 0),
  };
}

/** Central finite-difference gradient of a host function of K losses (float64). */
export function fdGradient(
  f: (l: Float64Array) => number,
  at: ArrayLike<number>,
  h = 1e-6,
): number[] {
  const x = Float64Array.from(at);
  return Array.from(x, (_, i) => {
    const p = Float64Array.from(x);
    const m = Float64Array.from(x);
    p[i] = p[i]! + h;
    m[i] = m[i]! - h;
    return (f(p) - f(m)) / (2 * h);
  });
}
