/** DWA: dynamic weight average. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { LossWeighting } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { checkLosses, filled, softmax } from './common.js';

/** Options of {@link dwa}. */
export interface DwaOptions {
  /** Softmax temperature T (default 2). */
  readonly temperature?: number;
}

/** Epoch-mean training losses of the last two finished epochs (older first). */
export interface DwaState {
  readonly history: readonly Float64Array[];
}

const schema: OptionsSchema = {
  temperature: {
    type: 'number',
    default: 2,
    min: 0,
    exclusiveMin: true,
    description: 'softmax temperature T; larger T gives more uniform weights',
  },
};

/**
 * Dynamic Weight Average (DWA): tasks whose loss fell slowly over the last epoch get more weight.
 *
 * Update rule: with `L̄_k(e)` the epoch-mean training loss of task k in epoch e (passed to
 * `endEpoch`), for epochs e ≥ 2: `r_k = L̄_k(e−1)/L̄_k(e−2)` and `w_k = K·softmax(r/T)_k`;
 * epochs 0 and 1 use `w_k = 1`. The weights are constant within an epoch.
 *
 * Cost: one backward pass. Stateful (two epoch means). Deterministic. Evidence: code.
 *
 * @example
 * const m = dwa();
 * let s = m.endEpoch!(new Float64Array([1, 1]), m.init(2));
 * s = m.endEpoch!(new Float64Array([0.5, 1]), s);
 * m.weigh(losses, s, ctx).weights; // 2·softmax([0.25, 0.5]) ≈ [0.8756, 1.1244]
 * @see Liu, Johns & Davison, "End-to-End Multi-Task Learning with Attention", CVPR 2019;
 *   LibMTL `DWA.py`.
 */
export function dwa(options: DwaOptions = {}): LossWeighting<DwaState> {
  const config = validateOptions('dwa', schema, { ...options });
  const t = config['temperature'] as number;
  return {
    id: 'dwa',
    config,
    init: () => ({ history: [] }),
    weigh(losses, state, ctx) {
      const k = losses.length;
      checkLosses('dwa', losses, k, ctx);
      const [older, newer] = state.history;
      if (older === undefined || newer === undefined) return { weights: filled(k, 1), state };
      if (older.length !== k) checkLosses('dwa', older, k);
      const r = new Float64Array(k);
      for (let i = 0; i < k; i++) r[i] = newer[i]! / older[i]!;
      const z = softmax(r, t);
      return {
        weights: z.map((v) => k * v),
        state,
        diagnostics: Object.fromEntries(Array.from(r, (v, i) => [`dwaRate${i}`, v])),
      };
    },
    endEpoch(epochMeanLosses, state) {
      checkLosses('dwa.endEpoch', epochMeanLosses, epochMeanLosses.length);
      return { history: [...state.history, Float64Array.from(epochMeanLosses)].slice(-2) };
    },
  };
}

export const dwaEntry: RegistryEntry<LossWeighting<DwaState>> = {
  id: 'dwa',
  kind: 'loss-weighting',
  displayName: 'DWA',
  summary: 'Dynamic weight average: weights from the ratio of the last two epoch-mean losses.',
  reference:
    'Liu, Johns & Davison, "End-to-End Multi-Task Learning with Attention", CVPR 2019. Matches LibMTL DWA.py (T = 2, weights sum to K).',
  evidence: 'code',
  cost: { backward: '1', notes: 'needs endEpoch() with the epoch-mean training losses' },
  options: schema,
  create: (o) => dwa(o as DwaOptions),
};
