/** RLW: random loss weighting. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { EmptyState, LossWeighting } from '../core/types.js';
import type { Rng } from '../core/rng.js';
import type { RegistryEntry } from '../registry/types.js';
import { softmax, statelessLossWeighting } from './common.js';

/** Distribution the random weights are drawn from. */
export type RlwDistribution = 'normal' | 'uniform' | 'dirichlet' | 'bernoulli' | 'one-hot';

/** Options of {@link rlw}. */
export interface RlwOptions {
  /** Default `'normal'`. */
  readonly distribution?: RlwDistribution;
}

const schema: OptionsSchema = {
  distribution: {
    type: 'enum',
    values: ['normal', 'uniform', 'dirichlet', 'bernoulli', 'one-hot'],
    default: 'normal',
    description:
      "λ ~ N(0,I), U(0,1) or Dirichlet(1) then w = softmax(λ); 'bernoulli': w ~ Bernoulli(0.5) (redrawn if all zero); 'one-hot': one task drawn uniformly",
  },
};

function draw(dist: RlwDistribution, k: number, rng: Rng): Float64Array {
  const lambda = new Float64Array(k);
  switch (dist) {
    case 'normal':
      for (let i = 0; i < k; i++) lambda[i] = rng.normal();
      return softmax(lambda);
    case 'uniform':
      for (let i = 0; i < k; i++) lambda[i] = rng.uniform();
      return softmax(lambda);
    case 'dirichlet': {
      // Dirichlet(1,…,1) = normalised Exp(1) draws; 1 − u keeps log away from 0.
      let s = 0;
      for (let i = 0; i < k; i++) {
        lambda[i] = -Math.log(1 - rng.uniform());
        s += lambda[i]!;
      }
      for (let i = 0; i < k; i++) lambda[i] = lambda[i]! / s;
      // LibMTL applies the softmax to the Dirichlet sample as well; kept for parity.
      return softmax(lambda);
    }
    case 'bernoulli': {
      for (;;) {
        let any = false;
        for (let i = 0; i < k; i++) {
          lambda[i] = rng.uniform() < 0.5 ? 1 : 0;
          any ||= lambda[i] === 1;
        }
        if (any) return lambda;
      }
    }
    case 'one-hot':
      lambda[rng.int(k)] = 1;
      return lambda;
  }
}

/**
 * Random Loss Weighting (RLW): every step the model minimises `Σ_k w_k L_k` with fresh random
 * weights.
 *
 * Update rule (default): `λ ~ N(0, I_K)`, `w = softmax(λ)`. Other distributions: `U(0,1)` or
 * `Dirichlet(1)` followed by softmax (as LibMTL), Bernoulli(0.5) without softmax (redrawn while
 * all zero), or a uniformly drawn one-hot vector (LibMTL's `constrained_Bernoulli`).
 *
 * Cost: one backward pass. Stateless. Stochastic: reads `ctx.rng` (K draws per step, more for a
 * redrawn Bernoulli). Evidence: code.
 *
 * @example
 * rlw({ distribution: 'normal' }).weigh(losses, {}, ctx).weights; // softmax of K normal draws
 * @see Lin et al., "Reasonable Effectiveness of Random Weighting: A Litmus Test for Multi-Task
 *   Learning", TMLR 2022; LibMTL `RLW.py`.
 */
export function rlw(options: RlwOptions = {}): LossWeighting<EmptyState> {
  const config = validateOptions('rlw', schema, { ...options });
  const dist = config['distribution'] as RlwDistribution;
  return statelessLossWeighting('rlw', config, (losses, ctx) => ({
    weights: draw(dist, losses.length, ctx.rng),
  }));
}

export const rlwEntry: RegistryEntry<LossWeighting<EmptyState>> = {
  id: 'rlw',
  kind: 'loss-weighting',
  displayName: 'RLW',
  summary:
    'Random loss weighting: fresh random task weights (softmax of Gaussian draws) every step.',
  reference:
    'Lin et al., "Reasonable Effectiveness of Random Weighting: A Litmus Test for Multi-Task Learning", TMLR 2022. Matches LibMTL RLW.py.',
  evidence: 'code',
  cost: { backward: '1', notes: 'K random draws per step' },
  options: schema,
  create: (o) => rlw(o as RlwOptions),
};
