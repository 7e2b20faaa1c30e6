/** Public API of `weightings`. */
export {};
export { EMPTY_STATE, stateless, uniform, type StatelessWeigh } from './base.js';
export { fairgradWeighting, type FairgradOptions } from './fairgrad.js';
export { krumWeighting, type KrumOptions } from './krum.js';
export { modoWeighting, type ModoOptions, type ModoState } from './modo.js';
export { sdmgradWeighting, type SdmgradOptions, type SdmgradState } from './sdmgrad.js';
export { crMogmWeighting, type CrMogmState } from './cr-mogm.js';
export { gradnormWeighting, type GradnormOptions, type GradnormState } from './gradnorm.js';
