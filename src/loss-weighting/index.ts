/** Public API of `loss-weighting`. */
export { ew, ewEntry, type EwOptions } from './ew.js';
export { uw, uwEntry, type UwOptions, type UwState } from './uw.js';
export { dwa, dwaEntry, type DwaOptions, type DwaState } from './dwa.js';
export { gls, glsEntry, type GlsOptions } from './gls.js';
export { rlw, rlwEntry, type RlwOptions, type RlwDistribution } from './rlw.js';
export { famo, famoEntry, type FamoOptions, type FamoState } from './famo.js';
export { stch, stchEntry, type StchOptions, type StchState } from './stch.js';
export { imtlL, imtlLEntry, imtlLSpec, type ImtlLOptions, type ImtlLState } from './imtl-l.js';
export { pbi, pbiEntry, type PbiOptions } from './pbi.js';
export { cosmos, cosmosEntry, type CosmosOptions } from './cosmos.js';
export { si, siEntry, type SiOptions } from './si.js';
export type { LearnedScaleState, LearnedScaleSpec } from './learned-scales.js';
