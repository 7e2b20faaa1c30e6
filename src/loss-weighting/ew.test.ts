import { describe, expect, it } from 'vitest';
import { ConfigError, NumericalError } from '../core/errors.js';
import { defaultRegistry } from '../registry/index.js';
import { stepContext } from '../../test/helpers/step-context.js';
import { ew } from './ew.js';
import { si } from './si.js';
import { gls } from './gls.js';
import { fdGradient } from '../../test/helpers/step-context.js';

describe('ew', () => {
  it('gives weights 1 (sum) or 1/K (mean)', () => {
    const l = [3, 0.5, 7];
    expect(Array.from(ew().weigh(Float64Array.from(l), {}, stepContext(l)).weights)).toEqual([
      1, 1, 1,
    ]);
    const m = ew({ reduction: 'mean' }).weigh(Float64Array.from(l), {}, stepContext(l)).weights;
    for (const v of m) expect(v).toBeCloseTo(1 / 3, 15);
  });
  it('rejects unknown options and non-finite losses, naming the task', () => {
    expect(() => ew({ mode: 'x' } as never)).toThrow(ConfigError);
    const l = [1, Number.NaN];
    expect(() => ew().weigh(Float64Array.from(l), {}, stepContext(l, { step: 7 }))).toThrow(
      /ew: loss of task t1 is NaN/,
    );
    try {
      ew().weigh(Float64Array.from(l), {}, stepContext(l, { step: 7 }));
    } catch (e) {
      expect(e).toBeInstanceOf(NumericalError);
      expect((e as NumericalError).step).toBe(7);
      expect((e as NumericalError).task).toBe('t1');
    }
  });
  it('rebuilds from its config through the registry', () => {
    const m = ew({ reduction: 'mean' });
    const again = defaultRegistry.create<typeof m>('ew', m.config, 'loss-weighting');
    expect(again.config).toEqual(m.config);
  });
});

describe('si', () => {
  it('weights are 1/L (the gradient of Σ log L)', () => {
    const l = [2, 0.5, 10];
    const w = si().weigh(Float64Array.from(l), {}, stepContext(l)).weights;
    expect(Array.from(w)).toEqual([0.5, 2, 0.1]);
  });
  it('refuses non-positive losses', () => {
    expect(() => si().weigh(Float64Array.from([1, 0]), {}, stepContext([1, 0]))).toThrow(
      NumericalError,
    );
  });
});

describe('gls', () => {
  it('golden: L = [1, 4] gives GM = 2 and w = GM/(K·L) = [1, 0.25]', () => {
    const r = gls().weigh(Float64Array.from([1, 4]), {}, stepContext([1, 4]));
    expect(r.weights[0]).toBeCloseTo(1, 14);
    expect(r.weights[1]).toBeCloseTo(0.25, 14);
    expect(r.diagnostics?.['glsObjective']).toBeCloseTo(2, 14);
  });
  it('weights equal the finite-difference gradient of the geometric mean', () => {
    const l = [0.3, 2.5, 1.7, 0.01];
    const gm = (x: Float64Array): number =>
      Math.exp(x.reduce((s, v) => s + Math.log(v), 0) / x.length);
    const w = gls().weigh(Float64Array.from(l), {}, stepContext(l)).weights;
    const fd = fdGradient(gm, l, 1e-7);
    w.forEach((v, i) => expect(v).toBeCloseTo(fd[i]!, 6));
  });
});
