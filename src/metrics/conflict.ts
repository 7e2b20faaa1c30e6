/**
 * Gradient-conflict and task-dominance diagnostics from the Gramian G = J·Jᵀ (G_ij = ⟨g_i, g_j⟩),
 * so they cost nothing beyond the K×K matrix the aggregators already computed. Host float64 code.
 *
 * - cosine c_ij = G_ij / √(G_ii·G_jj), angle θ_ij = arccos(c_ij) in degrees;
 * - over pairs i < j: mean and (population) variance of θ, fraction with c_ij < 0 (conflicting,
 *   θ > 90°; Yu et al., "Gradient Surgery for Multi-Task Learning", NeurIPS 2020), minimum cosine;
 * - norm share ‖g_k‖ / Σ_j ‖g_j‖ (task dominance, as in GradNorm's motivation, Chen et al. 2018);
 * - contribution share, given weights w with d = Σ_k w_k g_k: w_k·⟨g_k, d⟩ / ‖d‖², where
 *   ⟨g_k, d⟩ = (G w)_k and ‖d‖² = wᵀG w; the shares sum to 1.
 *
 * A task with a zero gradient has no direction: its cosines are NaN, its pairs are left out of
 * the statistics, and a warning says so.
 */
import { ShapeError } from '../core/errors.js';
import type { Gramian } from '../core/types.js';

/** Pairwise and per-task conflict diagnostics. */
export interface ConflictDiagnostics {
  readonly k: number;
  /** K×K row-major cosines (diagonal 1; NaN for zero-gradient tasks). */
  readonly cosines: Float64Array;
  /** K×K row-major angles in degrees (NaN where the cosine is). */
  readonly angles: Float64Array;
  /** Mean angle over defined pairs i < j (degrees). */
  readonly meanAngle: number;
  /** Population variance of those angles (degrees²). */
  readonly angleVariance: number;
  /** Share of defined pairs with a negative cosine. */
  readonly conflictFraction: number;
  readonly minCosine: number;
  /** ‖g_k‖ = √G_kk. */
  readonly norms: Float64Array;
  /** ‖g_k‖ / Σ_j ‖g_j‖. */
  readonly normShares: Float64Array;
  /** w_k⟨g_k, d⟩/‖d‖², when weights were given. */
  readonly contributionShares?: Float64Array;
  readonly warnings: readonly string[];
}

const DEG = 180 / Math.PI;

/**
 * Diagnostics of a Gramian, optionally with the task weights of the direction d = Σ w_k g_k.
 *
 * @throws ShapeError when `gramian.data` is not K×K or `weights` does not have K entries.
 */
export function conflictDiagnostics(
  gramian: Gramian,
  weights?: ArrayLike<number>,
): ConflictDiagnostics {
  const { k, data: G } = gramian;
  if (G.length !== k * k) {
    throw new ShapeError(
      `conflictDiagnostics: gramian.data has ${G.length} entries, expected k² = ${k * k}`,
    );
  }
  if (weights !== undefined && weights.length !== k) {
    throw new ShapeError(
      `conflictDiagnostics: weights has ${weights.length} entries, expected ${k}`,
    );
  }
  const warnings: string[] = [];
  const norms = new Float64Array(k);
  for (let i = 0; i < k; i++) norms[i] = Math.sqrt(Math.max(0, G[i * k + i] as number));
  const zero = Array.from(norms, (v) => !(v > 0));
  zero.forEach((z, i) => {
    if (z) warnings.push(`task ${i} has a zero gradient: its cosines are undefined and left out`);
  });
  const cosines = new Float64Array(k * k);
  const angles = new Float64Array(k * k);
  const pairAngles: number[] = [];
  let conflicting = 0;
  let minCosine = Number.NaN;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let c: number;
      if (zero[i] || zero[j]) c = Number.NaN;
      else if (i === j) c = 1;
      else {
        // Rounding can push |c| a hair above 1; arccos needs it inside.
        c = Math.min(
          1,
          Math.max(-1, (G[i * k + j] as number) / ((norms[i] as number) * (norms[j] as number))),
        );
      }
      cosines[i * k + j] = c;
      angles[i * k + j] = Math.acos(c) * DEG;
      if (j > i && !Number.isNaN(c)) {
        pairAngles.push(Math.acos(c) * DEG);
        if (c < 0) conflicting++;
        if (!(c >= minCosine)) minCosine = c;
      }
    }
  }
  if (k > 1 && pairAngles.length === 0) warnings.push('no task pair has two non-zero gradients');
  const np = pairAngles.length;
  const meanAngle = np > 0 ? pairAngles.reduce((s, a) => s + a, 0) / np : Number.NaN;
  const angleVariance =
    np > 0 ? pairAngles.reduce((s, a) => s + (a - meanAngle) ** 2, 0) / np : Number.NaN;
  const normSum = norms.reduce((s, v) => s + v, 0);
  const normShares = norms.map((v) => (normSum > 0 ? v / normSum : Number.NaN));
  let contributionShares: Float64Array | undefined;
  if (weights !== undefined) {
    const gw = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += (G[i * k + j] as number) * (weights[j] as number);
      gw[i] = s;
    }
    let dd = 0;
    for (let i = 0; i < k; i++) dd += (weights[i] as number) * (gw[i] as number);
    if (!(dd > 0))
      warnings.push('the weighted direction is zero: contribution shares are undefined');
    contributionShares = gw.map((v, i) =>
      dd > 0 ? ((weights[i] as number) * v) / dd : Number.NaN,
    );
  }
  return {
    k,
    cosines,
    angles,
    meanAngle,
    angleVariance,
    conflictFraction: np > 0 ? conflicting / np : Number.NaN,
    minCosine,
    norms,
    normShares,
    ...(contributionShares !== undefined ? { contributionShares } : {}),
    warnings,
  };
}

/**
 * Flat scalars for logs and reports: `meanAngle`, `angleVariance`, `conflictFraction`,
 * `minCosine`, `normShare/<task>` and `contributionShare/<task>` (task names from `tasks`).
 */
export function conflictScalars(
  diag: ConflictDiagnostics,
  tasks: readonly string[],
): Record<string, number> {
  const out: Record<string, number> = {
    meanAngle: diag.meanAngle,
    angleVariance: diag.angleVariance,
    conflictFraction: diag.conflictFraction,
    minCosine: diag.minCosine,
  };
  for (let i = 0; i < diag.k; i++) {
    const name = tasks[i] ?? String(i);
    out[`normShare/${name}`] = diag.normShares[i] as number;
    if (diag.contributionShares !== undefined) {
      out[`contributionShare/${name}`] = diag.contributionShares[i] as number;
    }
  }
  return out;
}
