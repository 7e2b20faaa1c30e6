/** Public API of `weightings`. */
export {};
