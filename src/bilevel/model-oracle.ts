/**
 * A {@link BilevelOracle} over an {@link MtlModel}: what the trainer hands to a bi-level method.
 *
 * Evaluating at parameters other than θ assigns them to the model's variables for the duration of
 * the call and restores θ afterwards (LibMTL deep-copies the model instead; assignment needs no
 * second model and is restored even when the forward throws). Gradients cover every trainable
 * variable (shared, per-task heads, extra), keyed by variable name.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import type { Batch, ForwardOptions, MtlModel } from '../core/model.js';
import { rngFromState } from '../core/rng.js';
import type { ParamTree, TaskJacobian } from '../core/types.js';
import { modelVariables, recordForward, type GradientSession } from '../autodiff/jacobian.js';
import type { BilevelBatch, BilevelOracle } from './types.js';

/** Inputs of {@link createModelOracle}. */
export interface ModelOracleOptions {
  readonly model: MtlModel;
  /** The two extra batches (LibMTL: half the training batch size each). Borrowed. */
  readonly batches: Readonly<Record<BilevelBatch, Batch>>;
  /** The model optimiser's learning rate at this step. */
  readonly learningRate: number;
  /**
   * Forward options of the oracle's passes (training flag, seeded rng, step). Every evaluation
   * replays the rng from its state at creation (common random numbers): the losses at θ + εv and
   * θ − εv see the same dropout masks and Gumbel noise, so their difference measures the
   * parameters' effect rather than the noise. The given rng is not advanced.
   */
  readonly forward: ForwardOptions;
}

/**
 * Builds the oracle. `params` are clones of the variables at creation (θ); call `dispose()` when
 * the step is done.
 */
export function createModelOracle(o: ModelOracleOptions): BilevelOracle & { dispose(): void } {
  const vars = modelVariables(o.model);
  const rngStart = o.forward.rng.state();
  const names = [...vars.byName.keys()];
  const params: ParamTree = Object.fromEntries(
    names.map((n) => [n, tf.keep(vars.byName.get(n)!.clone())]),
  );
  const on = <T>(b: BilevelBatch, p: ParamTree | undefined, f: (s: GradientSession) => T): T => {
    if (p !== undefined) {
      for (const n of names) {
        const v = p[n];
        if (v === undefined) {
          throw new ConfigError(`bilevel oracle: parameters are missing variable '${n}'`);
        }
        vars.byName.get(n)!.assign(v);
      }
    }
    let session: GradientSession | undefined;
    try {
      session = recordForward(o.model, o.batches[b], {
        forward: { ...o.forward, rng: rngFromState(rngStart) },
        variables: vars,
      });
      return f(session);
    } finally {
      session?.dispose();
      if (p !== undefined) for (const n of names) vars.byName.get(n)!.assign(params[n]!);
    }
  };
  const all = ['shared', 'heads', 'extra'] as const;
  return {
    tasks: vars.tasks,
    params,
    learningRate: o.learningRate,
    losses: (b, p) => on(b, p, (s) => Float64Array.from(s.lossVector.dataSync())),
    gradient: (b, w, p) => on(b, p, (s) => s.backward({ lossWeights: w }, all)),
    jacobian: (b, p): TaskJacobian =>
      on(b, p, (s) => {
        const k = vars.tasks.length;
        const rows: ParamTree[] = [];
        try {
          for (let i = 0; i < k; i++) {
            const e = new Float64Array(k);
            e[i] = 1;
            rows.push(s.backward({ lossWeights: e }, all));
          }
          const blocks = tf.tidy(() =>
            Object.fromEntries(names.map((n) => [n, tf.stack(rows.map((r) => r[n]!))])),
          );
          return { tasks: vars.tasks, blocks };
        } finally {
          for (const r of rows) tf.dispose(Object.values(r));
        }
      }),
    dispose: () => tf.dispose(Object.values(params)),
  };
}
