/** Public API of `aggregators`. */
export {};
export {
  fromWeighting,
  fromWeightingPerGroup,
  blockGroups,
  LINEAR_TRAITS,
  type BlockGrouping,
  type PerGroupState,
} from './base.js';
export { mean, meanEntry } from './mean.js';
export { sum, sumEntry } from './sum.js';
export { constant, constantEntry } from './constant.js';
export { random, randomEntry } from './random.js';
export { mgda, mgdaEntry } from './mgda.js';
export { pcgrad, pcgradEntry } from './pcgrad.js';
export { gradvac, gradvacEntry } from './gradvac.js';
export { upgrad, upgradEntry, DUAL_CONE_TRAITS } from './upgrad.js';
export { dualproj, dualprojEntry } from './dualproj.js';
export { cagrad, cagradEntry } from './cagrad.js';
export { imtlG, imtlGEntry } from './imtl-g.js';
export { alignedMtl, alignedMtlEntry } from './aligned-mtl.js';
export { nashMtl, nashMtlEntry } from './nash-mtl.js';
export { config, configEntry } from './config.js';
export { graddrop, graddropEntry, graddropSchema, type GraddropOptions } from './graddrop.js';
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
export { imtl, imtlEntry } from './imtl.js';
export { gdod, gdodEntry } from './gdod.js';
export {
  cograd,
  cogradEntry,
  cogradOuterWeights,
  cogradSecondOrder,
  measureTransference,
  type CogradOptions,
  type CogradHessian,
  type CogradSecondOrderOptions,
  type CogradSecondOrderResult,
  type TaskLossesFn,
  type TransferenceOptions,
} from './cograd.js';
