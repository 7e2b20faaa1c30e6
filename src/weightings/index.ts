/** Public API of `weightings`. */
export {};
export { EMPTY_STATE, stateless, uniform, type StatelessWeigh } from './base.js';
