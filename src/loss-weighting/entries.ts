/** Registry entries of this module. Append new entries to the array (one import + one line each). */
import type { RegistryEntry } from '../registry/types.js';
import { cosmosEntry } from './cosmos.js';
import { dwaEntry } from './dwa.js';
import { ewEntry } from './ew.js';
import { famoEntry } from './famo.js';
import { glsEntry } from './gls.js';
import { imtlLEntry } from './imtl-l.js';
import { pbiEntry } from './pbi.js';
import { rlwEntry } from './rlw.js';
import { siEntry } from './si.js';
import { stchEntry } from './stch.js';
import { uwEntry } from './uw.js';

export const entries: readonly RegistryEntry[] = [
  ewEntry as RegistryEntry,
  uwEntry as RegistryEntry,
  dwaEntry as RegistryEntry,
  glsEntry as RegistryEntry,
  rlwEntry as RegistryEntry,
  famoEntry as RegistryEntry,
  stchEntry as RegistryEntry,
  imtlLEntry as RegistryEntry,
  pbiEntry as RegistryEntry,
  cosmosEntry as RegistryEntry,
  siEntry as RegistryEntry,
];
