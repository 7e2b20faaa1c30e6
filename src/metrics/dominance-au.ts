/**
 * AU / rAU task-dominance metric (AdaTask, ALGORITHMS.md §4.3).
 *
 * For a scalar shared parameter q, task k and step t, Δ_qkt is the part of the step-t update of q
 * that task k contributes. The exponentially decaying Average of the squared Updates
 *
 *     AU_qk(t) = β·AU_qk(t−1) + (1 − β)·Δ_qkt²,  AU_qk(0) = 0,  β = 0.999 by default
 *
 * measures how much task k moves q; the relative share rAU_qk = AU_qk / Σ_j AU_qj (1/K when all
 * are 0) is 1/K for a perfectly balanced parameter and 1 for a parameter dominated by one task.
 *
 * Evidence: the AU definition is from the paper's abstract; the rAU normalisation is
 * [RECON] (reconstructed from the abstract and a third-party summary; see docs/methods/adatask.md).
 *
 * What Δ_qkt is depends on the optimiser (see {@link dominanceTracker}):
 * - AdaTask (Adam): lr·m̂_qk/(√v̂_qk + ε), exactly separable — AdaTask reports it itself;
 * - plain Adam on Σ_k L_k: lr·m̂_qk/(√v̂_q + ε), with a per-task first-moment EMA m_k tracked only
 *   for the metric and the *shared* second moment v̂_q (why the task with larger gradients
 *   dominates: it owns the shared denominator);
 * - SGD: lr·g_qk.
 *
 * State lives on the device (`[K, ...shape]` per tracked block); {@link dominanceSummary} reads
 * back K numbers per block plus a histogram (one read-back). Cost: K extra tensors per tracked
 * parameter; sample it every N steps or track a subset of the blocks to save time.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { JacobianSpec, ParamTree, TaskId, TaskJacobian } from '../core/types.js';

/** AU accumulators: one `[K, ...shape]` tensor per block (shared variable). */
export interface AuState {
  readonly count: number;
  readonly au: Readonly<Record<string, tf.Tensor>>;
}

/** Zero AU state for the blocks of `spec` (owned by the caller). */
export function auInit(spec: JacobianSpec, blocks?: readonly string[]): AuState {
  const k = spec.tasks.length;
  const names = blocks ?? Object.keys(spec.blocks);
  return tf.tidy(() => {
    const au: Record<string, tf.Tensor> = {};
    for (const name of names) {
      const shape = spec.blocks[name];
      if (shape === undefined) {
        throw new ShapeError(`auInit: block '${name}' is not in the Jacobian spec`);
      }
      au[name] = tf.zeros([k, ...shape]);
    }
    return { count: 0, au };
  });
}

/**
 * One AU step: AU ← β·AU + (1 − β)·Δ² for every tracked block. `deltas[name]` is `[K, ...shape]`
 * (row k = task k's contribution to the update). Blocks of `deltas` that are not tracked are
 * ignored. Inputs are borrowed; the new state is owned by the caller (the old one is not freed).
 */
export function auUpdate(state: AuState, deltas: ParamTree, beta: number): AuState {
  for (const name of Object.keys(state.au)) {
    const d = deltas[name];
    if (d === undefined) {
      throw new ShapeError(`auUpdate: no per-task update for tracked block '${name}'`);
    }
    if (!tf.util.arraysEqual(d.shape, state.au[name]!.shape)) {
      throw new ShapeError(
        `auUpdate: block '${name}' has per-task updates of shape [${d.shape.join(', ')}], the AU state has [${state.au[name]!.shape.join(', ')}]`,
      );
    }
  }
  return tf.tidy(() => {
    const au: Record<string, tf.Tensor> = {};
    for (const [name, a] of Object.entries(state.au)) {
      au[name] = tf.add(tf.mul(a, beta), tf.mul(tf.square(deltas[name]!), 1 - beta));
    }
    return { count: state.count + 1, au };
  });
}

/** `[K, ...shape]` → rAU per parameter (1/K where every task's AU is 0). */
export function relativeAu(au: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const k = au.shape[0]!;
    const total = tf.sum(au, 0, true);
    const safe = tf.where(tf.greater(total, 0), total, tf.onesLike(total));
    return tf.where(
      tf.greater(tf.broadcastTo(total, au.shape), 0),
      tf.div(au, safe),
      tf.fill(au.shape, 1 / k),
    );
  });
}

/** Per-layer dominance summary (host numbers). */
export interface LayerDominance {
  /** Layer (or block) name. */
  readonly layer: string;
  /** Number of scalar parameters summarised. */
  readonly size: number;
  /** Mean over parameters of rAU_qk, per task (sums to 1): the task's AU share in this layer. */
  readonly share: Float64Array;
  /** Mean over parameters of max_k rAU_qk: 1/K balanced … 1 dominated. */
  readonly meanMax: number;
  /** Fraction of parameters whose largest rAU belongs to task k. */
  readonly dominantFraction: Float64Array;
  /** Histogram of max_k rAU_qk over `bins` equal bins of [1/K, 1]. */
  readonly histogram: Float64Array;
}

/** Options of {@link dominanceSummary}. */
export interface DominanceSummaryOptions {
  /**
   * `'layer'` (default): blocks are grouped by their name without the last path segment
   * (`.../dense0/kernel` and `.../dense0/bias` → `.../dense0`); `'block'`: one entry per block.
   */
  readonly groupBy?: 'layer' | 'block';
  /** Histogram bins over [1/K, 1] (default 10). */
  readonly bins?: number;
}

/** Occurrences of 0..n−1 in an int vector (tf.oneHot needs depth ≥ 2, hence the padding). */
function counts(idx: tf.Tensor, n: number): tf.Tensor {
  return tf
    .slice(tf.sum(tf.oneHot(idx as tf.Tensor1D, Math.max(n, 2)), 0), [0], [n])
    .cast('float32');
}

/** The layer a block belongs to under `groupBy: 'layer'`. */
export function layerOf(block: string): string {
  const i = block.lastIndexOf('/');
  return i > 0 ? block.slice(0, i) : block;
}

/**
 * Summarises an AU state per layer: the mean rAU share of each task, the mean of max_k rAU, the
 * fraction of parameters each task dominates and a histogram of max_k rAU. One read-back.
 */
export function dominanceSummary(
  state: AuState,
  options: DominanceSummaryOptions = {},
): LayerDominance[] {
  const groupBy = options.groupBy ?? 'layer';
  const bins = options.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new ConfigError(`dominanceSummary: option \`bins\` must be an integer ≥ 1, got ${bins}`);
  }
  const names = Object.keys(state.au);
  if (names.length === 0) return [];
  const k = state.au[names[0]!]!.shape[0]!;
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const g = groupBy === 'layer' ? layerOf(n) : n;
    groups.set(g, [...(groups.get(g) ?? []), n]);
  }
  const layers = [...groups.keys()];
  // Per layer: [K shares·size, K dominant counts, bins histogram counts, Σ max, size].
  const width = 2 * k + bins + 2;
  const packed = tf.tidy(() => {
    const rows = layers.map((layer) => {
      const r = tf.concat(
        groups.get(layer)!.map((n) => relativeAu(state.au[n]!).reshape([k, -1])),
        1,
      );
      const size = r.shape[1]!;
      const max = tf.max(r, 0);
      const arg = tf.argMax(r, 0);
      const lo = 1 / k;
      const binIdx = tf.clipByValue(
        tf.floor(tf.mul(tf.sub(max, lo), bins / (1 - lo || 1))),
        0,
        bins - 1,
      );
      return tf.concat([
        tf.sum(r, 1),
        counts(arg, k),
        counts(binIdx.cast('int32'), bins),
        tf.reshape(tf.sum(max), [1]),
        tf.tensor1d([size]),
      ]);
    });
    return tf.stack(rows);
  });
  const data = packed.dataSync();
  packed.dispose();
  return layers.map((layer, l) => {
    const row = data.subarray(l * width, (l + 1) * width);
    const size = row[width - 1]!;
    return {
      layer,
      size,
      share: Float64Array.from(row.subarray(0, k), (x) => x / size),
      meanMax: row[width - 2]! / size,
      dominantFraction: Float64Array.from(row.subarray(k, 2 * k), (x) => x / size),
      histogram: Float64Array.from(row.subarray(2 * k, 2 * k + bins), (x) => x / size),
    };
  });
}

/**
 * Flat scalars for step reports: `rAU/<layer>/<task>` (AU share), `rAUmax/<layer>` (mean of
 * max_k rAU) and `rAUmax` (parameter-weighted mean over layers).
 */
export function dominanceScalars(
  summary: readonly LayerDominance[],
  tasks: readonly TaskId[],
): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  let weighted = 0;
  for (const l of summary) {
    tasks.forEach((t, k) => (out[`rAU/${l.layer}/${t}`] = l.share[k]!));
    out[`rAUmax/${l.layer}`] = l.meanMax;
    total += l.size;
    weighted += l.meanMax * l.size;
  }
  if (total > 0) out['rAUmax'] = weighted / total;
  return out;
}

/** Which optimiser's per-task contributions a {@link dominanceTracker} reconstructs. */
export type DominanceOptimizer = 'sgd' | 'adam';

/** Options of {@link dominanceTracker}. */
export interface DominanceTrackerOptions {
  /** Optimiser being measured (default `'adam'`). */
  readonly optimizer?: DominanceOptimizer;
  /** Its learning rate (default 1e-3); only scales AU, not rAU. */
  readonly learningRate?: number;
  /** Adam's β1, β2, ε (defaults 0.9, 0.999, 1e-8): must match the optimiser being measured. */
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  /** AU decay β (default 0.999). */
  readonly beta?: number;
  /** Track only these blocks (default: all). */
  readonly blocks?: readonly string[];
}

/** State of a {@link dominanceTracker}: AU plus, for Adam, the per-task m and the shared v. */
export interface DominanceTrackerState extends AuState {
  readonly m: Readonly<Record<string, tf.Tensor>>;
  readonly v: Readonly<Record<string, tf.Tensor>>;
}

/** AU of an optimiser whose update is not separable by task (plain Adam, SGD). */
export interface DominanceTracker {
  readonly config: Readonly<Record<string, unknown>>;
  init(spec: JacobianSpec): DominanceTrackerState;
  /**
   * Advances the tracker with this step's Jacobian. `direction` is the shared gradient the
   * optimiser actually received (default Σ_k g_k, i.e. EW); Adam's shared second moment follows
   * it. Inputs borrowed; the new state is owned by the caller (the old one is not freed).
   */
  update(
    jacobian: TaskJacobian,
    state: DominanceTrackerState,
    direction?: ParamTree,
  ): DominanceTrackerState;
}

function checkPositive(owner: string, name: string, v: number, max?: number): void {
  if (!(v > 0) || !Number.isFinite(v) || (max !== undefined && v >= max)) {
    throw new ConfigError(
      `${owner}: option \`${name}\` must be a finite number > 0${max !== undefined ? ` and < ${max}` : ''}, got ${v}`,
    );
  }
}

/**
 * AU/rAU of plain Adam or SGD (ALGORITHMS §4.3 table): SGD Δ_qk = lr·g_qk; Adam
 * Δ_qk = lr·m̂_qk/(√v̂_q + ε), where m_k is a per-task EMA of g_k (β1) kept only for the metric and
 * v is the shared EMA (β2) of the squared gradient the optimiser received. Bias corrections use
 * the tracker's own step count, as Adam's.
 */
export function dominanceTracker(options: DominanceTrackerOptions = {}): DominanceTracker {
  const owner = 'dominanceTracker';
  const optimizer = options.optimizer ?? 'adam';
  if (optimizer !== 'sgd' && optimizer !== 'adam') {
    throw new ConfigError(
      `${owner}: option \`optimizer\` must be 'sgd' or 'adam', got '${String(optimizer)}'`,
    );
  }
  const lr = options.learningRate ?? 1e-3;
  const b1 = options.beta1 ?? 0.9;
  const b2 = options.beta2 ?? 0.999;
  const eps = options.epsilon ?? 1e-8;
  const beta = options.beta ?? 0.999;
  checkPositive(owner, 'learningRate', lr);
  checkPositive(owner, 'beta1', b1, 1);
  checkPositive(owner, 'beta2', b2, 1);
  checkPositive(owner, 'epsilon', eps);
  checkPositive(owner, 'beta', beta, 1);
  const config = {
    optimizer,
    learningRate: lr,
    beta1: b1,
    beta2: b2,
    epsilon: eps,
    beta,
    ...(options.blocks !== undefined ? { blocks: [...options.blocks] } : {}),
  };
  return {
    config,
    init(spec) {
      const base = auInit(spec, options.blocks);
      if (optimizer === 'sgd') return { ...base, m: {}, v: {} };
      const zeros = (lead: number[]) =>
        tf.tidy(() =>
          Object.fromEntries(
            Object.entries(base.au).map(([n, a]) => [n, tf.zeros([...lead, ...a.shape.slice(1)])]),
          ),
        );
      return { ...base, m: zeros([spec.tasks.length]), v: zeros([]) };
    },
    update(jacobian, state, direction) {
      if (optimizer === 'sgd') {
        const deltas = tf.tidy(() =>
          Object.fromEntries(
            Object.keys(state.au).map((n) => [n, tf.mul(jacobian.blocks[n]!, lr)]),
          ),
        );
        try {
          return { ...auUpdate(state, deltas, beta), m: {}, v: {} };
        } finally {
          tf.dispose(Object.values(deltas));
        }
      }
      const t = state.count + 1;
      const bc1 = 1 - b1 ** t;
      const bc2 = 1 - b2 ** t;
      const next = tf.tidy(() => {
        const m: Record<string, tf.Tensor> = {};
        const v: Record<string, tf.Tensor> = {};
        const deltas: Record<string, tf.Tensor> = {};
        for (const n of Object.keys(state.au)) {
          const j = jacobian.blocks[n];
          if (j === undefined) throw new ShapeError(`${owner}: the Jacobian has no block '${n}'`);
          const g = direction?.[n] ?? tf.sum(j, 0);
          m[n] = tf.add(tf.mul(state.m[n]!, b1), tf.mul(j, 1 - b1));
          v[n] = tf.add(tf.mul(state.v[n]!, b2), tf.mul(tf.square(g), 1 - b2));
          deltas[n] = tf.mul(
            tf.div(tf.div(m[n], bc1), tf.add(tf.sqrt(tf.div(v[n], bc2)), eps)),
            lr,
          );
        }
        return { m, v, deltas };
      });
      try {
        return { ...auUpdate(state, next.deltas, beta), m: next.m, v: next.v };
      } finally {
        tf.dispose(Object.values(next.deltas));
      }
    },
  };
}
