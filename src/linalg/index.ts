/** Public API of `linalg`: host-side K×K linear algebra on Float64Array (no TF.js). */
export * from './matrix.js';
export * from './status.js';
export * from './eigen.js';
export * from './solve.js';
export * from './simplex.js';
export * from './qp.js';
export * from './cagrad.js';
export * from './nash.js';
export * from './host-optimizer.js';
export * from './ineq-qp.js';
