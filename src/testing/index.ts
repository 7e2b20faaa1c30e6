/** Public API of `testing`. */
export {};
