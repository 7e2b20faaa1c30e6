/**
 * `tecator-meats` (DATASETS §2.3, §4.3): 215 meat samples, a 100-channel near-infrared absorbance
 * spectrum (850–1050 nm) → water, fat and protein content: three strongly related regression
 * tasks (water–fat correlation −0.988). Tecator Infratec data via R `modeldata` (`meats`).
 *
 * Inputs are standardised per channel and each target is standardised, both with the training
 * split's mean and std only; `Dataset.targetScaling` gives the scaling back (MSE in original
 * units = std²·MSE).
 */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { embeddedTabularLoader, splitOptions } from './embedded.js';
import type { DataSchema } from './schema.js';
import type { DatasetLoader } from './types.js';
import type { RegistryEntry } from '../registry/types.js';

const FILE = 'tecator-meats.csv.gz';

/** Schema of the file: `x_001..x_100` numeric, `water`, `fat`, `protein` standardised targets. */
export const TECATOR_SCHEMA: DataSchema = {
  features: Array.from({ length: 100 }, (_, i) => ({
    column: `x_${String(i + 1).padStart(3, '0')}`,
    type: 'numeric' as const,
  })),
  tasks: ['water', 'fat', 'protein'].map((column) => ({
    column,
    kind: 'regression' as const,
    standardize: true,
  })),
  missing: ['NA'],
};

/** Options of `tecator-meats`. */
export const tecatorMeatsOptions: OptionsSchema = { ...splitOptions };

/** Registry factory of `tecator-meats`. */
export function tecatorMeats(options?: Readonly<Record<string, unknown>>): DatasetLoader {
  const o = validateOptions('tecator-meats', tecatorMeatsOptions, options);
  return embeddedTabularLoader('tecator-meats', o, FILE, TECATOR_SCHEMA, {
    description: 'Tecator NIR spectra (215 rows × 100 channels): water, fat, protein (regression)',
    source: 'Tecator Infratec data via R modeldata data(meats), public domain with permission note',
  });
}

/** Registry entry of `tecator-meats`. */
export const tecatorMeatsEntry: RegistryEntry<DatasetLoader> = {
  id: 'tecator-meats',
  kind: 'dataset',
  displayName: 'Tecator meats',
  summary:
    'NIR spectra of 215 meat samples (100 channels) → water, fat, protein: three strongly related regression tasks.',
  reference:
    'Tecator Infratec Food and Feed Analyzer data (StatLib), via R modeldata data(meats); public domain with permission note (data/NOTICE).',
  options: tecatorMeatsOptions,
  create: tecatorMeats,
};
