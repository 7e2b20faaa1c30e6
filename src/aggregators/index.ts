/** Public API of `aggregators`. */
export {};
export { fromWeighting, LINEAR_TRAITS } from './base.js';
export { fairgrad, fairgradEntry } from './fairgrad.js';
export { krum, krumEntry } from './krum.js';
export { trimmedMean, trimmedMeanEntry, type TrimmedMeanOptions } from './trimmed-mean.js';
export { modo, modoEntry } from './modo.js';
export { sdmgrad, sdmgradEntry } from './sdmgrad.js';
export { crMogm, crMogmEntry, type CrMogmOptions } from './cr-mogm.js';
export { gradnorm, gradnormEntry, type GradnormAggregatorOptions } from './gradnorm.js';
export { dbMtl, dbMtlEntry, type DbMtlOptions, type DbMtlState } from './db-mtl.js';
export { moco, mocoEntry, type MocoOptions, type MocoState } from './moco.js';
export {
  excessMtl,
  excessMtlEntry,
  type ExcessMtlOptions,
  type ExcessMtlState,
} from './excess-mtl.js';
