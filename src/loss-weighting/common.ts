/** Host helpers shared by the loss weightings: input checks, softmax, state copies. */
import { NumericalError, ShapeError } from '../core/errors.js';
import type { EmptyState, LossWeighting, StepContext, WeightingResult } from '../core/types.js';

/**
 * Checks that `losses` has one finite value per task. The library policy (ALGORITHMS §0.3) is to
 * skip a step with a non-finite loss; the trainer does that, so a NaN reaching a weighting is a bug
 * upstream and is reported, never replaced.
 */
export function checkLosses(
  owner: string,
  losses: Float64Array,
  numTasks: number,
  ctx?: StepContext,
): void {
  if (losses.length !== numTasks) {
    throw new ShapeError(
      `${owner}: got ${losses.length} losses but the state was initialised for ${numTasks} tasks; call init(${losses.length}) again`,
    );
  }
  for (let i = 0; i < losses.length; i++) {
    if (!Number.isFinite(losses[i]!)) {
      const task = ctx?.tasks[i];
      throw new NumericalError(
        `${owner}: loss of task ${task ?? i} is ${losses[i]}; skip the step (the trainer does) instead of weighting a non-finite loss`,
        {
          ...(task !== undefined ? { task } : {}),
          ...(ctx !== undefined ? { step: ctx.step } : {}),
        },
      );
    }
  }
}

/**
 * A stateless {@link LossWeighting}: `weigh` gets losses already checked by {@link checkLosses}
 * (one finite value per task) and returns the weights and optional warnings/diagnostics; the
 * state is `{}` and passes through unchanged.
 */
export function statelessLossWeighting(
  id: string,
  config: Readonly<Record<string, unknown>>,
  weigh: (losses: Float64Array, ctx: StepContext) => Omit<WeightingResult<EmptyState>, 'state'>,
): LossWeighting<EmptyState> {
  return {
    id,
    config,
    init: () => ({}),
    weigh(losses, state, ctx) {
      checkLosses(id, losses, losses.length, ctx);
      return { ...weigh(losses, ctx), state };
    },
  };
}

/** Throws unless every loss is strictly greater than `floor` (logarithmic methods). */
export function checkAbove(
  owner: string,
  losses: Float64Array,
  floor: Float64Array | number,
  ctx?: StepContext,
): void {
  for (let i = 0; i < losses.length; i++) {
    const f = typeof floor === 'number' ? floor : floor[i]!;
    if (!(losses[i]! > f)) {
      const task = ctx?.tasks[i];
      throw new NumericalError(
        `${owner}: loss of task ${task ?? i} is ${losses[i]}, not above its lower bound ${f}; this method takes the log of the loss, so use a positive loss (or set \`minLosses\` below it)`,
        {
          ...(task !== undefined ? { task } : {}),
          ...(ctx !== undefined ? { step: ctx.step } : {}),
        },
      );
    }
  }
}

/** Numerically stable softmax of `x / temperature`. */
export function softmax(x: Float64Array, temperature = 1): Float64Array {
  let m = -Infinity;
  for (const v of x) m = Math.max(m, v / temperature);
  const out = new Float64Array(x.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    out[i] = Math.exp(x[i]! / temperature - m);
    s += out[i]!;
  }
  for (let i = 0; i < x.length; i++) out[i] = out[i]! / s;
  return out;
}

/**
 * Vector–Jacobian product of softmax: `J_softmax(ξ)ᵀ·δ = z ⊙ (δ − ⟨z, δ⟩)` with `z = softmax(ξ)`
 * (the Jacobian is symmetric).
 */
export function softmaxVjp(z: Float64Array, delta: Float64Array): Float64Array {
  let dot = 0;
  for (let i = 0; i < z.length; i++) dot += z[i]! * delta[i]!;
  const out = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = z[i]! * (delta[i]! - dot);
  return out;
}

/** A `Float64Array` of `n` copies of `v`. */
export function filled(n: number, v: number): Float64Array {
  return new Float64Array(n).fill(v);
}

/** Reads an optional per-task vector option (`number[]`), checking its length. */
export function perTaskVector(
  owner: string,
  option: string,
  value: readonly number[] | undefined,
  numTasks: number,
  fallback: number,
): Float64Array {
  if (value === undefined) return filled(numTasks, fallback);
  if (value.length !== numTasks) {
    throw new ShapeError(
      `${owner}: option \`${option}\` has ${value.length} entries but there are ${numTasks} tasks; give one value per task`,
    );
  }
  return Float64Array.from(value);
}
