/** Public API of `autodiff`. */
export {};
