/** Public API of `aggregators`. */
export {};
export { fromWeighting, LINEAR_TRAITS } from './base.js';
