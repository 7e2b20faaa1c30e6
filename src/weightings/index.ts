/** Public API of `weightings`. */
export {};
export {
  EMPTY_STATE,
  stateless,
  uniform,
  withConfig,
  type ConfiguredWeighting,
  type StatelessWeigh,
} from './base.js';
export { meanWeighting, meanSchema } from './mean.js';
export { sumWeighting, sumSchema } from './sum.js';
export { constantWeighting, constantSchema, type ConstantOptions } from './constant.js';
export { randomWeighting, randomSchema } from './random.js';
export { mgdaWeighting, mgdaSchema, type MgdaOptions, type MgdaNormalization } from './mgda.js';
export { pcgradWeighting, pcgradSchema } from './pcgrad.js';
export {
  gradvacWeighting,
  gradvacSchema,
  type GradvacOptions,
  type GradvacState,
} from './gradvac.js';
export { upgradWeighting, upgradSchema, dualConeSchema, type UpgradOptions } from './upgrad.js';
export { dualprojWeighting, dualprojSchema, type DualprojOptions } from './dualproj.js';
export { prepareGramian, projectWeights, type DualConeOptions } from './dual-cone.js';
export { cagradWeighting, cagradSchema, type CagradOptions } from './cagrad.js';
export { imtlGWeighting, imtlGSchema } from './imtl-g.js';
export {
  alignedMtlWeighting,
  alignedMtlSchema,
  type AlignedMtlOptions,
  type AlignedScaleMode,
} from './aligned-mtl.js';
export {
  nashMtlWeighting,
  nashMtlSchema,
  type NashMtlOptions,
  type NashMtlState,
} from './nash-mtl.js';
export { configWeighting, configSchema } from './config.js';
export { fairgradWeighting, type FairgradOptions } from './fairgrad.js';
export { krumWeighting, type KrumOptions } from './krum.js';
export { modoWeighting, type ModoOptions, type ModoState } from './modo.js';
export { sdmgradWeighting, type SdmgradOptions, type SdmgradState } from './sdmgrad.js';
export {
  crMogmWeighting,
  type CrMogmState,
  type CrMogmOptions as CrMogmWeightingOptions,
} from './cr-mogm.js';
export { gradnormWeighting, type GradnormOptions, type GradnormState } from './gradnorm.js';
export { imtlWeighting, type ImtlOptions, type ImtlState } from './imtl.js';
export {
  gdodWeighting,
  gdodDecompose,
  gdodSchema,
  type GdodOptions,
  type GdodDecomposition,
} from './gdod.js';
