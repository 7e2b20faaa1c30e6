/** Registry entries of this module. Append new entries to the array (one import + one line each). */
import type { RegistryEntry } from '../registry/types.js';
import { autoLambdaEntry } from './auto-lambda.js';
import { momlEntry } from './moml.js';
import { forumEntry } from './forum.js';

export const entries: readonly RegistryEntry[] = [
  autoLambdaEntry as RegistryEntry,
  momlEntry as RegistryEntry,
  forumEntry as RegistryEntry,
];
