/** Public API of `architectures`. */
export {};
