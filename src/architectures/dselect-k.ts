/**
 * DSelect-k: a mixture of experts whose per-task gates select at most k experts through a
 * differentiable binary encoding.
 *
 * n experts `f_e` (as in MMoE), m = ⌈log₂ n⌉ bits, k = `numNonzeros` single-expert selectors per
 * task. Smooth-step with width γ:
 * `S(t) = 0 (t ≤ −γ/2); 1 (t ≥ γ/2); −(2/γ³)t³ + (3/(2γ))t + ½ otherwise`.
 * Selector i with logits `z^(i) ∈ R^m` gives `r_i(e) = Π_b [S(z_b) if bit_b(e) = 1 else 1 − S(z_b)]`
 * (bits of e most significant first), a distribution over the experts that becomes one-hot once
 * every S(z_b) saturates. Expert weights `w = Σ_i softmax(w_logits)_i · r_i ∈ Δ^n`,
 * `h_k = Σ_e w_e f_e(x)`, `ŷ_k = tower_k(h_k)`.
 *
 * - `gateMode: 'static'`: per task `z` `[k, m]` and `w_logits` `[k]` are parameters (task-only
 *   routing). `'per-example'`: `z = Dense(x)` (k·m outputs) and `w_logits = Dense(x)` (k outputs).
 * - Initialisation: z ~ U(−γ/100, γ/100); w_logits ~ U(−0.05, 0.05) (per-example: both dense
 *   layers' kernels and biases).
 * - Training-only auxiliary loss, per task, returned as the heads' `auxLoss`:
 *   `λ · Σ_i H(r_i)` with `H(r) = −Σ_e r_e log(r_e + 1e-6)` (mean over the batch in per-example
 *   mode), plus, when n is not a power of 2, `Σ_i 1 / Σ_e r_i(e)`, which pushes the selectors' mass
 *   onto the n reachable codes (it equals k once no mass is lost).
 *
 * Parameter groups: encoder and experts are shared; task k's gate and tower are task k's.
 * Trunk features: `[F]` (static) or `[x, F]` (per-example), `F = stack_e f_e(x)`.
 * Diagnostics: `gates[task]` (mean expert weights), `nonzeros[task]` (mean number of experts with
 * weight > 1e-5), `utilisation`.
 *
 * Reference: Hazimeh, Zhao, Chowdhery, Sathiamoorthy, Chen, Mazumder, Hong, Chi, "DSelect-k:
 * Differentiable Selection in the Mixture of Experts with Applications to Multi-Task Learning",
 * NeurIPS 2021. Evidence: [CODE] google-research/google-research `dselect_k_moe` (ALGORITHMS.md
 * §6.5). Once every S(z_b) is saturated z gets no gradient: the selection is final, by design.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import type { ArchitectureBuilder, ModelInputs } from '../core/model.js';
import type { OptionsSchema } from '../core/options.js';
import type { RegistryEntry } from '../registry/types.js';
import { mixComponents, mlpExperts, utilisation } from './components.js';
import { createInputEncoder } from './encoder.js';
import { createHead } from './heads.js';
import { checkSizes, dense } from './layers.js';
import { architectureEntry, defineArchitecture, intOption } from './model.js';
import type { NonlinearOps } from './ops.js';
import { taskGroup, uniformInit, type ParamScope } from './params.js';

/** Options of {@link dselectK} (plus the common and encoder options). */
export interface DselectKOptions {
  /** Number of experts n (≥ 2). Default 4. */
  readonly numExperts?: number;
  /** Upper bound k on the experts each task selects. Default 2. */
  readonly numNonzeros?: number;
  /** Hidden sizes of each expert MLP. Default `[32]`. */
  readonly expertHidden?: readonly number[];
  /** Smooth-step width γ. Default 1. */
  readonly gamma?: number;
  /** Task-only (`'static'`) or example-conditioned (`'per-example'`) routing. Default `'static'`. */
  readonly gateMode?: 'static' | 'per-example';
  /** Entropy regulariser λ. Default 1e-6. */
  readonly entropyReg?: number;
  readonly [common: string]: unknown;
}

/** Option schema of `dselect-k` (without the common options). */
export const DSELECT_K_SCHEMA: OptionsSchema = {
  numExperts: { type: 'integer', min: 2, default: 4, description: 'number of experts n' },
  numNonzeros: {
    type: 'integer',
    min: 1,
    default: 2,
    description: 'k: upper bound on the experts each task selects',
  },
  expertHidden: {
    type: 'number[]',
    default: [32],
    description: 'hidden sizes of each expert MLP (last = expert output width)',
  },
  gamma: {
    type: 'number',
    min: 0,
    exclusiveMin: true,
    default: 1,
    description: 'smooth-step width γ',
  },
  gateMode: {
    type: 'enum',
    values: ['static', 'per-example'],
    default: 'static',
    description: "task-only routing ('static') or example-conditioned routing ('per-example')",
  },
  entropyReg: {
    type: 'number',
    min: 0,
    default: 1e-6,
    description: 'λ of the entropy regulariser on the selectors (training only)',
  },
};

/** Cubic smooth-step of width γ (0 below −γ/2, 1 above γ/2, C¹ in between). */
export function smoothStep(t: tf.Tensor, gamma: number): tf.Tensor {
  return tf.tidy(() => {
    // Clipping first is exact: the cubic equals 0 and 1 at ∓γ/2 with zero slope there, and the
    // clip's zero gradient outside matches the flat pieces.
    const c = tf.clipByValue(t, -gamma / 2, gamma / 2);
    const a3 = -2 / gamma ** 3;
    const a1 = 3 / (2 * gamma);
    return tf.add(tf.add(tf.mul(a3, tf.pow(c, 3)), tf.mul(a1, c)), 0.5);
  });
}

/** Binary code matrix `[n, m]` (0/1 float32): row e is e in m bits, most significant first. */
export function binaryCodes(n: number): tf.Tensor2D {
  const m = Math.max(1, Math.ceil(Math.log2(n)));
  const values = new Float32Array(n * m);
  for (let e = 0; e < n; e++)
    for (let b = 0; b < m; b++) values[e * m + b] = (e >> (m - 1 - b)) & 1;
  return tf.tensor2d(values, [n, m]);
}

/**
 * Single-expert selector outputs: `s` (smooth-step activations) `[..., k, m]` and codes `[n, m]`
 * → `r` `[..., k, n]` with `r_i(e) = Π_b (code_eb ? s_ib : 1 − s_ib)`.
 */
export function selectorOutputs(s: tf.Tensor, codes: tf.Tensor2D): tf.Tensor {
  return tf.tidy(() => {
    const m = codes.shape[1];
    const sE = tf.expandDims(s, -2); // [..., k, 1, m]
    // code·s + (1 − code)·(1 − s) = (1 − s) + code·(2s − 1)
    const factors = tf.add(tf.sub(1, sE), tf.mul(codes, tf.sub(tf.mul(2, sE), 1))); // [..., k, n, m]
    const bits = tf.unstack(factors, factors.rank - 1);
    let r = bits[0] as tf.Tensor;
    for (let b = 1; b < m; b++) r = tf.mul(r, bits[b] as tf.Tensor);
    return r;
  });
}

interface DselectGate {
  /** Expert weights `[B, n]` or `[n]`, selector outputs `[B, k, n]` or `[k, n]`. */
  apply(x: tf.Tensor | undefined): { weights: tf.Tensor; selectors: tf.Tensor };
}

function createGate(
  scope: ParamScope,
  mode: 'static' | 'per-example',
  inDim: number,
  n: number,
  k: number,
  gamma: number,
  ops: NonlinearOps,
): DselectGate {
  const m = Math.ceil(Math.log2(n));
  const zInit = uniformInit(-gamma / 100, gamma / 100);
  const wInit = uniformInit(-0.05, 0.05);
  const combine = (z: tf.Tensor, wLogits: tf.Tensor) => {
    // Rebuilt per call (a few numbers, inside the caller's tidy) so the model owns no constants.
    const selectors = selectorOutputs(smoothStep(z, gamma), binaryCodes(n));
    const sw = tf.expandDims(ops.softmax(wLogits), -1); // [..., k, 1]
    return { weights: tf.sum(tf.mul(sw, selectors), -2), selectors };
  };
  if (mode === 'static') {
    const z = scope.variable('z_logits', [k, m], zInit);
    const w = scope.variable('w_logits', [k], wInit);
    return { apply: () => combine(z, w) };
  }
  const zDense = dense(scope.child('z'), inDim, k * m, ops, { kernelInit: zInit, biasInit: zInit });
  const wDense = dense(scope.child('w'), inDim, k, ops, { kernelInit: wInit, biasInit: wInit });
  return {
    apply: (x) => {
      const xx = x as tf.Tensor;
      return combine(tf.reshape(zDense.apply(xx), [-1, k, m]), wDense.apply(xx));
    },
  };
}

/** Training-only auxiliary loss of one gate (see the module docs). */
export function dselectRegularizer(
  selectors: tf.Tensor,
  numExperts: number,
  entropyReg: number,
): tf.Scalar {
  return tf.tidy(() => {
    const perRow = (v: tf.Tensor): tf.Scalar =>
      (selectors.rank === 3 ? tf.mean(tf.sum(v, [1, 2])) : tf.sum(v)) as tf.Scalar;
    let loss: tf.Scalar = tf.mul(
      entropyReg,
      perRow(tf.neg(tf.mul(selectors, tf.log(tf.add(selectors, 1e-6))))),
    );
    const powerOf2 = (numExperts & (numExperts - 1)) === 0;
    if (!powerOf2) {
      const mass = tf.sum(selectors, -1, true);
      loss = tf.add(loss, perRow(tf.div(1, mass)));
    }
    return loss;
  });
}

const define = defineArchitecture(
  'dselect-k',
  DSELECT_K_SCHEMA,
  (o) => {
    const numExperts = intOption('dselect-k', o, 'numExperts', 2);
    const numNonzeros = intOption('dselect-k', o, 'numNonzeros', 1);
    if (numNonzeros > numExperts) {
      throw new ConfigError(
        `dselect-k: option \`numNonzeros\` (${numNonzeros}) must be ≤ \`numExperts\` (${numExperts})`,
      );
    }
    return {
      numExperts,
      numNonzeros,
      expertHidden: checkSizes('dselect-k', 'expertHidden', o['expertHidden'], {
        allowEmpty: false,
      }),
      gamma: o['gamma'] as number,
      gateMode: o['gateMode'] as 'static' | 'per-example',
      entropyReg: o['entropyReg'] as number,
    };
  },
  ({ inputSpec, tasks, store, ops, common }, o) => {
    const root = store.root;
    const encoder = createInputEncoder(root.child('encoder'), inputSpec, common.encoder, ops);
    const experts = mlpExperts(
      root,
      o.numExperts,
      encoder.outDim,
      o.expertHidden,
      ops,
      common.activation,
    );
    const hDim = experts.outShape[0] as number;
    const perExample = o.gateMode === 'per-example';
    const perTask = tasks.map((t) => {
      const scope = root.child('task').child(t.id, taskGroup(t.id));
      return {
        task: t,
        gate: createGate(
          scope.child('gate'),
          o.gateMode,
          encoder.outDim,
          o.numExperts,
          o.numNonzeros,
          o.gamma,
          ops,
        ),
        head: createHead(scope, t, hDim, common.towerHidden, ops, common.activation),
      };
    });
    const gates = (x: tf.Tensor | undefined) => perTask.map((p) => p.gate.apply(x));
    return {
      trunk(inputs: ModelInputs) {
        const x = encoder.encode(inputs);
        const stacked = experts.applyAll(x);
        return { features: perExample ? [x, stacked] : [stacked] };
      },
      heads(features, _inputs, opts) {
        const stacked = features[perExample ? 1 : 0] as tf.Tensor;
        const g = gates(perExample ? features[0] : undefined);
        const outputs = Object.fromEntries(
          perTask.map((p, k) => [
            p.task.id,
            p.head.apply(mixComponents(stacked, (g[k] as { weights: tf.Tensor }).weights)),
          ]),
        );
        if (!opts.training) return { outputs };
        const aux = tf.addN(
          g.map((gk) => dselectRegularizer(gk.selectors, o.numExperts, o.entropyReg)),
        ) as tf.Scalar;
        return { outputs, auxLoss: aux };
      },
      diagnostics(inputs) {
        const g = gates(perExample ? encoder.encode(inputs) : undefined);
        const weights = g.map((gk) => gk.weights);
        const count = (w: tf.Tensor): tf.Tensor =>
          tf.mean(tf.sum(tf.cast(tf.greater(w, 1e-5), 'float32'), -1));
        return {
          gates: Object.fromEntries(
            perTask.map((p, k) => {
              const w = weights[k] as tf.Tensor;
              return [p.task.id, w.rank === 1 ? w : tf.mean(w, 0)];
            }),
          ),
          nonzeros: Object.fromEntries(
            perTask.map((p, k) => [p.task.id, count(weights[k] as tf.Tensor)]),
          ),
          utilisation: utilisation(weights),
        };
      },
    };
  },
);

/**
 * DSelect-k architecture builder.
 *
 * @example
 * const model = dselectK({ numExperts: 4, numNonzeros: 2 }).build(spec, tasks, createRng(0));
 */
export function dselectK(options: DselectKOptions = {}): ArchitectureBuilder {
  return define(options);
}

/** Registry entry of `dselect-k`. */
export const dselectKEntry: RegistryEntry<ArchitectureBuilder> = architectureEntry(
  {
    id: 'dselect-k',
    displayName: 'DSelect-k',
    summary:
      'Experts with per-task differentiable top-k gates (smooth-step binary encoding, entropy regulariser).',
    reference:
      'Hazimeh, Zhao, Chowdhery, Sathiamoorthy, Chen, Mazumder, Hong, Chi, "DSelect-k: Differentiable Selection in the Mixture of Experts with Applications to Multi-Task Learning", NeurIPS 2021. Ported from the authors\' code (google-research/google-research: dselect_k_moe), ALGORITHMS.md §6.5.',
    evidence: 'code',
    cost: {
      backward: 'K (params mode) or 1 trunk + K heads (features mode)',
      notes: 'all n experts evaluated densely in training',
    },
  },
  DSELECT_K_SCHEMA,
  define,
);
