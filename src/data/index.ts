/** Public API of `data`. */
export {};
