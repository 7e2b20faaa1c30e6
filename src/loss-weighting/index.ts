/** Public API of `loss-weighting`. */
export {};
