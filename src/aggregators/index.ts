/** Public API of `aggregators`. */
export {};
