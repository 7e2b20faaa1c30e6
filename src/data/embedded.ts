/**
 * Location of the data files shipped with the package (`data/` at the package root, next to
 * `src/` and `dist/`): resolved relative to this module, so it works from the sources and from
 * the build, and never depends on the working directory.
 */
import { fileURLToPath } from 'node:url';
import type { OptionsSchema } from '../core/options.js';
import { fractionsOf } from './file-dataset.js';
import type { DataSchema } from './schema.js';
import type { DatasetLoader } from './types.js';
import { loadTabularFile } from './user.js';

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

/**
 * The loader of an embedded tabular file: `loadTabularFile` on `data/<file>` with `schema`, split
 * with the fractions of the validated `config` (which includes {@link splitOptions}). The
 * provenance is `embedded <file>: <source>; <PROVENANCE_NOTE>`.
 */
export function embeddedTabularLoader(
  id: string,
  config: Readonly<Record<string, unknown>>,
  file: string,
  schema: DataSchema,
  about: { readonly description: string; readonly source: string },
): DatasetLoader {
  return {
    id,
    config,
    load: (seed) =>
      loadTabularFile(embeddedDataPath(file), schema, {
        seed,
        ...fractionsOf(config),
        id,
        description: about.description,
        provenance: `embedded ${file}: ${about.source}; ${PROVENANCE_NOTE}`,
      }),
  };
}
