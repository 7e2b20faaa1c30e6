/** DualProj weighting: projection of the mean gradient onto the dual cone. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { stateless, uniform, withConfig, type ConfiguredWeighting } from './base.js';
import { prepareGramian, projectWeights } from './dual-cone.js';
import { dualConeSchema, type UpgradOptions } from './upgrad.js';

/** Options of {@link dualprojWeighting} (same as UPGrad's). */
export type DualprojOptions = UpgradOptions;

/** Option schema of DualProj. */
export const dualprojSchema: OptionsSchema = dualConeSchema;

/**
 * DualProj (torchjd; Quinton & Rey 2024): w = argmin vᵀG'v s.t. v ≥ 1/K with
 * G' = G/trace(G) + ε_reg·I, i.e. d is the projection of the mean gradient onto the dual cone of the
 * rows of J. Non-conflicting, permutation-invariant, degree-1 homogeneous while trace(G) ≥ normEps,
 * K = 1 gives d = g. Cost: one active-set QP of size K. Stateless. Deterministic.
 */
export function dualprojWeighting(options: DualprojOptions = {}): ConfiguredWeighting {
  const config = validateOptions('dualproj', dualprojSchema, { ...options });
  const o = { normEps: config['normEps'] as number, regEps: config['regEps'] as number };
  return withConfig(
    stateless('dualproj', (gram) => {
      const r = projectWeights(
        'dualproj',
        prepareGramian(gram.data, gram.k, o),
        gram.k,
        uniform(gram.k),
      );
      return { weights: r.weights, ...(r.warning !== undefined ? { warnings: [r.warning] } : {}) };
    }),
    config,
  );
}
