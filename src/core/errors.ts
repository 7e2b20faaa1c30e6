/**
 * Typed errors. Every message starts with the function or option it is about and says how to fix
 * the problem; the CLI maps each class to an exit code (`ConfigError`/`ShapeError`/`DataError` → 2).
 */

/** Machine-readable error codes, one per subclass. */
export type MtlErrorCode =
  | 'shape'
  | 'config'
  | 'numerical'
  | 'solver'
  | 'gradient-not-registered'
  | 'non-differentiable'
  | 'data';

/** Base class of every error manytask throws on purpose. */
export class MtlError extends Error {
  readonly code: MtlErrorCode;
  constructor(code: MtlErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'MtlError';
  }
}

/** Jacobian blocks, tasks, directions or tensors have inconsistent shapes. */
export class ShapeError extends MtlError {
  constructor(message: string) {
    super('shape', message);
    this.name = 'ShapeError';
  }
}

/** An option or configuration value is invalid (raised where it is parsed, never later). */
export class ConfigError extends MtlError {
  constructor(message: string) {
    super('config', message);
    this.name = 'ConfigError';
  }
}

/** NaN or Inf appeared in a loss, a gradient, a Gramian or a direction. */
export class NumericalError extends MtlError {
  /** Task whose value was not finite, when known. */
  readonly task: string | undefined;
  /** Training step at which it happened, when known. */
  readonly step: number | undefined;
  constructor(message: string, info: { task?: string; step?: number } = {}) {
    super('numerical', message);
    this.name = 'NumericalError';
    this.task = info.task;
    this.step = info.step;
  }
}

/** A host-side solver did not converge; carries the iterations used and the final residual. */
export class SolverError extends MtlError {
  readonly iterations: number;
  readonly residual: number;
  constructor(message: string, iterations: number, residual: number) {
    super('solver', message);
    this.name = 'SolverError';
    this.iterations = iterations;
    this.residual = residual;
  }
}

/** TF.js gradients are not registered (only tfjs-core was loaded). */
export class GradientNotRegisteredError extends MtlError {
  constructor(message: string) {
    super('gradient-not-registered', message);
    this.name = 'GradientNotRegisteredError';
  }
}

/** Somebody tried to differentiate through a host-side solver. */
export class NonDifferentiableError extends MtlError {
  constructor(message: string) {
    super('non-differentiable', message);
    this.name = 'NonDifferentiableError';
  }
}

/** Bad input data: names the file, line and column where known, and the fix. */
export class DataError extends MtlError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: string | undefined;
  constructor(message: string, where: { file?: string; line?: number; column?: string } = {}) {
    super('data', message);
    this.name = 'DataError';
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
  }
}
