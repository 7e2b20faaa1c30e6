/** Public API of `backend`: backend selection, wasm kernel overrides, optional native BLAS. */
export { initBackend, backendInfo, activeBlas, sameBackendOptions } from './init.js';
export type { BackendInfo, BackendOptions, BackendPreference } from './init.js';
export {
  installWasmOverrides,
  restoreStockKernels,
  activeOverrides,
  TRANSPOSE_FIX,
  SUM_LEADING_AXIS,
} from './kernels.js';
export { loadBlas, candidateLibraries } from './blas.js';
export type { BlasHandle, BlasProbe, LoadBlasOptions } from './blas.js';
export { createDataParallel, shardRanges } from './parallel.js';
export type {
  DataParallel,
  DataParallelOptions,
  ParallelGradient,
  ShardBatch,
  ShardProgram,
  ShardProgramFactory,
} from './parallel.js';
