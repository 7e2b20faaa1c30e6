/** Registry entries of this module. Append new entries to the array (one import + one line each). */
import type { RegistryEntry } from '../registry/types.js';
import { crMogmEntry } from './cr-mogm.js';
import { dbMtlEntry } from './db-mtl.js';
import { excessMtlEntry } from './excess-mtl.js';
import { fairgradEntry } from './fairgrad.js';
import { gradnormEntry } from './gradnorm.js';
import { krumEntry } from './krum.js';
import { mocoEntry } from './moco.js';
import { modoEntry } from './modo.js';
import { sdmgradEntry } from './sdmgrad.js';
import { trimmedMeanEntry } from './trimmed-mean.js';

export const entries: readonly RegistryEntry[] = [
  fairgradEntry as RegistryEntry,
  krumEntry as RegistryEntry,
  trimmedMeanEntry as RegistryEntry,
  modoEntry as RegistryEntry,
  sdmgradEntry as RegistryEntry,
  gradnormEntry as RegistryEntry,
  dbMtlEntry as RegistryEntry,
  mocoEntry as RegistryEntry,
  excessMtlEntry as RegistryEntry,
  crMogmEntry(() => entries) as RegistryEntry,
];
