/** ExcessMTL: robust task weights from AdaGrad-diagonal excess-risk estimates. */
import * as tf from '@tensorflow/tfjs';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { Aggregator, AggregatorTraits, ParamTree } from '../core/types.js';
import { assertJacobian, combine } from '../autodiff/gramian.js';
import type { RegistryEntry } from '../registry/types.js';
import { BASE_TRAITS } from './base.js';

/** Options of {@link excessMtl}. */
export interface ExcessMtlOptions {
  /** Step size η of the exponentiated weight update (default 1e-2, as LibMTL). */
  readonly robustStepSize?: number;
  /** `'sum'`: weights sum to K (LibMTL, default); `'mean'`: they sum to 1 (torchjd). */
  readonly reduction?: 'sum' | 'mean';
}

/** State: accumulated squared gradients (owned tensors), weights, baseline excess risks. */
export interface ExcessMtlState {
  readonly sqSum: ParamTree | null;
  readonly weights: Float64Array;
  readonly initial: Float64Array | null;
}

const schema: OptionsSchema = {
  robustStepSize: {
    type: 'number',
    default: 1e-2,
    min: 0,
    exclusiveMin: true,
    description: 'step size η of the exponentiated weight update',
  },
  reduction: {
    type: 'enum',
    values: ['sum', 'mean'],
    default: 'sum',
    description: "'sum': weights sum to K (LibMTL); 'mean': they sum to 1 (torchjd)",
  },
};

const TRAITS: AggregatorTraits = { ...BASE_TRAITS, stateful: true };

/**
 * ExcessMTL (He et al., ICML 2024): up-weights tasks whose estimated excess risk (distance to their
 * own optimum) is large relative to where they started.
 *
 * Update rule (LibMTL / official code): `S_k ← S_k + g_k²` (element-wise, accumulated over steps);
 * `e_k = Σ_d g_kd² / √(S_kd + 1e-7)` (excess risk `gᵀH⁻¹g` with the AdaGrad diagonal H). Step 1
 * stores `e⁽⁰⁾ = e` and keeps w = 1; afterwards `w_k ← w_k·exp(η·e_k/(e_k⁽⁰⁾ + 1e-7))`, renormalised to sum
 * to K; `d = Σ_k w_k g_k`.
 *
 * Convention: LibMTL starts from w = 1 and normalises to K; torchjd starts from and normalises to
 * 1/K (`reduction: 'mean'`). torchjd's `n_warmup_steps` averaging is not implemented (LibMTL's
 * single-step baseline is).
 *
 * Cost: K backward passes; O(KD) device work, K·D floats of state, one K-vector read-back.
 * Stateful. Deterministic. Traits: permutation-invariant; degree-1 homogeneous for a fresh state
 * (e/e⁽⁰⁾ is scale-free); K = 1 gives d = g.
 * @see He, Zhou, Zhao & Wang, "Robust Multi-Task Learning with Excess Risks", ICML 2024; LibMTL
 *   `ExcessMTL.py`; torchjd `ExcessMTL`.
 */
export function excessMtl(options: ExcessMtlOptions = {}): Aggregator<ExcessMtlState> {
  const config = validateOptions('excess-mtl', schema, { ...options });
  const eta = config['robustStepSize'] as number;
  const mean = config['reduction'] === 'mean';
  const total = (k: number): number => (mean ? 1 : k);
  return {
    id: 'excess-mtl',
    traits: TRAITS,
    config,
    init: (spec) => {
      const k = spec.tasks.length;
      return { sqSum: null, weights: new Float64Array(k).fill(total(k) / k), initial: null };
    },
    update(jacobian, state) {
      const k = assertJacobian('excess-mtl', jacobian);
      const sqSum = tf.tidy(() => {
        const out: Record<string, tf.Tensor> = {};
        for (const [name, b] of Object.entries(jacobian.blocks)) {
          const prev = state.sqSum?.[name];
          out[name] = prev === undefined ? tf.square(b) : tf.add(prev, tf.square(b));
        }
        return out;
      });
      const ex = tf.tidy(() =>
        tf.addN(
          Object.entries(jacobian.blocks).map(([name, b]) =>
            tf.sum(
              tf.reshape(tf.div(tf.square(b), tf.sqrt(tf.add(sqSum[name]!, 1e-7))), [k, -1]),
              1,
            ),
          ),
        ),
      );
      const e = Float64Array.from(ex.dataSync());
      ex.dispose();
      let weights =
        state.weights.length === k ? state.weights : new Float64Array(k).fill(total(k) / k);
      let initial = state.initial;
      if (initial === null) {
        initial = e;
      } else {
        const base = initial;
        // + 1e-7 (as torchjd) keeps a task whose first gradient was 0 finite.
        const next = weights.map((w, i) => w * Math.exp((eta * e[i]!) / (base[i]! + 1e-7)));
        const s = next.reduce((a, v) => a + v, 0);
        weights = next.map((v) => (v / s) * total(k));
      }
      return {
        direction: combine(jacobian, weights),
        state: { sqSum, weights, initial },
        weights,
        diagnostics: Object.fromEntries(Array.from(e, (v, i) => [`excessRisk${i}`, v])),
      };
    },
  };
}

export const excessMtlEntry: RegistryEntry<Aggregator<ExcessMtlState>> = {
  id: 'excess-mtl',
  kind: 'aggregator',
  displayName: 'ExcessMTL',
  summary:
    'Robust task weights from AdaGrad-diagonal excess-risk estimates (exponentiated updates).',
  reference:
    'He, Zhou, Zhao & Wang, "Robust Multi-Task Learning with Excess Risks", ICML 2024. Matches LibMTL ExcessMTL.py (η = 1e-2, weights sum to K).',
  evidence: 'code',
  cost: { backward: 'K', notes: 'K·D floats of squared-gradient state; one K-vector read-back' },
  traits: TRAITS,
  options: schema,
  create: (o) => excessMtl(o as ExcessMtlOptions),
};
