/** Registry entries of this module. Append new entries to the array (one import + one line each). */
import type { RegistryEntry } from '../registry/types.js';
import { adagradEntry } from './adagrad.js';
import { adamEntry } from './adam.js';
import { rmspropEntry } from './rmsprop.js';
import { sgdEntry } from './sgd.js';
import { adataskEntry } from './adatask.js';

export const entries: readonly RegistryEntry[] = [
  sgdEntry as RegistryEntry,
  adamEntry as RegistryEntry,
  rmspropEntry as RegistryEntry,
  adagradEntry as RegistryEntry,
  adataskEntry as RegistryEntry,
];
