/**
 * One shard of a data-parallel step: the gradient requests a shard serves on its own recorded
 * forward, scaled so that the shards' answers combine into the whole batch's answer.
 *
 * Why the scaling is per task: task k's loss is a weighted mean over its labelled rows,
 * `L_k = Σ_i r_ik l_ik / R_k` with `r = mask ⊙ rowWeights` and `R_k = Σ_i r_ik`. A shard w computes
 * the same expression over its rows, `L_wk`, so `L_k = Σ_w a_wk L_wk` with `a_wk = R_wk / R_k`
 * (0 when task k has no labelled row in the batch). Everything the engine differentiates is linear
 * in the losses, so each shard scales its answers by its shares and the main thread adds them up
 * (parameter gradients) or stacks their rows (feature gradients, which are per row). Auxiliary
 * losses are batch means or data-free terms: their share is the row fraction `n_w / B`.
 *
 * The same code serves the main thread's shard and every worker's, so the two cannot drift apart.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradientSession, JacobianMode, VariableGroup } from '../autodiff/jacobian.js';
import { FEATURE_KEY_PREFIX } from '../autodiff/jacobian.js';
import type { Batch, TaskSpec } from '../core/model.js';

/** A shard's part of the batch: its per-task loss shares `a_wk` and its row fraction `n_w / B`. */
export interface ShardShare {
  readonly tasks: Float64Array;
  readonly rows: number;
}

/** What a shard is asked for, once its forward is recorded. */
export type ShardRequest =
  | { readonly op: 'taskJacobian'; readonly mode: JacobianMode }
  | { readonly op: 'headGrads' }
  | {
      readonly op: 'backward';
      readonly lossWeights?: readonly number[];
      /** This shard's rows of the feature cotangents. */
      readonly features?: Readonly<Record<string, tf.Tensor>>;
      /** Weight of the additive terms in the whole batch's objective (0 = none). */
      readonly additive: number;
      readonly groups: readonly VariableGroup[];
    };

/** Result key prefixes: Jacobian blocks, head gradients, extra gradients, backward gradients. */
export const SHARD_KEY = { jacobian: 'J:', heads: 'H:', extra: 'X:', grad: 'G:' } as const;

/**
 * Row ranges of `b` rows over `n` shards, and every shard's share of each task's loss.
 * Reads the masks and row weights of `batch` (host values) when it has them.
 */
export function shardShares(
  batch: Batch,
  tasks: readonly TaskSpec[],
  ranges: readonly (readonly [number, number])[],
): ShardShare[] {
  const b = batch.size;
  const weights = batch.rowWeights?.dataSync();
  const shares = ranges.map(([lo, hi]) => ({
    tasks: new Float64Array(tasks.length),
    rows: (hi - lo) / b,
  }));
  tasks.forEach((t, k) => {
    const mask = batch.masks?.[t.id]?.dataSync();
    if (mask === undefined && weights === undefined) {
      shares.forEach((s) => (s.tasks[k] = s.rows));
      return;
    }
    // R_wk: the shard's sum of r_i = mask_i · rowWeight_i; a_wk = R_wk / R_k.
    const part = ranges.map(([lo, hi]) => {
      let sum = 0;
      for (let i = lo; i < hi; i++)
        sum += (mask === undefined || (mask[i] as number) > 0 ? 1 : 0) * (weights?.[i] ?? 1);
      return sum;
    });
    const total = part.reduce((x, y) => x + y, 0);
    shares.forEach((s, w) => (s.tasks[k] = total > 0 ? part[w]! / total : 0));
  });
  return shares;
}

/** `x` with row k of its leading axis multiplied by `a[k]`. */
function scaleRows(x: tf.Tensor, a: Float64Array): tf.Tensor {
  const shape = [a.length, ...x.shape.slice(1).map(() => 1)];
  return tf.mul(x, tf.reshape(tf.tensor1d(Float32Array.from(a)), shape));
}

/**
 * Serves `req` on a shard's session. Keys are `SHARD_KEY` prefixes plus `canon(variable name)` or
 * a `features:<i>` key; every tensor is owned by the caller and already multiplied by the shard's
 * shares. Jacobian blocks of features are this shard's rows (`[K, n_w, ...]`).
 */
export function serveShard(
  session: GradientSession,
  req: ShardRequest,
  share: ShardShare,
  canon: (name: string) => string,
): Record<string, tf.Tensor> {
  const vars = session.variables;
  const a = share.tasks;
  const out: Record<string, tf.Tensor> = {};
  const headsOut = (heads: Readonly<Record<string, tf.Tensor>>): void => {
    vars.tasks.forEach((t, k) => {
      for (const v of vars.heads[t]!) {
        const g = heads[v.name];
        if (g !== undefined) out[SHARD_KEY.heads + canon(v.name)] = tf.mul(g, a[k]!);
      }
    });
  };
  const key = (name: string): string => (name.startsWith(FEATURE_KEY_PREFIX) ? name : canon(name));
  return tf.tidy(() => {
    switch (req.op) {
      case 'taskJacobian': {
        const tg = session.taskJacobian(req.mode);
        for (const [n, blk] of Object.entries(tg.jacobian.blocks))
          out[SHARD_KEY.jacobian + key(n)] = scaleRows(blk, a);
        headsOut(tg.heads);
        // Σ_k ∂L_k/∂extra cannot be re-weighted per task after the sum: with unequal shares it
        // takes one more backward pass.
        const uniform = a.every((x) => x === a[0]);
        const extra =
          uniform || Object.keys(tg.extra).length === 0
            ? tg.extra
            : session.backward({ lossWeights: Array.from(a) }, ['extra']);
        for (const [n, g] of Object.entries(extra))
          out[SHARD_KEY.extra + canon(n)] = uniform ? tf.mul(g, a[0]!) : g;
        return out;
      }
      case 'headGrads':
        headsOut(session.headGrads());
        return out;
      case 'backward': {
        const g = session.backward(
          {
            ...(req.lossWeights !== undefined
              ? { lossWeights: req.lossWeights.map((w, k) => w * a[k]!) }
              : {}),
            ...(req.features !== undefined ? { features: req.features } : {}),
            additive: req.additive * share.rows,
          },
          req.groups,
        );
        for (const [n, t] of Object.entries(g)) out[SHARD_KEY.grad + canon(n)] = t;
        return out;
      }
    }
  });
}

/** Whether a result key is a per-row block (stacked along rows) rather than a summed gradient. */
export function isRowBlock(key: string): boolean {
  return key.startsWith(SHARD_KEY.jacobian + FEATURE_KEY_PREFIX);
}
