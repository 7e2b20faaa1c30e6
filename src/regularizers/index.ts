/** Public API of `regularizers`. */
export {};
