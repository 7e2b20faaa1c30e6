/** Public API of `linalg`. */
export {};
