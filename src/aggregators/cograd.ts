/**
 * CoGrad: gradient coordination for knowledge transference (seed method 2, ALGORITHMS.md §2).
 *
 * Evidence: [RECON]. No official code exists. The default rule follows a third-party
 * implementation that quotes it as the paper's Eq. 10 (unverified); the variants are this
 * library's reconstructions from the abstract (transference = look-ahead loss reduction, an
 * auxiliary gradient from maximising it, a cheap Hessian approximation).
 *
 * Two layers:
 * - {@link cograd}: the registered aggregator, J → d, with `hessian: 'diag'` (default) or
 *   `'outer'`; both need only the current step's Jacobian.
 * - {@link cogradSecondOrder} (`'hvp'` exact Hessian-vector products by double backward, `'fd'`
 *   finite differences of gradients) and {@link measureTransference}: they need to re-evaluate
 *   the task losses at other parameter values, so they take a loss closure and the shared
 *   variables. `'hvp'` is the test oracle of `'diag'`; `'fd'` is the fallback where second
 *   order is unavailable.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, NumericalError, ShapeError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type {
  Aggregator,
  AggregatorResult,
  AggregatorTraits,
  Direction,
  EmptyState,
  Gramian,
  StepContext,
  TaskJacobian,
} from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { EMPTY_STATE, stateless, withConfig } from '../weightings/base.js';
import { assertJacobian, combine, gramian } from '../autodiff/gramian.js';
import { hessianVectorProduct } from '../autodiff/higher-order.js';

/** Hessian approximation of the registered aggregator. */
export type CogradHessian = 'diag' | 'outer';

/** Options of {@link cograd}. */
export interface CogradOptions {
  /** `'diag'` (default): H_i ≈ diag(g_i⊙g_i); `'outer'`: H_i ≈ g_i g_iᵀ, scale-normalised. */
  readonly hessian?: CogradHessian;
  /**
   * γ of `'diag'`: one number (default 0.005) or one per task, indexed by the **source** task j
   * (ĝ_1 = g_1 − γ_2·g_1⊙g_1⊙g_2).
   */
  readonly gamma?: number | readonly number[];
  /** λ of `'outer'` (default 0.1). */
  readonly lambda?: number;
  /** π: non-negative preset task weights (default all ones); d = Σ_i π_i ĝ_i. */
  readonly taskWeights?: readonly number[];
}

/** Option schema of CoGrad. */
export const cogradSchema: OptionsSchema = {
  hessian: {
    type: 'enum',
    values: ['diag', 'outer'],
    default: 'diag',
    description:
      "Hessian approximation: 'diag' (element-wise, the quoted Eq. 10) or 'outer' (outer-product, scale-normalised)",
  },
  gamma: {
    type: 'number|number[]',
    default: 0.005,
    description:
      "γ of 'diag': one number or one per source task j; the term is cubic in the gradient scale, so γ depends on the loss scale",
  },
  lambda: {
    type: 'number',
    default: 0.1,
    min: 0,
    description: "λ of 'outer': weight of the normalised pair terms",
  },
  taskWeights: {
    type: 'number[]',
    description: 'π: non-negative preset task weights, one per task (default all ones)',
  },
};

interface Parsed {
  readonly hessian: CogradHessian;
  readonly gamma: number | readonly number[];
  readonly lambda: number;
  readonly taskWeights: readonly number[] | undefined;
  readonly config: Readonly<Record<string, unknown>>;
}

function parse(owner: string, options: Readonly<Record<string, unknown>>): Parsed {
  const config = validateOptions(owner, cogradSchema, { ...options });
  const gamma = config['gamma'] as number | readonly number[];
  const gs = typeof gamma === 'number' ? [gamma] : gamma;
  if (gs.length === 0 || gs.some((g) => g < 0)) {
    throw new ConfigError(
      `${owner}: option \`gamma\` must be a number ≥ 0 or a non-empty array of them (one per source task), got ${JSON.stringify(gamma)}`,
    );
  }
  const pi = config['taskWeights'] as readonly number[] | undefined;
  if (pi !== undefined && (pi.length === 0 || pi.some((p) => p < 0))) {
    throw new ConfigError(
      `${owner}: option \`taskWeights\` must be a non-empty array of non-negative numbers (one per task), got [${pi.join(', ')}]`,
    );
  }
  return {
    hessian: config['hessian'] as CogradHessian,
    gamma,
    lambda: config['lambda'] as number,
    taskWeights: pi,
    config,
  };
}

/** Expands a scalar-or-per-task option to K values (ShapeError naming the option otherwise). */
function perTask(
  owner: string,
  name: string,
  v: number | readonly number[] | undefined,
  k: number,
  fill: number,
): Float64Array {
  if (v === undefined) return new Float64Array(k).fill(fill);
  if (typeof v === 'number') return new Float64Array(k).fill(v);
  if (v.length !== k) {
    throw new ShapeError(
      `${owner}: option \`${name}\` has ${v.length} entries but the Jacobian has ${k} tasks; pass one per task or a single number`,
    );
  }
  return Float64Array.from(v);
}

function uniform(v: readonly number[] | number | undefined): boolean {
  return v === undefined || typeof v === 'number' || v.every((x) => x === v[0]);
}

/**
 * Combines corrected task gradients ĝ_i = g_i − aux_i: d = Σ_i π_i ĝ_i per block, and the ratio
 * ‖d − Σ_i π_i g_i‖ / ‖Σ_i π_i g_i‖ (`cogradAuxRatio`), read back once.
 *
 * `auxOf(g, name)` returns the `[K, D_b]` auxiliary rows of block `name` from its `[K, D_b]` rows.
 */
function combineCorrected(
  owner: string,
  j: TaskJacobian,
  pi: Float64Array,
  auxOf: (g: tf.Tensor2D, name: string) => tf.Tensor2D,
): { direction: Direction; auxRatio: number } {
  const k = j.tasks.length;
  const piF = Float32Array.from(pi);
  const { direction, norms } = tf.tidy(() => {
    const p = tf.tensor2d(piF, [1, k]);
    const out: Record<string, tf.Tensor> = {};
    const auxSq: tf.Tensor[] = [];
    const baseSq: tf.Tensor[] = [];
    for (const [name, b] of Object.entries(j.blocks)) {
      const g = b.reshape([k, b.size / k]) as tf.Tensor2D;
      const base = tf.matMul(p, g);
      const auxSum = tf.matMul(p, auxOf(g, name));
      out[name] = tf.sub(base, auxSum).reshape(b.shape.slice(1));
      auxSq.push(tf.sum(tf.square(auxSum)));
      baseSq.push(tf.sum(tf.square(base)));
    }
    const sum = (xs: tf.Tensor[]): tf.Tensor => (xs.length === 0 ? tf.scalar(0) : tf.addN(xs));
    return { direction: out, norms: tf.stack([sum(auxSq), sum(baseSq)]) };
  });
  const [aux, base] = norms.dataSync();
  norms.dispose();
  if (!Number.isFinite(aux!) || !Number.isFinite(base!)) {
    tf.dispose(Object.values(direction));
    throw new NumericalError(
      `${owner}: the corrected direction is not finite (‖aux‖² = ${aux}, ‖Σπg‖² = ${base}); check the gradients for NaN/Inf or reduce γ (the auxiliary term is cubic in the gradient scale)`,
    );
  }
  return { direction, auxRatio: base! > 0 ? Math.sqrt(aux!) / Math.sqrt(base!) : 0 };
}

/**
 * The `'diag'` auxiliary rows aux_i = γ-weighted g_i⊙g_i⊙Σ_{j≠i} γ_j g_j, computed in O(KD) as
 * g_i⊙g_i⊙(S − γ_i g_i) with S = Σ_j γ_j g_j.
 */
function diagAux(g: tf.Tensor2D, gamma: Float64Array): tf.Tensor2D {
  const k = gamma.length;
  const gam = Float32Array.from(gamma);
  const s = tf.matMul(tf.tensor2d(gam, [1, k]), g);
  const others = tf.sub(s, tf.mul(tf.tensor2d(gam, [k, 1]), g));
  return tf.mul(tf.square(g), others);
}

/** Weights of `'outer'` from G: w_i = π_i·(1 − λ Σ_{j≠i} cos(g_i, g_j)), cos := 0 for zero rows. */
export function cogradOuterWeights(g: Gramian, lambda: number, pi: Float64Array): Float64Array {
  const k = g.k;
  const norms = Float64Array.from({ length: k }, (_, i) =>
    Math.sqrt(Math.max(0, g.data[i * k + i]!)),
  );
  const maxNorm = Math.max(0, ...norms);
  // Library policy (ALGORITHMS §0.3.2): a gradient below ε·max‖g‖ has no direction.
  const zero = Array.from(norms, (n) => !(n > 1e-8 * maxNorm));
  const w = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) {
      if (j === i || zero[i] || zero[j]) continue;
      s += g.data[i * k + j]! / (norms[i]! * norms[j]!);
    }
    w[i] = pi[i]! * (1 - lambda * s);
  }
  return w;
}

const BASE_TRAITS: AggregatorTraits = {
  nonConflicting: 'never-claimed',
  permutationInvariant: true,
  linearUnderScaling: false,
  singleTask: 'identity',
  stochastic: false,
  stateful: false,
};

function traitsFor(p: Parsed): AggregatorTraits {
  const single =
    p.taskWeights === undefined || (p.taskWeights.length === 1 && p.taskWeights[0] === 1);
  const permutationInvariant =
    uniform(p.taskWeights) && (p.hessian === 'outer' || uniform(p.gamma));
  return {
    ...BASE_TRAITS,
    permutationInvariant,
    singleTask: single ? 'identity' : 'unsupported',
    // 'outer' is scale-free in w (cosines), so d is degree-1 homogeneous; 'diag' mixes a linear
    // and a cubic term and has no homogeneity.
    ...(p.hessian === 'outer' ? { homogeneity: 1 as const } : {}),
  };
}

/**
 * CoGrad (Yang, Zhao, Liu, Wang & Zheng, "Gradient Coordination for Quantifying and Maximizing
 * Knowledge Transference in Multi-Task Learning", SIGIR 2023). **No official code. The default
 * rule follows a third-party implementation quoting the paper's Eq. 10 (unverified); see
 * docs/methods/cograd.md.**
 *
 * Transference T_{j→i} = L_i(θ) − L_i(θ − ηg_j) has ∇T_{j→i} ≈ η(H_i g_j + H_j g_i); CoGrad
 * subtracts a multiple of it from each task gradient so that the step also ascends transference:
 * - `'diag'` (default, H_i ≈ diag(g_i⊙g_i)): `ĝ_i = g_i − g_i⊙g_i⊙Σ_{j≠i} γ_j g_j`,
 *   `d = Σ_i π_i ĝ_i` (element-wise, per parameter tensor; O(KD)).
 * - `'outer'` (H_i ≈ g_i g_iᵀ, normalised): `d = Σ_i π_i g_i − λ Σ_i Σ_{j≠i} cos_ij (π_i g_i + π_j g_j)/2`,
 *   i.e. `w_i = π_i(1 − λ Σ_{j≠i} cos_ij)` (a Gramian weighting).
 *
 * Properties: γ = 0 (or λ = 0) gives EW (Σ_i π_i g_i); K = 1 gives d = g; g_2 = −g_1 gives d = 0;
 * permutation-invariant for scalar γ and uniform π; `'diag'` is not homogeneous (cubic term: γ is
 * tied to the loss scale), `'outer'` is degree-1 homogeneous. No non-conflict guarantee.
 * Cost: K backward passes; `'diag'` O(KD) element-wise plus one 2-scalar read-back, `'outer'` the
 * Gramian plus O(K²) host work. Stateless. Deterministic. Diagnostic `cogradAuxRatio` =
 * ‖d − Σπ_i g_i‖ / ‖Σπ_i g_i‖ (shows whether γ does anything at all).
 * @example
 * const agg = cograd({ gamma: 0.01 });
 * // J = [[1, 2], [3, -1]] → ĝ_1 = g_1 − 0.01·g_1²⊙g_2 = [0.97, 2.04], ĝ_2 = [2.91, -1.02], d = [3.88, 1.02]
 */
export function cograd(options: CogradOptions = {}): Aggregator<EmptyState> {
  const p = parse('cograd', options as Readonly<Record<string, unknown>>);
  const traits = traitsFor(p);
  if (p.hessian === 'outer') {
    const weighting = withConfig(
      stateless('cograd', (gram) => {
        const pi = perTask('cograd', 'taskWeights', p.taskWeights, gram.k, 1);
        return { weights: cogradOuterWeights(gram, p.lambda, pi) };
      }),
      p.config,
    );
    return {
      id: 'cograd',
      traits,
      config: p.config,
      weighting,
      init: () => EMPTY_STATE,
      update(j, state, ctx) {
        const g = gramian(j);
        const r = weighting.weigh(g, state, ctx);
        const direction = combine(j, r.weights);
        let base = 0;
        let dd = 0;
        const pi = perTask('cograd', 'taskWeights', p.taskWeights, g.k, 1);
        // ‖d − Σπg‖/‖Σπg‖ from G alone: both are combinations of the rows.
        for (let a = 0; a < g.k; a++)
          for (let b = 0; b < g.k; b++) {
            const gab = g.data[a * g.k + b]!;
            base += pi[a]! * pi[b]! * gab;
            dd += (r.weights[a]! - pi[a]!) * (r.weights[b]! - pi[b]!) * gab;
          }
        return {
          direction,
          state,
          weights: r.weights,
          gramian: g,
          diagnostics: {
            cogradAuxRatio: base > 0 ? Math.sqrt(Math.max(0, dd) / base) : 0,
          },
        };
      },
    };
  }
  return {
    id: 'cograd',
    traits,
    config: p.config,
    init: () => EMPTY_STATE,
    update(j: TaskJacobian, state: EmptyState, _ctx: StepContext): AggregatorResult<EmptyState> {
      const k = assertJacobian('cograd', j);
      const gamma = perTask('cograd', 'gamma', p.gamma, k, 0);
      const pi = perTask('cograd', 'taskWeights', p.taskWeights, k, 1);
      const { direction, auxRatio } = combineCorrected('cograd', j, pi, (g) => diagAux(g, gamma));
      return { direction, state, diagnostics: { cogradAuxRatio: auxRatio } };
    },
  };
}

export const cogradEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'cograd',
  kind: 'aggregator',
  displayName: 'CoGrad',
  summary:
    'Adds to each task gradient an auxiliary term that ascends the transference between tasks (element-wise Hessian approximation by default).',
  reference:
    'CoGrad: no official code; the default rule follows a third-party implementation quoting the paper\'s equation 10 (unverified); see docs. Yang, Zhao, Liu, Wang & Zheng, "Gradient Coordination for Quantifying and Maximizing Knowledge Transference in Multi-Task Learning", SIGIR 2023 (arXiv 2303.05847); docs/methods/cograd.md.',
  evidence: 'recon',
  cost: {
    backward: 'K',
    notes: "'diag': O(KD) element-wise; 'outer': Gramian + O(K²) host",
  },
  traits: traitsFor(parse('cograd', {})),
  options: cogradSchema,
  create: (o) => cograd(o as CogradOptions),
};

// ---------------------------------------------------------------------------------------------
// Variants that re-evaluate the losses: 'hvp' (oracle), 'fd' (fallback), transference metric.
// ---------------------------------------------------------------------------------------------

/**
 * Runs the model forward with the variables' current values and returns the K task losses (in
 * the Jacobian's task order). It must be deterministic (replay the same batch, dropout masks and
 * rng state on every call) and, for `'hvp'`, built from second-order-safe ops.
 */
export type TaskLossesFn = () => readonly tf.Scalar[];

/** Options of {@link cogradSecondOrder}. */
export interface CogradSecondOrderOptions {
  /** `'hvp'`: exact H_i·v by double backward; `'fd'`: central differences of ∇L_i. */
  readonly hessian: 'hvp' | 'fd';
  /** γ (number, default 0.005, or one per source task). */
  readonly gamma?: number | readonly number[];
  readonly taskWeights?: readonly number[];
  /** `'fd'` step: θ ± r·v with r = `fdRadius`/‖v‖ (default 1e-3). */
  readonly fdRadius?: number;
}

/** Result of {@link cogradSecondOrder} (tensors owned by the caller). */
export interface CogradSecondOrderResult {
  readonly direction: Direction;
  /** Per task, the auxiliary term Σ_{j≠i} γ_j H_i g_j, keyed like the Jacobian blocks. */
  readonly auxiliary: readonly Direction[];
  readonly diagnostics: { readonly cogradAuxRatio: number };
}

function checkVars(owner: string, j: TaskJacobian, vars: readonly tf.Variable[]): void {
  const keys = Object.keys(j.blocks);
  const names = vars.map((v) => v.name);
  if (keys.length !== names.length || keys.some((k) => !names.includes(k))) {
    throw new ShapeError(
      `${owner}: the Jacobian blocks [${keys.join(', ')}] must be the shared variables [${names.join(', ')}] (params mode, keyed by variable name)`,
    );
  }
  for (const v of vars) {
    const b = j.blocks[v.name]!;
    if (!tf.util.arraysEqual(b.shape.slice(1), v.shape)) {
      throw new ShapeError(
        `${owner}: block '${v.name}' has shape [${b.shape.join(', ')}], expected [K, ${v.shape.join(', ')}]`,
      );
    }
  }
}

/** Σ_j c_j·J[j] per block, as one tensor per variable (owned by the caller). */
function rowCombination(
  j: TaskJacobian,
  vars: readonly tf.Variable[],
  c: Float64Array,
): tf.Tensor[] {
  const d = combine(j, c);
  return vars.map((v) => d[v.name]!);
}

/** Sets the variables to θ + s·v, runs `body`, and restores θ exactly (even if `body` throws). */
function atShifted<T>(
  vars: readonly tf.Variable[],
  v: readonly tf.Tensor[],
  s: number,
  body: () => T,
): T {
  const saved = vars.map((x) => tf.clone(x));
  try {
    // assign() shares the new value's data; the temporary tensor itself is freed by the tidy.
    tf.tidy(() => vars.forEach((x, i) => x.assign(tf.add(saved[i]!, tf.mul(v[i]!, s)))));
    return body();
  } finally {
    vars.forEach((x, i) => x.assign(saved[i]!));
    tf.dispose(saved);
  }
}

function gradsOf(loss: () => tf.Scalar, vars: readonly tf.Variable[]): tf.Tensor[] {
  const { value, grads } = tf.variableGrads(loss, [...vars]);
  value.dispose();
  return vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
}

/**
 * CoGrad with exact (`'hvp'`) or finite-difference (`'fd'`) Hessian-vector products:
 * `ĝ_i = g_i − Σ_{j≠i} γ_j H_i g_j = g_i − H_i v_i` with `v_i = Σ_{j≠i} γ_j g_j`, `d = Σ_i π_i ĝ_i`.
 * H_i is linear, so one product per task suffices (K products, not K(K−1)).
 *
 * `'hvp'`: H_i v = ∇_θ⟨∇_θL_i, v⟩ by double backward (≈ 3–4 backward-equivalents per task); every
 * op on the path must be second-order-safe (`autodiff/safe-ops`). `'fd'`:
 * H_i v ≈ (∇L_i(θ + rv) − ∇L_i(θ − rv))/(2r), r = `fdRadius`/‖v‖ (2K backward passes); the
 * variables are restored exactly afterwards.
 *
 * @param jacobian - params-mode Jacobian, blocks keyed by the names of `vars` (borrowed).
 * @param losses - the task-loss closure (see {@link TaskLossesFn}).
 * @param vars - the shared variables θ.
 */
export function cogradSecondOrder(
  jacobian: TaskJacobian,
  losses: TaskLossesFn,
  vars: readonly tf.Variable[],
  options: CogradSecondOrderOptions,
): CogradSecondOrderResult {
  const owner = `cograd('${options.hessian}')`;
  if (options.hessian !== 'hvp' && options.hessian !== 'fd') {
    throw new ConfigError(
      `cogradSecondOrder: option \`hessian\` must be 'hvp' or 'fd', got '${String(options.hessian)}'`,
    );
  }
  const p = parse(owner, {
    ...(options.gamma !== undefined ? { gamma: options.gamma } : {}),
    ...(options.taskWeights !== undefined ? { taskWeights: options.taskWeights } : {}),
  });
  const radius = options.fdRadius ?? 1e-3;
  if (!(radius > 0) || !Number.isFinite(radius)) {
    throw new ConfigError(
      `${owner}: option \`fdRadius\` must be a finite number > 0, got ${radius}`,
    );
  }
  const k = assertJacobian(owner, jacobian);
  checkVars(owner, jacobian, vars);
  const gamma = perTask(owner, 'gamma', p.gamma, k, 0);
  const pi = perTask(owner, 'taskWeights', p.taskWeights, k, 1);
  const auxiliary: Direction[] = [];
  try {
    for (let i = 0; i < k; i++) {
      const c = Float64Array.from(gamma, (g, j) => (j === i ? 0 : g));
      const v = rowCombination(jacobian, vars, c);
      let hv: tf.Tensor[];
      try {
        const lossI = (): tf.Scalar => losses()[i]!;
        if (options.hessian === 'hvp') {
          hv = hessianVectorProduct(lossI, vars, v);
        } else {
          const norm = tf.tidy(() =>
            Math.sqrt(tf.addN(v.map((t) => tf.sum(tf.square(t)))).dataSync()[0]!),
          );
          if (norm === 0) {
            hv = vars.map((x) => tf.zerosLike(x));
          } else {
            const r = radius / norm;
            const plus = atShifted(vars, v, r, () => gradsOf(lossI, vars));
            const minus = atShifted(vars, v, -r, () => gradsOf(lossI, vars));
            hv = plus.map((gp, n) => tf.tidy(() => tf.div(tf.sub(gp, minus[n]!), 2 * r)));
            tf.dispose([...plus, ...minus]);
          }
        }
      } finally {
        tf.dispose(v);
      }
      auxiliary.push(Object.fromEntries(vars.map((x, n) => [x.name, hv[n]!])));
    }
    const { direction, auxRatio } = combineCorrected(
      owner,
      jacobian,
      pi,
      (_g, name) => tf.stack(auxiliary.map((a) => a[name]!)).reshape([k, -1]) as tf.Tensor2D,
    );
    return { direction, auxiliary, diagnostics: { cogradAuxRatio: auxRatio } };
  } catch (e) {
    for (const a of auxiliary) tf.dispose(Object.values(a));
    throw e;
  }
}

/** Options of {@link measureTransference}. */
export interface TransferenceOptions {
  /** Look-ahead step size η (default 1e-3). */
  readonly eta?: number;
  /** `'diff'` (default): L_i(θ) − L_i(θ − ηg_j); `'ratio'` (TAG): 1 − L_i(θ − ηg_j)/L_i(θ). */
  readonly form?: 'diff' | 'ratio';
}

/**
 * Measured transference (ALGORITHMS §2.1): `T[i·K + j] = T_{j→i} = L_i(θ) − L_i(θ − η g_j)`
 * (> 0: task j's own step helps task i), by actually taking each look-ahead step on the shared
 * variables and re-evaluating the losses; the variables are restored exactly. To first order
 * T_{j→i} ≈ η g_i·g_j.
 *
 * Cost: K + 1 forward passes (no backward). Returns a host K×K row-major matrix.
 * @param jacobian - params-mode Jacobian keyed by the names of `vars` (borrowed; rows g_j).
 */
export function measureTransference(
  jacobian: TaskJacobian,
  losses: TaskLossesFn,
  vars: readonly tf.Variable[],
  options: TransferenceOptions = {},
): Float64Array {
  const eta = options.eta ?? 1e-3;
  const form = options.form ?? 'diff';
  if (!(eta > 0) || !Number.isFinite(eta)) {
    throw new ConfigError(
      `measureTransference: option \`eta\` must be a finite number > 0, got ${eta}`,
    );
  }
  if (form !== 'diff' && form !== 'ratio') {
    throw new ConfigError(
      `measureTransference: option \`form\` must be 'diff' or 'ratio', got '${String(form)}'`,
    );
  }
  const k = assertJacobian('measureTransference', jacobian);
  checkVars('measureTransference', jacobian, vars);
  const evaluate = (): Float64Array => {
    const t = tf.tidy(() => tf.stack([...losses()]));
    const out = Float64Array.from(t.dataSync());
    t.dispose();
    if (out.length !== k) {
      throw new ShapeError(
        `measureTransference: the loss closure returned ${out.length} losses for ${k} tasks`,
      );
    }
    return out;
  };
  const base = evaluate();
  const T = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    const e = new Float64Array(k);
    e[j] = 1;
    const gj = rowCombination(jacobian, vars, e);
    try {
      const after = atShifted(vars, gj, -eta, evaluate);
      for (let i = 0; i < k; i++) {
        T[i * k + j] = form === 'diff' ? base[i]! - after[i]! : 1 - after[i]! / base[i]!;
      }
    } finally {
      tf.dispose(gj);
    }
  }
  return T;
}
