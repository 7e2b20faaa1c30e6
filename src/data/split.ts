/** Seeded train / validation / test splits of row indices. */
import { ConfigError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';

/** Fractions of the rows held out; the training split gets the rest. */
export interface SplitFractions {
  readonly validFraction: number;
  readonly testFraction: number;
}

/** Row indices of the three splits, each sorted ascending. */
export interface SplitIndices {
  readonly train: Int32Array;
  readonly valid: Int32Array;
  readonly test: Int32Array;
}

/**
 * Splits rows 0..n−1 with one seeded permutation: the first `round(n·testFraction)` permuted rows
 * are the test split, the next `round(n·validFraction)` the validation split, the rest the
 * training split. Each split is returned in ascending row order (file order), so results do not
 * depend on the permutation beyond membership. Consumes one `rng.permutation(n)`.
 *
 * @throws ConfigError when a fraction is outside [0, 1) or the training split would be empty.
 */
export function seededSplit(n: number, fractions: SplitFractions, rng: Rng): SplitIndices {
  const { validFraction, testFraction } = fractions;
  for (const [name, f] of [
    ['validFraction', validFraction],
    ['testFraction', testFraction],
  ] as const) {
    if (!Number.isFinite(f) || f < 0 || f >= 1) {
      throw new ConfigError(`seededSplit: option \`${name}\` must be in [0, 1), got ${f}`);
    }
  }
  const nTest = Math.round(n * testFraction);
  const nValid = Math.round(n * validFraction);
  if (n - nTest - nValid < 1) {
    throw new ConfigError(
      `seededSplit: validFraction ${validFraction} + testFraction ${testFraction} leave no training rows out of ${n}; lower the fractions`,
    );
  }
  const perm = rng.permutation(n);
  const part = (a: number, b: number): Int32Array => perm.slice(a, b).sort();
  return {
    test: part(0, nTest),
    valid: part(nTest, nTest + nValid),
    train: part(nTest + nValid, n),
  };
}

/** 0..n−1. */
export function allRows(n: number): Int32Array {
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  return r;
}
