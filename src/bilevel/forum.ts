/** FORUM: first-order multi-gradient method for multi-objective bi-level optimisation. */
import * as tf from '@tensorflow/tfjs';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { ParamTree } from '../core/types.js';
import { combine } from '../autodiff/gramian.js';
import { solveIneqQp } from '../linalg/ineq-qp.js';
import type { RegistryEntry } from '../registry/types.js';
import { axpy, crossGramian, disposeTree, treeDot } from './tree.js';
import {
  initTaskWeights,
  outerLrSchema,
  softmaxGrad,
  stepTaskWeights,
  taskWeights,
  type TaskWeightState,
} from './task-weights.js';
import type { BilevelMethod } from './types.js';

/** Options of {@link forum}. */
export interface ForumOptions {
  /** φ of the value-function constraint (default 0.1, LibMTL's `FORUM_phi`). */
  readonly phi?: number;
  /** Inner SGD steps approximating the lower-level solution (default 1). */
  readonly innerSteps?: number;
  /** Inner SGD learning rate (default 0.1). */
  readonly innerLr?: number;
  /** Adam learning rate of the task-weight logits (default 1e-3). */
  readonly outerLr?: number;
}

/** State: task-weight logits (the upper-level variables α), their Adam state, and the λ EMA. */
export interface ForumState {
  readonly tw: TaskWeightState;
  readonly lambda: Float64Array;
}

const schema: OptionsSchema = {
  phi: {
    type: 'number',
    default: 0.1,
    min: 0,
    exclusiveMin: true,
    description: 'φ of the value-function constraint',
  },
  innerSteps: { type: 'integer', default: 1, min: 1, description: 'inner SGD steps for θ_T' },
  innerLr: {
    type: 'number',
    default: 0.1,
    min: 0,
    exclusiveMin: true,
    description: 'inner SGD learning rate',
  },
  ...outerLrSchema,
};

/**
 * FORUM (Ye et al., ECAI 2024), as in LibMTL's trainer. The lower level is
 * `f(α, θ) = Σ_k softmax(α)_k L_k(θ; inner)`, the upper level the K task losses on the outer
 * batch; both α and θ move.
 *
 * 1. `g_f = ∇_{(α,θ)} f(α, θ)`; `θ_T`: `innerSteps` SGD steps on f from θ;
 *    `g_q = g_f − (∇_α f(α, θ_T), 0)` (gradient of the value-function gap q = f − f(α, θ_T));
 * 2. `ĝ_t = (0, ∇_θ L_t(θ; outer)/‖∇_θ L_t‖)`, `π_t = φ − ⟨g_q, ĝ_t⟩/(‖g_q‖² + 1e-8)`,
 *    `c = φ(‖g_q‖² + 1e-8)`;
 * 3. with `A = [ĝ_1; …; ĝ_K; g_q]`, solve the QP `min_w wᵀAAᵀw − c·w_{K+1}` s.t.
 *    `Σ_{t≤K} w_t = 1`, `w ≥ 0`, `w_{K+1} ≥ Σ_t w_t π_t` (interior point; LibMTL uses cvxpy);
 * 4. `λ ← λ + (epoch + 1)^{−3/4}·(w_{1..K} − λ)` (λ₀ = 0), `ν = max(Σ_t λ_t π_t, 0)`;
 * 5. `g = Σ_t λ_t ĝ_t + ν g_q`: its α part (`ν·g_q,α`) takes an Adam step on α, its θ part is
 *    returned as `direction` for every trainable variable.
 *
 * Extra cost per step: 1 + `innerSteps` backward passes on the inner batch, K backward passes for
 * the outer Jacobian, 1 + `innerSteps` loss evaluations, one (K+1)×(K+1) QP; memory: a K×D
 * Jacobian and a copy of θ. The model step is replaced by `direction` (no separate backward).
 *
 * Diagnostics: `forumNu`, `forumLambda{k}`; a non-converged QP is reported in `warnings`.
 * @see Ye, Yao, Lin, Jiang, Zhang & Kwok, "A First-Order Multi-Gradient Algorithm for
 *   Multi-Objective Bi-Level Optimization", ECAI 2024; LibMTL `trainer.py` (`bacth_forward_FORUM`).
 */
export function forum(options: ForumOptions = {}): BilevelMethod<ForumState> {
  const config = validateOptions('forum', schema, { ...options });
  const phi = config['phi'] as number;
  const innerSteps = config['innerSteps'] as number;
  const innerLr = config['innerLr'] as number;
  const outerLr = config['outerLr'] as number;
  return {
    id: 'forum',
    config,
    init: (k) => ({ tw: initTaskWeights(k), lambda: new Float64Array(k) }),
    step(oracle, state, ctx) {
      const k = oracle.tasks.length;
      const warnings: string[] = [];
      const s = taskWeights(state.tw.logits);
      // 1. Lower level: g_f and θ_T.
      const gfTheta = oracle.gradient('inner', s);
      const gfAlpha = softmaxGrad(state.tw.logits, oracle.losses('inner'));
      let thetaT: ParamTree = oracle.params;
      for (let t = 0; t < innerSteps; t++) {
        const g = t === 0 ? gfTheta : oracle.gradient('inner', s, thetaT);
        const next = axpy(thetaT, -innerLr, g);
        if (t > 0) disposeTree(g);
        if (thetaT !== oracle.params) disposeTree(thetaT);
        thetaT = next;
      }
      const lT = oracle.losses('inner', thetaT);
      if (thetaT !== oracle.params) disposeTree(thetaT);
      const gfAlphaT = softmaxGrad(state.tw.logits, lT);
      const gqAlpha = gfAlpha.map((v, i) => v - gfAlphaT[i]!);
      const gqTheta = gfTheta;
      // 2. Upper level: normalised outer task gradients.
      const phiJ = oracle.jacobian('outer');
      const cross = crossGramian(phiJ.blocks, phiJ.blocks, k);
      const norms = Float64Array.from({ length: k }, (_, t) =>
        Math.sqrt(Math.max(cross[t * k + t]!, 0)),
      );
      if (norms.some((v) => !(v > 0))) {
        warnings.push(
          'forum: a task has a zero outer gradient; its normalised gradient is taken as 0',
        );
      }
      const inv = norms.map((v) => (v > 0 ? 1 / v : 0));
      const dotT = tf.tidy(() =>
        tf.addN(
          Object.entries(phiJ.blocks).map(([name, b]) =>
            tf.reshape(tf.matMul(tf.reshape(b, [k, -1]), tf.reshape(gqTheta[name]!, [-1, 1])), [k]),
          ),
        ),
      );
      const gqDotPhi = Float64Array.from(dotT.dataSync());
      dotT.dispose();
      let gqNorm2 = treeDot(gqTheta, gqTheta);
      for (const v of gqAlpha) gqNorm2 += v * v;
      const denom = gqNorm2 + 1e-8;
      const pi = Float64Array.from({ length: k }, (_, t) => phi - (gqDotPhi[t]! * inv[t]!) / denom);
      const c = phi * denom;
      // 3. QP on (w_1..w_K, w_{K+1}) with M = AAᵀ.
      const n = k + 1;
      const h = new Float64Array(n * n);
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < k; b++) h[a * n + b] = 2 * cross[a * k + b]! * inv[a]! * inv[b]!;
        h[a * n + k] = h[k * n + a] = 2 * gqDotPhi[a]! * inv[a]!;
      }
      h[k * n + k] = 2 * gqNorm2;
      const q = new Float64Array(n);
      q[k] = -c;
      const aRows = new Float64Array((n + 1) * n);
      for (let i = 0; i < n; i++) aRows[i * n + i] = -1;
      for (let t = 0; t < k; t++) aRows[n * n + t] = pi[t]!;
      aRows[n * n + k] = -1;
      const e = new Float64Array(n).fill(1);
      e[k] = 0;
      const qp = solveIneqQp(h, n, q, { a: aRows, b: new Float64Array(n + 1), e, f: [1] });
      if (!qp.status.converged) {
        warnings.push(
          `forum: the QP did not converge (${qp.status.iterations} iterations, residual ${qp.status.residual.toExponential(2)}); its last iterate is used`,
        );
      }
      // 4. λ EMA and ν.
      const rate = 1 / (ctx.epoch + 1) ** 0.75;
      const lambda = state.lambda.map((l, t) => l + rate * (Math.max(qp.x[t]!, 0) - l));
      let nu = 0;
      for (let t = 0; t < k; t++) nu += lambda[t]! * pi[t]!;
      nu = Math.max(nu, 0);
      // 5. The combined direction.
      const fromPhi = combine(
        phiJ,
        lambda.map((l, t) => l * inv[t]!),
      );
      disposeTree(phiJ.blocks);
      const direction = axpy(fromPhi, nu, gqTheta);
      disposeTree(fromPhi);
      disposeTree(gqTheta);
      const tw = stepTaskWeights(
        state.tw,
        gqAlpha.map((v) => nu * v),
        outerLr,
      );
      return {
        state: { tw, lambda },
        weights: lambda,
        direction,
        diagnostics: {
          forumNu: nu,
          ...Object.fromEntries(Array.from(lambda, (v, t) => [`forumLambda${t}`, v])),
        },
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    },
  };
}

export const forumEntry: RegistryEntry<BilevelMethod<ForumState>> = {
  id: 'forum',
  kind: 'bilevel',
  displayName: 'FORUM',
  summary:
    'First-order multi-gradient bi-level method: value-function constraint plus an MGDA-style QP.',
  reference:
    'Ye, Yao, Lin, Jiang, Zhang & Kwok, "A First-Order Multi-Gradient Algorithm for Multi-Objective Bi-Level Optimization", ECAI 2024. Matches the LibMTL trainer port (φ = 0.1); the QP is solved by an interior-point method instead of cvxpy.',
  evidence: 'code',
  cost: {
    backward: 'K+1+innerSteps',
    notes:
      'K outer + (1 + innerSteps) inner backward passes on two extra half-size batches; replaces the model step; (K+1)-variable QP',
  },
  options: schema,
  create: (o) => forum(o as ForumOptions),
};
