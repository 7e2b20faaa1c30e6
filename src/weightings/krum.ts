/** Krum / Multi-Krum weighting (robust aggregation, kept for completeness). Host math only. */
import { ShapeError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { EmptyState, Weighting } from '../core/types.js';

/** Options of {@link krumWeighting}. */
export interface KrumOptions {
  /** Number f of rows that may be adversarial (default 0). Needs K ≥ f + 3. */
  readonly nByzantine?: number;
  /** Number m of rows averaged (Multi-Krum; default 1 = Krum). */
  readonly nSelected?: number;
}

/** Option schema of Krum. */
export const krumSchema: OptionsSchema = {
  nByzantine: {
    type: 'integer',
    default: 0,
    min: 0,
    description: 'number f of rows that may be adversarial; Krum needs K ≥ f + 3 rows',
  },
  nSelected: {
    type: 'integer',
    default: 1,
    min: 1,
    description: 'number m of lowest-score rows averaged (Multi-Krum); 1 is plain Krum',
  },
};

/**
 * Krum (Multi-Krum): averages the m rows whose summed distance to their K − f − 2 nearest other
 * rows is smallest.
 *
 * From the Gramian: `‖g_i − g_j‖ = √(G_ii + G_jj − 2G_ij)`; `score_i` = sum of the K − f − 2
 * smallest distances from row i to the other rows; the m lowest scores (ties to the lower index)
 * get weight 1/m, the others 0.
 *
 * A robust (Byzantine-tolerant) aggregator from distributed learning, not an MTL method; kept for
 * completeness as in torchjd. Properties: permutation-invariant (up to ties), positively
 * homogeneous of degree 1. K = 1 is unsupported (K ≥ f + 3). Cost: O(K² log K) host work.
 * Stateless. Deterministic.
 *
 * @throws {ShapeError} From `weigh` when K < f + 3 or K < m.
 * @example
 * // torchjd golden: Krum(f = 1, m = 4) on J_Krum → w = [0.25, 0.25, 0, 0.25, 0.25]
 * @see Blanchard, El Mhamdi, Guerraoui & Stainer, "Machine Learning with Adversaries: Byzantine
 *   Tolerant Gradient Descent", NeurIPS 2017; torchjd `Krum`.
 */
export function krumWeighting(options: KrumOptions = {}): Weighting<EmptyState> & {
  readonly config: Readonly<Record<string, unknown>>;
} {
  const config = validateOptions('krum', krumSchema, { ...options });
  const f = config['nByzantine'] as number;
  const m = config['nSelected'] as number;
  return {
    id: 'krum',
    config,
    init: (k) => {
      check(k);
      return {};
    },
    weigh(gramian, state) {
      const k = gramian.k;
      check(k);
      const g = gramian.data;
      const nClosest = k - f - 2;
      const scores = new Float64Array(k);
      const row = new Float64Array(k - 1);
      for (let i = 0; i < k; i++) {
        let n = 0;
        for (let j = 0; j < k; j++) {
          if (j === i) continue;
          row[n++] = Math.sqrt(Math.max(0, g[i * k + i]! + g[j * k + j]! - 2 * g[i * k + j]!));
        }
        row.sort();
        let s = 0;
        for (let t = 0; t < nClosest; t++) s += row[t]!;
        scores[i] = s;
      }
      const order = Array.from({ length: k }, (_, i) => i).sort(
        (a, b) => scores[a]! - scores[b]! || a - b,
      );
      const weights = new Float64Array(k);
      for (let t = 0; t < m; t++) weights[order[t]!] = 1 / m;
      return { weights, state };
    },
  };

  function check(k: number): void {
    if (k < f + 3) {
      throw new ShapeError(
        `krum: needs at least nByzantine + 3 = ${f + 3} tasks (rows), got ${k}; lower \`nByzantine\` or use another aggregator`,
      );
    }
    if (k < m) {
      throw new ShapeError(`krum: option \`nSelected\` = ${m} exceeds the ${k} rows; lower it`);
    }
  }
}
