/** Option specs shared by the optimiser transforms (same option, same bounds, own default). */
import type { OptionSpec } from '../core/options.js';

/** `learningRate`: the step size η > 0. */
export function learningRateOption(defaultValue: number): OptionSpec {
  return {
    type: 'number',
    default: defaultValue,
    min: 0,
    exclusiveMin: true,
    description: 'step size η',
  };
}

/** A moving-average decay in [0, 0.999999] (1 would freeze the average). */
export function decayOption(defaultValue: number, description: string): OptionSpec {
  return { type: 'number', default: defaultValue, min: 0, max: 0.999999, description };
}

/** An ε > 0 that keeps a denominator away from zero. */
export function epsilonOption(defaultValue: number, description: string): OptionSpec {
  return { type: 'number', default: defaultValue, min: 0, exclusiveMin: true, description };
}
