/** UPGrad weighting: average of the projections of every task gradient onto the dual cone. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { stateless, withConfig, type ConfiguredWeighting } from './base.js';
import { prepareGramian, projectWeights } from './dual-cone.js';

/** Options of {@link upgradWeighting}. */
export interface UpgradOptions {
  /** torchjd `norm_eps` (default 1e-4). */
  readonly normEps?: number;
  /** torchjd `reg_eps` (default 1e-4). */
  readonly regEps?: number;
}

/** Option schema shared by UPGrad and DualProj. */
export const dualConeSchema: OptionsSchema = {
  normEps: {
    type: 'number',
    default: 1e-4,
    min: 0,
    description: 'trace(G) below this is treated as a zero Gramian (torchjd norm_eps)',
  },
  regEps: {
    type: 'number',
    default: 1e-4,
    min: 0,
    description: 'ridge added to the trace-normalised Gramian (torchjd reg_eps)',
  },
};

/** Option schema of UPGrad. */
export const upgradSchema: OptionsSchema = dualConeSchema;

/**
 * UPGrad (Quinton & Rey, "Jacobian Descent for Multi-Objective Optimization", 2024): with
 * G' = G/trace(G) + ε_reg·I and preference u = 1/K, for each i solve
 * v⁽ⁱ⁾ = argmin vᵀG'v s.t. v_i ≥ u_i, v_j ≥ 0 (j ≠ i), and use w = Σ_i v⁽ⁱ⁾: d is the sum of the
 * projections of each g_i/K onto the dual cone of the rows of J.
 *
 * Properties: non-conflicting (every projection lies in the dual cone), permutation-invariant,
 * positively homogeneous (degree 1) while trace(G) ≥ normEps, K = 1 gives d = g.
 * Cost: K active-set QPs of size K (O(K⁴) worst case host). Stateless. Deterministic.
 */
export function upgradWeighting(options: UpgradOptions = {}): ConfiguredWeighting {
  const config = validateOptions('upgrad', upgradSchema, { ...options });
  const o = { normEps: config['normEps'] as number, regEps: config['regEps'] as number };
  return withConfig(
    stateless('upgrad', (gram) => {
      const k = gram.k;
      const gp = prepareGramian(gram.data, k, o);
      const w = new Float64Array(k);
      const warnings: string[] = [];
      const lower = new Float64Array(k);
      for (let i = 0; i < k; i++) {
        lower.fill(0);
        lower[i] = 1 / k;
        const r = projectWeights('upgrad', gp, k, lower);
        if (r.warning !== undefined) warnings.push(r.warning);
        for (let p = 0; p < k; p++) w[p]! += r.weights[p]!;
      }
      return { weights: w, warnings };
    }),
    config,
  );
}
