/**
 * GDOD weighting (ALGORITHMS.md §1): the task-gradient span's orthonormal basis from the K×K
 * Gramian eigendecomposition, split into task-shared and task-conflict directions.
 *
 * Evidence: [RECON]. GDOD has no official code; the update rule (sign rule for shared vs conflict
 * directions, treatment of the conflict components) is reconstructed from the paper's abstract and
 * a third-party summary. Host float64 math, no TF.js.
 */
import { ConfigError, ShapeError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { Gramian } from '../core/types.js';
import { eigh, rankTolerance } from '../linalg/eigen.js';
import { stateless, withConfig, type ConfiguredWeighting } from './base.js';

/** Options of {@link gdodWeighting} (and of the `gdod` aggregator). */
export interface GdodOptions {
  /**
   * β: how much of the task-conflict components to keep (default 0 = the "shared-only" rule;
   * 1 reproduces the plain sum Σ_i π_i g_i).
   */
  readonly conflictKeep?: number;
  /** π: preset non-negative task weights (default all ones). Length K, checked at update time. */
  readonly taskWeights?: readonly number[];
  /**
   * Relative tie tolerance of the sign rule: a coordinate |c_im| ≤ tieTolerance·max|c| counts as
   * zero and never breaks the sign agreement (default 1e-12, ALGORITHMS §1.1).
   */
  readonly tieTolerance?: number;
}

/** Option schema of GDOD. */
export const gdodSchema: OptionsSchema = {
  conflictKeep: {
    type: 'number',
    default: 0,
    min: 0,
    max: 1,
    description:
      'β: share of the task-conflict components kept in the update (0 = shared-only, 1 = plain sum)',
  },
  taskWeights: {
    type: 'number[]',
    description: 'π: preset non-negative task weights, one per task (default all ones)',
  },
  tieTolerance: {
    type: 'number',
    default: 1e-12,
    min: 0,
    max: 0.5,
    description:
      'relative tolerance under which a basis coordinate counts as zero in the sign rule',
  },
};

/** The basis of the task-gradient span and its split (exposed for tests and diagnostics). */
export interface GdodDecomposition {
  readonly k: number;
  /** r = number of kept eigenpairs (numerical rank of G). */
  readonly rank: number;
  /** Kept eigenvalues λ_m, descending. */
  readonly values: Float64Array;
  /** K×r row-major coordinates c_im = v_im·√λ_m of g_i on the unit basis vector u_m. */
  readonly coordinates: Float64Array;
  /** K×r row-major eigenvectors v_m (columns). */
  readonly vectors: Float64Array;
  /** Per kept direction: true = task-shared, false = task-conflict. */
  readonly shared: readonly boolean[];
}

/**
 * Decomposes the task gradients on the orthonormal basis u_m = Jᵀv_m/√λ_m of their span, from
 * G = VΛVᵀ (eigenpairs with λ_m > λ_max·K·ε₃₂ kept), and classifies each direction: shared when
 * every task coordinate agrees in sign (|c| ≤ τ counts as either sign), conflict otherwise.
 * The sign of an eigenvector flips a whole column of c, so the split needs no canonical sign.
 */
export function gdodDecompose(gramian: Gramian, tieTolerance = 1e-12): GdodDecomposition {
  const k = gramian.k;
  const e = eigh(gramian.data, k);
  const tol = rankTolerance(e.values, k);
  const keep: number[] = [];
  for (let m = 0; m < k; m++) if (e.values[m]! > tol) keep.push(m);
  const r = keep.length;
  const values = new Float64Array(r);
  const vectors = new Float64Array(k * r);
  const coordinates = new Float64Array(k * r);
  let maxAbs = 0;
  keep.forEach((src, m) => {
    const lam = e.values[src]!;
    values[m] = lam;
    const s = Math.sqrt(lam);
    for (let i = 0; i < k; i++) {
      const v = e.vectors[i * k + src]!;
      vectors[i * r + m] = v;
      coordinates[i * r + m] = v * s;
      maxAbs = Math.max(maxAbs, Math.abs(v * s));
    }
  });
  const tau = tieTolerance * maxAbs;
  const shared = keep.map((_, m) => {
    let allAbove = true;
    let allBelow = true;
    for (let i = 0; i < k; i++) {
      const c = coordinates[i * r + m]!;
      if (c < -tau) allAbove = false;
      if (c > tau) allBelow = false;
    }
    return allAbove || allBelow;
  });
  return { k, rank: r, values, coordinates, vectors, shared };
}

/**
 * GDOD weights w = V_S V_Sᵀ π + β·V_C V_Cᵀ π, so that d = Jᵀw = Σ_{m∈S} (Σ_i π_i c_im) u_m +
 * β·Σ_{m∈C} (Σ_i π_i c_im) u_m (ALGORITHMS §1.1 steps 5–6).
 *
 * Properties (β = 0, π ≥ 0): ⟨g_i, d⟩ = Σ_{m∈S} c_im Σ_j π_j c_jm ≥ 0 for every task (no task's
 * loss increases to first order); K = 1 gives d = π_1·g; β = 1 gives d = Σ_i π_i g_i.
 * Permutation-equivariant in w (with π permuted alongside), degree-1 homogeneous in J.
 * w is not unique when rank(J) < K (compare directions, not weights).
 *
 * Diagnostics: `gdodRank` (r), `gdodShared` (|S|), `gdodConflict` (|C|), `gdodAllConflict`
 * (1 when r > 0 and every direction conflicts, i.e. the shared update is zero).
 *
 * Cost: O(K³) host (one Jacobi eigendecomposition). Stateless. Deterministic.
 * @throws {ConfigError} At construction for a negative task weight; {@link ShapeError} at update
 *   time when `taskWeights` does not have K entries.
 */
export function gdodWeighting(options: GdodOptions = {}): ConfiguredWeighting {
  const config = validateOptions('gdod', gdodSchema, { ...options });
  const beta = config['conflictKeep'] as number;
  const tie = config['tieTolerance'] as number;
  const pi = config['taskWeights'] as readonly number[] | undefined;
  if (pi !== undefined) {
    if (pi.length === 0 || pi.some((p) => p < 0)) {
      throw new ConfigError(
        `gdod: option \`taskWeights\` must be a non-empty array of non-negative numbers (one per task), got [${pi.join(', ')}]`,
      );
    }
  }
  return withConfig(
    stateless('gdod', (gram) => {
      const k = gram.k;
      if (pi !== undefined && pi.length !== k) {
        throw new ShapeError(
          `gdod: option \`taskWeights\` has ${pi.length} entries but the Jacobian has ${k} tasks; pass one weight per task`,
        );
      }
      const prefs = pi ?? new Array<number>(k).fill(1);
      const dec = gdodDecompose(gram, tie);
      const { rank: r, vectors, shared } = dec;
      const weights = new Float64Array(k);
      let nShared = 0;
      for (let m = 0; m < r; m++) {
        if (shared[m]) nShared++;
        const scale = shared[m] ? 1 : beta;
        if (scale === 0) continue;
        let proj = 0;
        for (let i = 0; i < k; i++) proj += vectors[i * r + m]! * prefs[i]!;
        for (let i = 0; i < k; i++) weights[i]! += scale * proj * vectors[i * r + m]!;
      }
      return {
        weights,
        diagnostics: {
          gdodRank: r,
          gdodShared: nShared,
          gdodConflict: r - nShared,
          gdodAllConflict: r > 0 && nShared === 0 ? 1 : 0,
        },
      };
    }),
    config,
  );
}
