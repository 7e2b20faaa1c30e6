/** Shared pieces of the Gramian weightings (G → w): pure host math, no TF.js. */
import { ShapeError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type {
  EmptyState,
  Gramian,
  StepContext,
  Weighting,
  WeightingResult,
} from '../core/types.js';

/** The state of every stateless weighting. */
export const EMPTY_STATE: EmptyState = Object.freeze({});

/** What a stateless weighting computes from G (weights plus optional warnings/diagnostics). */
export type StatelessWeigh = (
  gramian: Gramian,
  ctx: StepContext,
) => Omit<WeightingResult<EmptyState>, 'state'>;

/**
 * Builds a stateless {@link Weighting} from a function of the Gramian. The returned weights are
 * checked to have K entries (a programming error otherwise).
 */
export function stateless(id: string, weigh: StatelessWeigh): Weighting<EmptyState> {
  return {
    id,
    init: () => EMPTY_STATE,
    weigh(gramian, _state, ctx) {
      const r = weigh(gramian, ctx);
      if (r.weights.length !== gramian.k) {
        throw new ShapeError(
          `${id}: produced ${r.weights.length} weights for ${gramian.k} tasks (internal error; please report it)`,
        );
      }
      return { ...r, state: EMPTY_STATE };
    },
  };
}

/**
 * The loop of the gradient-surgery methods (PCGrad, GradVac) in Gramian form: for each task i,
 * ĝ_i = Jᵀc_i starts at g_i (c_i = e_i) and `correct(c_i, i, j)` updates c_i against every other
 * task j, in a fresh order `rng.permutation(K)` per i; returns w = Σ_i c_i, so d = Σ_i ĝ_i = Jᵀw.
 * Cost: K permutations and K(K − 1) corrections.
 */
export function correctEachTask(
  k: number,
  rng: Rng,
  correct: (c: Float64Array, i: number, j: number) => void,
): Float64Array {
  const w = new Float64Array(k);
  const c = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    c.fill(0);
    c[i] = 1;
    for (const j of rng.permutation(k)) if (j !== i) correct(c, i, j);
    for (let p = 0; p < k; p++) w[p]! += c[p]!;
  }
  return w;
}

/**
 * Expands an option given as one number for every task or as one number per task (a
 * `number|number[]` option) to K values.
 *
 * @throws {ShapeError} When an array does not have K entries (`noun` names one entry).
 */
export function perTaskValues(
  owner: string,
  option: string,
  noun: string,
  value: number | readonly number[],
  k: number,
): Float64Array {
  if (typeof value === 'number') return new Float64Array(k).fill(value);
  if (value.length !== k) {
    throw new ShapeError(
      `${owner}: option \`${option}\` has ${value.length} entries but there are ${k} tasks; pass one ${noun} per task or a single number`,
    );
  }
  return Float64Array.from(value);
}

/** Uniform weights 1/K (torchjd's default preference vector). */
export function uniform(k: number): Float64Array {
  return new Float64Array(k).fill(1 / k);
}

/** A weighting that carries its validated JSON options (what `fromWeighting` needs as `config`). */
export type ConfiguredWeighting<S = EmptyState> = Weighting<S> & {
  readonly config: Readonly<Record<string, unknown>>;
};

/** Adds `config` to a weighting. */
export function withConfig<S>(
  weighting: Weighting<S>,
  config: Readonly<Record<string, unknown>>,
): ConfiguredWeighting<S> {
  return { ...weighting, config };
}
