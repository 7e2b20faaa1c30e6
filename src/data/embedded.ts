/**
 * Location of the data files shipped with the package (`data/` at the package root, next to
 * `src/` and `dist/`): resolved relative to this module, so it works from the sources and from
 * the build, and never depends on the working directory.
 */
import { fileURLToPath } from 'node:url';
import type { OptionsSchema } from '../core/options.js';

/** Absolute path of an embedded data file, e.g. `embeddedDataPath('yeast.csv.gz')`. */
export function embeddedDataPath(name: string): string {
  return fileURLToPath(new URL(`../../data/${name}`, import.meta.url));
}

/** The split options every embedded tabular loader takes. */
export const splitOptions: OptionsSchema = {
  validFraction: {
    type: 'number',
    default: 0.1,
    min: 0,
    max: 0.5,
    description: 'share of rows in the validation split',
  },
  testFraction: {
    type: 'number',
    default: 0.2,
    min: 0,
    max: 0.5,
    description: 'share of rows in the test split',
  },
};

/** Citation line shared by the embedded loaders' provenance strings. */
export const PROVENANCE_NOTE = 'see data/PROVENANCE.md and data/NOTICE in the package';
