/** Registry entries of this module. Append new entries to the array (one import + one line each). */
import type { RegistryEntry } from '../registry/types.js';
import { cgcEntry } from './cgc.js';
import { crossStitchEntry } from './cross-stitch.js';
import { dselectKEntry } from './dselect-k.js';
import { mmoeEntry } from './mmoe.js';
import { mtanEntry } from './mtan.js';
import { pleEntry } from './ple.js';
import { sharedBottomEntry } from './shared-bottom.js';
import { gumbelMatrixEntry } from './gumbel-matrix.js';

export const entries: readonly RegistryEntry[] = [
  sharedBottomEntry,
  mmoeEntry,
  cgcEntry,
  pleEntry,
  crossStitchEntry,
  dselectKEntry,
  mtanEntry,
  gumbelMatrixEntry,
];
