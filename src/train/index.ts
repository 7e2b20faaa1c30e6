/** Public API of `train`. */
export {};
