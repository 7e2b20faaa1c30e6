/**
 * Capability checks run before the engine differentiates anything, so users get our typed error
 * with the fix instead of TF.js's "gradient function not found for Sum".
 */
import * as tf from '@tensorflow/tfjs';
import { GradientNotRegisteredError } from '../core/errors.js';

/** Kernels whose gradients every training step needs (a representative, cheap-to-check set). */
const REQUIRED_GRADIENTS = ['Sum', 'Add', 'Multiply', 'BatchMatMul', 'Relu', 'Sigmoid'] as const;

/**
 * Throws {@link GradientNotRegisteredError} unless TF.js gradients are registered.
 *
 * Gradients are registered by the `@tensorflow/tfjs` umbrella package; loading only
 * `@tensorflow/tfjs-core` registers none (ARCHITECTURE §3.3). Cheap (a registry lookup); the engine
 * calls it once per session.
 *
 * @param kernels - kernel names to check (defaults to a representative set).
 */
export function assertGradientsRegistered(kernels: readonly string[] = REQUIRED_GRADIENTS): void {
  const missing = kernels.filter((k) => tf.getGradient(k) === undefined);
  if (missing.length > 0) {
    throw new GradientNotRegisteredError(
      `assertGradientsRegistered: no TF.js gradient registered for ${missing.map((k) => `'${k}'`).join(', ')}; ` +
        `import '@tensorflow/tfjs' (the umbrella package registers every gradient) instead of only '@tensorflow/tfjs-core'`,
    );
  }
}
