/**
 * Runs registered methods on the two-objective toy problem (REFERENCES §6) with Adam on x, the
 * way the CAGrad / Nash-MTL / FAMO toy scripts do, and classifies where each run ends.
 *
 * Speed matters (100k iterations × methods × 5 starts), so each method takes the cheapest exact
 * path: a Gramian weighting is called directly on the host 2×2 Gramian (`d = Jᵀw` on the host), a
 * loss weighting directly on the two losses, and only aggregators without a `weighting` go
 * through TF.js tensors (one 2×2 block per step).
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import type { Aggregator, Gramian, LossWeighting, StepContext, Weighting } from '../core/types.js';
import { hostOptimizerInit, hostStep } from '../linalg/host-optimizer.js';
import { defaultRegistry, type Registry } from '../registry/index.js';
import { evaluateToy, onParetoFront, TOY_VARIANTS, type ToyVariant } from './problem.js';

/** One method to run: a registry id with options. */
export interface ToyMethodSpec {
  readonly id: string;
  /** Options merged over the toy conventions of {@link toyPresets}. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** Options of {@link runToy}. */
export interface ToyRunOptions {
  readonly variant: ToyVariant;
  readonly methods: readonly ToyMethodSpec[];
  /** Default: the variant's (100k CAGrad, 35k Nash/FAMO). */
  readonly iterations?: number;
  /** Default: the variant's five inits. */
  readonly inits?: readonly (readonly [number, number])[];
  /** Adam learning rate on x (default 1e-3). */
  readonly lr?: number;
  /** Keep every n-th point of each trajectory (default: about 500 points per run). */
  readonly recordEvery?: number;
  /** Seed of `ctx.rng` for stochastic methods (default 0). */
  readonly seed?: number;
  readonly registry?: Registry;
  /** Called after each (method, init) run. */
  readonly onRun?: (done: number, total: number, result: ToyRunResult) => void;
}

/** Where a run ended. */
export type ToyOutcome = 'pareto' | 'stuck' | 'moving';

/** Result of one (method, init) run. */
export interface ToyRunResult {
  readonly method: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly init: readonly [number, number];
  readonly final: readonly [number, number];
  /** L₁, L₂ at the final point (L₁ scaled in the Nash variant). */
  readonly losses: readonly [number, number];
  /**
   * `pareto`: on the Pareto segment; `moving`: elsewhere but still travelling (over the last 10%
   * of iterations x moved more than 0.05 per 1000 steps); `stuck`: elsewhere and (nearly) still.
   */
  readonly outcome: ToyOutcome;
  /** ‖min-norm convex combination of ∇L₁, ∇L₂‖ at the final point (0 = Pareto-stationary). */
  readonly stationarity: number;
  /** Which evaluation path the method took. */
  readonly path: 'weighting' | 'loss-weighting' | 'tensor';
  /** Subsampled trajectory, `[x1, x2]` pairs in order (first and last point included). */
  readonly trajectory: Float64Array;
  /** Warnings the method emitted, grouped by message with numbers replaced by `#`, with counts. */
  readonly warnings: Readonly<Record<string, number>>;
}

/**
 * Toy-script conventions applied on top of each method's defaults, where the method has the option:
 * FAMO uses γ = 0 and `min_losses = (−21·s, −21)` (FAMO's `experiments/toy`); CAGrad uses
 * c = 0.5 and the toy script's `d/(1 + c)` (`rescale: 2`). PCGrad's toy script averages the
 * projected gradients where the library sums them; Adam is invariant to such a positive constant
 * up to its ε = 1e-8, so the library convention is kept.
 */
export function toyPresets(variant: ToyVariant): Readonly<Record<string, Record<string, unknown>>> {
  const s = TOY_VARIANTS[variant].scale;
  return {
    famo: { weightDecay: 0, minLosses: [-21 * s, -21] },
    cagrad: { c: 0.5, rescale: 2 },
  };
}

/** 2-task min-norm point of the convex hull {w∇L₁ + (1−w)∇L₂}: its norm (stationarity). */
function minNormTwo(j: Float64Array): number {
  const g11 = j[0]! * j[0]! + j[1]! * j[1]!;
  const g22 = j[2]! * j[2]! + j[3]! * j[3]!;
  const g12 = j[0]! * j[2]! + j[1]! * j[3]!;
  const den = g11 + g22 - 2 * g12;
  const w = den > 0 ? Math.min(1, Math.max(0, (g22 - g12) / den)) : 0.5;
  return Math.hypot(w * j[0]! + (1 - w) * j[2]!, w * j[1]! + (1 - w) * j[3]!);
}

interface Stepper {
  readonly path: ToyRunResult['path'];
  /** Writes the direction into `d` from the Jacobian and losses; returns warnings. */
  direction(jac: Float64Array, ctx: StepContext, d: Float64Array): readonly string[] | undefined;
  /** Called after the Adam step with the losses at the new point (FAMO). */
  after?(losses: Float64Array, ctx: StepContext): void;
  dispose(): void;
}

function weightingStepper<S>(w: Weighting<S>): Stepper {
  let state = w.init(2);
  const g = new Float64Array(4);
  const gramian: Gramian = { k: 2, data: g };
  return {
    path: 'weighting',
    direction(jac, ctx, d) {
      g[0] = jac[0]! * jac[0]! + jac[1]! * jac[1]!;
      g[3] = jac[2]! * jac[2]! + jac[3]! * jac[3]!;
      g[1] = g[2] = jac[0]! * jac[2]! + jac[1]! * jac[3]!;
      const r = w.weigh(gramian, state, ctx);
      state = r.state;
      const w0 = r.weights[0]!;
      const w1 = r.weights[1]!;
      d[0] = w0 * jac[0]! + w1 * jac[2]!;
      d[1] = w0 * jac[1]! + w1 * jac[3]!;
      return r.warnings;
    },
    dispose() {},
  };
}

function lossStepper<S>(m: LossWeighting<S>): Stepper {
  let state = m.init(2);
  const afterStep = m.needsLossesAfterStep === true ? m.afterStep : undefined;
  return {
    path: 'loss-weighting',
    direction(jac, ctx, d) {
      const r = m.weigh(ctx.losses, state, ctx);
      state = r.state;
      const w0 = r.weights[0]!;
      const w1 = r.weights[1]!;
      d[0] = w0 * jac[0]! + w1 * jac[2]!;
      d[1] = w0 * jac[1]! + w1 * jac[3]!;
      return r.warnings;
    },
    ...(afterStep !== undefined
      ? {
          after(losses: Float64Array, ctx: StepContext) {
            state = afterStep(losses, state, ctx);
          },
        }
      : {}),
    dispose() {},
  };
}

function tensorStepper<S>(agg: Aggregator<S>): Stepper {
  let state = agg.init({ tasks: ['L1', 'L2'], blocks: { x: [2] } });
  return {
    path: 'tensor',
    direction(jac, ctx, d) {
      const block = tf.tensor2d(Float32Array.from(jac), [2, 2], 'float32');
      try {
        const r = agg.update({ tasks: ctx.tasks, blocks: { x: block } }, state, ctx);
        const prev = state;
        state = r.state;
        disposeState(prev, state);
        const dx = r.direction['x'];
        if (dx === undefined) {
          throw new ConfigError(`toy: aggregator '${agg.id}' returned no direction for block 'x'`);
        }
        const v = dx.dataSync();
        d[0] = v[0]!;
        d[1] = v[1]!;
        tf.dispose(Object.values(r.direction));
        return r.warnings;
      } finally {
        block.dispose();
      }
    },
    dispose() {
      disposeState(state, undefined);
    },
  };
}

/** Disposes the tensors of `prev` that `next` does not keep (stateful tensor aggregators). */
function disposeState(prev: unknown, next: unknown): void {
  const keep = new Set<tf.Tensor>();
  const collect = (v: unknown, out: tf.Tensor[]): void => {
    if (v instanceof tf.Tensor) out.push(v);
    else if (Array.isArray(v)) v.forEach((x) => collect(x, out));
    else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v))
      Object.values(v).forEach((x) => collect(x, out));
  };
  const nextT: tf.Tensor[] = [];
  collect(next, nextT);
  nextT.forEach((t) => keep.add(t));
  const prevT: tf.Tensor[] = [];
  collect(prev, prevT);
  for (const t of prevT) if (!keep.has(t) && !t.isDisposed) t.dispose();
}

function makeStepper(registry: Registry, id: string, options: Record<string, unknown>): Stepper {
  const entry = registry.get(id);
  if (entry.kind === 'loss-weighting') {
    return lossStepper(entry.create(options) as LossWeighting<unknown>);
  }
  if (entry.kind === 'aggregator') {
    const agg = entry.create(options) as Aggregator<unknown>;
    return agg.weighting !== undefined ? weightingStepper(agg.weighting) : tensorStepper(agg);
  }
  throw new ConfigError(
    `toy: '${id}' is a ${entry.kind}; the toy runs aggregators and loss weightings (see \`manytask list\`)`,
  );
}

/** Resolves a method's options: toy presets (for options the method has) under the user's. */
export function toyOptions(
  variant: ToyVariant,
  spec: ToyMethodSpec,
  registry: Registry = defaultRegistry,
): Record<string, unknown> {
  const entry = registry.get(spec.id);
  const preset = toyPresets(variant)[spec.id] ?? {};
  const applicable = Object.fromEntries(Object.entries(preset).filter(([k]) => k in entry.options));
  return { ...applicable, ...(spec.options ?? {}) };
}

/**
 * Runs every method from every init with Adam (β = (0.9, 0.999), ε = 1e-8) on x.
 *
 * @throws {ConfigError} For an unknown id or a registry entry that is not a method.
 */
export function runToy(opts: ToyRunOptions): ToyRunResult[] {
  const spec = TOY_VARIANTS[opts.variant];
  const registry = opts.registry ?? defaultRegistry;
  const iterations = opts.iterations ?? spec.iterations;
  const inits = opts.inits ?? spec.inits;
  const lr = opts.lr ?? 1e-3;
  const every = opts.recordEvery ?? Math.max(1, Math.floor(iterations / 500));
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new ConfigError(`toy: iterations must be a positive integer, got ${iterations}`);
  }
  const results: ToyRunResult[] = [];
  const total = opts.methods.length * inits.length;
  const tail = Math.max(1, Math.floor(iterations / 10));
  for (const m of opts.methods) {
    const options = toyOptions(opts.variant, m, registry);
    for (const init of inits) {
      const stepper = makeStepper(registry, m.id, options);
      const rng = createRng(opts.seed ?? 0);
      const evalBuf = { losses: new Float64Array(2), jacobian: new Float64Array(4) };
      const afterBuf = { losses: new Float64Array(2), jacobian: new Float64Array(4) };
      let x: Float64Array = Float64Array.from(init);
      let opt = hostOptimizerInit(2);
      const d = new Float64Array(2);
      const traj: number[] = [];
      const warnings: Record<string, number> = {};
      let tailStart: [number, number] = [x[0]!, x[1]!];
      try {
        for (let it = 0; it < iterations; it++) {
          if (it % every === 0) traj.push(x[0]!, x[1]!);
          if (it === iterations - tail) tailStart = [x[0]!, x[1]!];
          evaluateToy(x[0]!, x[1]!, spec.scale, evalBuf);
          const ctx: StepContext = {
            step: it,
            epoch: 0,
            tasks: ['L1', 'L2'],
            losses: evalBuf.losses,
            rng,
          };
          const w = stepper.direction(evalBuf.jacobian, ctx, d);
          if (w !== undefined) {
            // Numbers vary per step (residuals, counts): group by the message's shape.
            for (const msg of w) {
              const key = msg.replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/g, '#');
              warnings[key] = (warnings[key] ?? 0) + 1;
            }
          }
          const next = hostStep(x, d, opt, { kind: 'adam', lr });
          x = next.params;
          opt = next.state;
          if (stepper.after !== undefined) {
            evaluateToy(x[0]!, x[1]!, spec.scale, afterBuf);
            stepper.after(afterBuf.losses, { ...ctx, losses: afterBuf.losses });
          }
        }
      } finally {
        stepper.dispose();
      }
      traj.push(x[0]!, x[1]!);
      const final = evaluateToy(x[0]!, x[1]!, spec.scale);
      const travelled = Math.hypot(x[0]! - tailStart[0], x[1]! - tailStart[1]);
      const outcome: ToyOutcome = onParetoFront(x[0]!, x[1]!)
        ? 'pareto'
        : travelled > (0.05 * tail) / 1000
          ? 'moving'
          : 'stuck';
      const result: ToyRunResult = {
        method: m.id,
        options,
        init,
        final: [x[0]!, x[1]!],
        losses: [final.losses[0]!, final.losses[1]!],
        outcome,
        stationarity: minNormTwo(final.jacobian),
        path: stepper.path,
        trajectory: Float64Array.from(traj),
        warnings,
      };
      results.push(result);
      opts.onRun?.(results.length, total, result);
    }
  }
  return results;
}
