/** Public API of `autodiff`. */
export {};
export { assertJacobian, combine, gramian, jacobianSpec } from './gramian.js';
