/** Public API of `optim`. */
export {};
