/**
 * The two-objective toy problem of CAGrad → Nash-MTL → FAMO (REFERENCES §6), in float64 with
 * analytic gradients that follow PyTorch's autograd conventions exactly:
 *
 * - `clamp(u, lo)` passes the gradient where `u ≥ lo` (so at the `max(tanh(·), 0)` kink, x₂ = 0,
 *   the gradient of the active branch passes);
 * - `d|a|/da = sign(a)` with `sign(0) = 0`.
 *
 * Definition (x = (x₁, x₂)), following the reference code where the papers differ (`+tanh(−x₂)`
 * in f₂):
 *
 *     f₁ = log(max(|0.5(−x₁−7) − tanh(−x₂)|, 5e-6)) + 6
 *     f₂ = log(max(|0.5(−x₁+3) + tanh(−x₂) + 2|, 5e-6)) + 6
 *     g₁ = ((−x₁+7)² + 0.1(−x₂−8)²)/10 − 20
 *     g₂ = ((−x₁−7)² + 0.1(−x₂−8)²)/10 − 20
 *     c₁ = max(tanh(x₂/2), 0),  c₂ = max(tanh(−x₂/2), 0)
 *     L₁ = s·(c₁f₁ + c₂g₁),     L₂ = c₁f₂ + c₂g₂
 *
 * with s = 1 (CAGrad variant) or s = 0.1 (Nash-MTL / FAMO variant).
 */

/** Losses and the 2×2 Jacobian (row k = ∇L_k) at one point. */
export interface ToyEvaluation {
  readonly losses: Float64Array;
  /** Row-major [∂L₁/∂x₁, ∂L₁/∂x₂, ∂L₂/∂x₁, ∂L₂/∂x₂]. */
  readonly jacobian: Float64Array;
}

const LOWER = 5e-6;

/** `log(max(|a|, LOWER)) + 6` and its derivative in a (PyTorch conventions). */
function logAbs(a: number): [value: number, da: number] {
  const u = Math.abs(a);
  if (u >= LOWER) return [Math.log(u) + 6, Math.sign(a) / u];
  return [Math.log(LOWER) + 6, 0];
}

/** `max(t, 0)` and the gate of its gradient (passes at t = 0, as `torch.clamp`). */
function clampZero(t: number): [value: number, gate: number] {
  return t >= 0 ? [t, 1] : [0, 0];
}

/**
 * Evaluates both losses and their gradients at `(x1, x2)`.
 *
 * @param scale - Factor s on L₁ (1 for the CAGrad variant, 0.1 for Nash-MTL / FAMO).
 * @param out - Optional buffers to fill (the toy runner reuses them across 100k iterations).
 */
export function evaluateToy(x1: number, x2: number, scale = 1, out?: ToyEvaluation): ToyEvaluation {
  const losses = out?.losses ?? new Float64Array(2);
  const jac = out?.jacobian ?? new Float64Array(4);

  const tm = Math.tanh(-x2);
  const dtm = -(1 - tm * tm); // d tanh(−x₂)/dx₂
  const [f1, df1da] = logAbs(0.5 * (-x1 - 7) - tm);
  const [f2, df2da] = logAbs(0.5 * (-x1 + 3) + tm + 2);
  // a₁ = 0.5(−x₁−7) − tanh(−x₂): ∂a₁/∂x₁ = −0.5, ∂a₁/∂x₂ = −dtm; a₂: −0.5 and +dtm.
  const f1x1 = -0.5 * df1da;
  const f1x2 = -dtm * df1da;
  const f2x1 = -0.5 * df2da;
  const f2x2 = dtm * df2da;

  const q = 0.1 * (-x2 - 8) ** 2;
  const g1 = ((-x1 + 7) ** 2 + q) / 10 - 20;
  const g2 = ((-x1 - 7) ** 2 + q) / 10 - 20;
  const g1x1 = (x1 - 7) / 5;
  const g2x1 = (x1 + 7) / 5;
  const gx2 = (x2 + 8) / 50;

  const th = Math.tanh(x2 / 2);
  const dth = 0.5 * (1 - th * th);
  const [c1, gate1] = clampZero(th);
  const [c2, gate2] = clampZero(-th);
  const c1x2 = gate1 * dth;
  const c2x2 = -gate2 * dth;

  losses[0] = scale * (c1 * f1 + c2 * g1);
  losses[1] = c1 * f2 + c2 * g2;
  jac[0] = scale * (c1 * f1x1 + c2 * g1x1);
  jac[1] = scale * (c1 * f1x2 + f1 * c1x2 + c2 * gx2 + g1 * c2x2);
  jac[2] = c1 * f2x1 + c2 * g2x1;
  jac[3] = c1 * f2x2 + f2 * c1x2 + c2 * gx2 + g2 * c2x2;
  return { losses, jacobian: jac };
}

/** The two documented variants of the toy problem. */
export type ToyVariant = 'cagrad' | 'nash';

/** Settings of a variant (REFERENCES §6.1). */
export interface ToyVariantSpec {
  readonly scale: number;
  readonly iterations: number;
  readonly inits: readonly (readonly [number, number])[];
}

/** REFERENCES §6.1: the CAGrad paper's five inits, and the Nash-MTL / FAMO set. */
export const TOY_VARIANTS: Readonly<Record<ToyVariant, ToyVariantSpec>> = {
  cagrad: {
    scale: 1,
    iterations: 100_000,
    inits: [
      [-8.5, 7.5],
      [-8.5, 5],
      [0, 0],
      [9, 9],
      [10, -8],
    ],
  },
  nash: {
    scale: 0.1,
    iterations: 35_000,
    inits: [
      [-8.5, 7.5],
      [0, 0],
      [9, 9],
      [-7.5, -0.5],
      [9, -1],
    ],
  },
};

/**
 * Whether `(x1, x2)` lies on the Pareto set of the toy problem: the segment x₁ ∈ [−7, 7] near
 * x₂ ≈ −8.36 (the lower valley between the minimisers (−7, ·) of L₂ and (7, ·) of L₁; the
 * documented end points lie within x₂ ∈ [−8.45, −8.35]).
 */
export function onParetoFront(x1: number, x2: number): boolean {
  return Math.abs(x1) <= 7.05 && x2 <= -8.2 && x2 >= -8.6;
}
