/** Registry entries of this module. Append new entries to the array (one import + one line each). */
import type { RegistryEntry } from '../registry/types.js';
import { orthoRegEntry } from './ortho-reg.js';

export const entries: readonly RegistryEntry[] = [orthoRegEntry as RegistryEntry];
