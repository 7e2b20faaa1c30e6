/** manytask public API (re-exports only). */
export * from './core/errors.js';
export * from './core/rng.js';
export * from './core/options.js';
export type * from './core/types.js';
export * from './registry/index.js';
export * from './linalg/index.js';
export * from './weightings/index.js';
export * from './aggregators/index.js';
export * from './autodiff/index.js';
export * from './loss-weighting/index.js';
export * from './regularizers/index.js';
export * from './optim/index.js';
export * from './architectures/index.js';
export * from './train/index.js';
export * from './metrics/index.js';
export * from './data/index.js';
export * from './report/index.js';
export * from './backend/index.js';
