/** Public API of `regularizers`. */
export {};
export {
  orthoReg,
  orthoRegEntry,
  orthoRegSchema,
  orthoPenaltyFromGramian,
  angleWindow,
  pairAngles,
  type OrthoRegOptions,
  type AngleWindow,
} from './ortho-reg.js';
