/** Public API of `report`. */
export {};
