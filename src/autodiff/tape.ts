/**
 * One recorded forward pass, back-propagated as many times as needed (PERFORMANCE §12b).
 *
 * TF.js has no `retain_graph`: `tf.variableGrads` re-runs the forward on every call, so K per-task
 * gradients through it cost K forwards (up to 6.7× a plain step). Its engine can, however, record
 * one forward onto a tape and walk that tape backwards several times: registered gradient
 * functions only read the node's `saved` tensors and never dispose them. This module mirrors
 * `Engine.gradients()` and `backpropagateGradients()` of tfjs-core 4.22 (`engine.ts`, `tape.ts`),
 * with two differences: the tape is kept until {@link RecordedTape.dispose}, and a backward pass
 * accepts several seeded outputs (any tensor of the forward, not only a scalar loss) at once.
 *
 * It touches private engine state, so tfjs is pinned (4.22) and `jacobian.test.ts` keeps an
 * equality test against K separate `tf.variableGrads` calls.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, GradientNotRegisteredError, MtlError } from '../core/errors.js';

/** A node of the TF.js tape (tfjs-core `tape.ts`). */
interface TapeNode {
  readonly id: number;
  readonly kernelName: string;
  readonly outputs: tf.Tensor[];
  readonly inputs: Record<string, tf.Tensor>;
  readonly gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  readonly saved?: tf.Tensor[];
}

/** The private parts of `tf.engine()` this module needs. */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number; kernelDepth: number };
  startTape(): void;
  endTape(): void;
  scopedRun<R>(start: () => void, end: () => void, f: () => R): R;
  tidy(name: string, f: () => tf.TensorContainer): tf.TensorContainer;
}

/** Checked access to the engine internals; a clear error if a TF.js upgrade moved them. */
export function engineInternals(owner: string): EngineInternals {
  const e = tf.engine() as unknown as Partial<EngineInternals>;
  if (
    typeof e.startTape !== 'function' ||
    typeof e.endTape !== 'function' ||
    typeof e.scopedRun !== 'function' ||
    e.state === undefined ||
    typeof e.state.gradientDepth !== 'number'
  ) {
    throw new ConfigError(
      `${owner}: this TF.js build does not expose the engine tape internals manytask uses ` +
        `(tested with @tensorflow/tfjs 4.22); use the engine option \`engine: 'naive'\`, which calls tf.variableGrads per task`,
    );
  }
  return e as EngineInternals;
}

/** Current nesting depth of gradient scopes (0 outside any `tf.grad`/`tf.variableGrads`). */
export function gradientDepth(): number {
  return engineInternals('gradientDepth').state.gradientDepth;
}

/** One seeded output of a backward pass: the cotangent `dy` of tensor `y`. */
export interface Seed {
  readonly y: tf.Tensor;
  /** Cotangent with y's shape, or a number to multiply `ones(y.shape)` by. */
  readonly dy: tf.Tensor | number;
}

/** A recorded forward pass. */
export interface RecordedTape<R> {
  /** What the forward function returned (owned by the tape until {@link dispose}). */
  readonly result: R;
  /** Number of recorded nodes. */
  readonly size: number;
  /**
   * Vector–Jacobian product: `Σ_s dy_sᵀ · ∂y_s/∂x` for each x of `xs` (null when no seeded
   * output depends on x). Returned tensors are owned by the caller. Every call walks the recorded
   * tape once; the forward is never re-run.
   */
  vjp(seeds: readonly Seed[], xs: readonly tf.Tensor[]): (tf.Tensor | null)[];
  /** Frees the saved tensors and the result. Idempotent. */
  dispose(): void;
}

/**
 * Runs `f` once with the gradient tape on and keeps the tape for repeated backward passes.
 *
 * Must be called outside any other gradient scope (the engine's tape is global). Inside `f`,
 * nested `tf.grad`/{@link gradKeepGraph} calls record their backward ops on the same tape, which
 * is how second-order terms (a penalty on per-task gradients) are differentiated later by
 * {@link RecordedTape.vjp}.
 *
 * @param owner - function name used in error messages.
 * @param f - the forward; everything it returns that is a tensor is kept.
 */
export function recordTape<R>(owner: string, f: () => R): RecordedTape<R> {
  const e = engineInternals(owner);
  if (e.state.gradientDepth !== 0) {
    throw new MtlError(
      'config',
      `${owner}: cannot record a forward pass inside another gradient scope (tf.grad/tf.variableGrads); ` +
        `call it at top level, or use the naive engine path (\`engine: 'naive'\`) when nesting is required`,
    );
  }
  const mark = tensorIdMark();
  let result: R;
  let tape: TapeNode[] = [];
  try {
    result = e.scopedRun(
      () => e.startTape(),
      () => e.endTape(),
      () => e.tidy('manytask-forward', f as () => tf.TensorContainer) as R,
    );
    tape = e.state.activeTape ?? [];
  } catch (err) {
    for (const node of e.state.activeTape ?? []) for (const t of node.saved ?? []) t.dispose();
    throw err;
  } finally {
    e.state.activeTape = null;
  }
  let disposed = false;
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    for (const node of tape) for (const t of node.saved ?? []) t.dispose();
    disposeCreatedSince(result, mark);
    tape.length = 0;
  };
  return {
    result,
    get size() {
      return tape.length;
    },
    vjp(seeds, xs) {
      if (disposed) throw new MtlError('config', `${owner}: the recorded tape was disposed`);
      if (e.state.gradientDepth !== 0) {
        throw new MtlError(
          'config',
          `${owner}: backward passes on a recorded tape must run outside other gradient scopes`,
        );
      }
      return backprop(owner, tape, seeds, xs);
    },
    dispose,
  };
}

/**
 * An id below every tensor created from now on. The forward may return tensors it did not
 * create (a batch input passed through as a feature, a variable, a cached constant); those are
 * not the recording's to dispose.
 */
export function tensorIdMark(): number {
  const probe = tf.scalar(0);
  const id = probe.id;
  probe.dispose();
  return id;
}

/** Disposes the tensors of `container` created after `mark` (see {@link tensorIdMark}). */
export function disposeCreatedSince(container: unknown, mark: number): void {
  const seen = new Set<unknown>();
  const walk = (x: unknown): void => {
    if (x === null || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    if (x instanceof tf.Tensor) {
      if (x.id > mark && !x.isDisposed) x.dispose();
      return;
    }
    for (const v of Array.isArray(x) ? x : Object.values(x)) walk(v);
  };
  walk(container);
}

/**
 * Nodes on a path from some x to some seeded y, in tape order, with inputs pruned to x-dependent
 * ones. The xs are leaves: a node's output that is itself an x does not carry gradient further
 * up (for chained features `[x, f(x)]`, ∂L/∂x is the partial derivative, as if each feature were
 * an independent input of the heads).
 */
function filterNodes(
  tape: readonly TapeNode[],
  xs: readonly tf.Tensor[],
  ys: readonly tf.Tensor[],
): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodeFromX = new Set<number>();
  for (const node of tape) {
    for (const name in node.inputs) {
      if (fromX.has(node.inputs[name]!.id)) {
        for (const o of node.outputs) fromX.add(o.id);
        nodeFromX.add(node.id);
        break;
      }
    }
  }
  const isX = new Set<number>(xs.map((x) => x.id));
  const toY = new Set<number>(ys.map((y) => y.id));
  const nodeToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((o) => toY.has(o.id) && !isX.has(o.id))) {
      for (const name in node.inputs) toY.add(node.inputs[name]!.id);
      nodeToY.add(node.id);
    }
  }
  const out: TapeNode[] = [];
  for (const node of tape) {
    if (!nodeFromX.has(node.id) || !nodeToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const name in node.inputs) {
      const t = node.inputs[name]!;
      if (fromX.has(t.id)) inputs[name] = t;
    }
    out.push({ ...node, inputs });
  }
  return out;
}

/**
 * Back-propagates `seeds` over `tape` to `xs` (leaves; see `filterNodes`). Outside a gradient
 * scope this is a plain backward pass; inside one (e.g. during a recording) its ops are recorded
 * too, so the result can be differentiated again ({@link gradKeepGraph}).
 */
export function backprop(
  owner: string,
  tape: readonly TapeNode[],
  seeds: readonly Seed[],
  xs: readonly tf.Tensor[],
): (tf.Tensor | null)[] {
  const nodes = filterNodes(
    tape,
    xs,
    seeds.map((s) => s.y),
  );
  const isX = new Set<number>(xs.map((x) => x.id));
  return tf.tidy(() => {
    const grads = new Map<number, tf.Tensor>();
    // Seeds are never disposed here: the caller may own them; the tidy collects our copies.
    const owned = new Set<tf.Tensor>();
    const accumulate = (id: number, g: tf.Tensor): void => {
      const cur = grads.get(id);
      if (cur === undefined) {
        grads.set(id, g);
        return;
      }
      const sum = tf.add(cur, g);
      if (owned.has(cur)) cur.dispose();
      owned.add(sum);
      grads.set(id, sum);
    };
    for (const s of seeds) {
      const dy =
        typeof s.dy === 'number'
          ? tf.mul(tf.onesLike(s.y), s.dy)
          : s.dy.dtype === 'float32'
            ? s.dy
            : tf.cast(s.dy, 'float32');
      if (!tf.util.arraysEqual(dy.shape, s.y.shape)) {
        throw new MtlError(
          'shape',
          `${owner}: cotangent shape [${dy.shape.join(', ')}] does not match its output's shape [${s.y.shape.join(', ')}]`,
        );
      }
      if (typeof s.dy === 'number') owned.add(dy);
      accumulate(s.y.id, dy);
    }
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      const dys = node.outputs.map((o) => (isX.has(o.id) ? null : (grads.get(o.id) ?? null)));
      if (dys.every((d) => d === null)) continue;
      if (node.gradient === undefined) {
        throw new GradientNotRegisteredError(
          `${owner}: no gradient function for kernel '${node.kernelName}' on the path from the variables to the loss; ` +
            `import '@tensorflow/tfjs' (registers all gradients) or replace the op (for second order use src/autodiff/safe-ops.ts)`,
        );
      }
      const inputGrads = node.gradient(dys);
      for (const name in node.inputs) {
        const gradFn = inputGrads[name];
        if (gradFn === undefined) {
          throw new GradientNotRegisteredError(
            `${owner}: kernel '${node.kernelName}' gives no gradient for its input '${name}'`,
          );
        }
        const dx = tf.tidy(gradFn);
        const x = node.inputs[name]!;
        if (dx.dtype !== 'float32' || !tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new MtlError(
            'shape',
            `${owner}: gradient of kernel '${node.kernelName}' for input '${name}' has dtype ${dx.dtype} and shape [${dx.shape.join(', ')}], expected float32 [${x.shape.join(', ')}]`,
          );
        }
        owned.add(dx);
        accumulate(x.id, dx);
      }
    }
    // A seed that is also an x (or an x listed twice) must not be handed out twice.
    const given = new Set<tf.Tensor>();
    return xs.map((x) => {
      const g = grads.get(x.id);
      if (g === undefined) return null;
      if (!owned.has(g) || given.has(g)) return tf.clone(g);
      given.add(g);
      return g;
    }) as tf.Tensor[];
  }) as (tf.Tensor | null)[];
}
