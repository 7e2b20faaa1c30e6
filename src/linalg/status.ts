/** Convergence report shared by every host-side solver. */
import { SolverError } from '../core/errors.js';

/**
 * How a solver run ended. `residual` is the solver's own optimality measure (documented per
 * solver), so callers can log it and tests can assert it.
 */
export interface SolverStatus {
  readonly converged: boolean;
  readonly iterations: number;
  readonly residual: number;
}

/** Returns `status` when it converged, otherwise throws a {@link SolverError} naming `owner`. */
export function requireConverged(owner: string, status: SolverStatus, fix: string): SolverStatus {
  if (!status.converged) {
    throw new SolverError(
      `${owner}: did not converge after ${status.iterations} iterations (residual ${status.residual.toExponential(3)}); ${fix}`,
      status.iterations,
      status.residual,
    );
  }
  return status;
}
