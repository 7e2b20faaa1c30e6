/** Public API of `optim`. */
export { sgd, sgdEntry, type SgdOptions, type SgdState } from './sgd.js';
export { adam, adamEntry, type AdamOptions, type AdamState } from './adam.js';
export { rmsprop, rmspropEntry, type RmspropOptions, type RmspropState } from './rmsprop.js';
export { adagrad, adagradEntry, type AdagradOptions, type AdagradState } from './adagrad.js';
export { chain, clipByGlobalNorm, type ClipOptions } from './chain.js';
export { elementwise, filledLike, globalNorm, type Slots } from './tree.js';
export {
  adatask,
  adataskEntry,
  type AdataskOptions,
  type AdataskState,
  type AdataskBase,
} from './adatask.js';
