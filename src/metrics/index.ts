/** Public API of `metrics`. */
export {};
