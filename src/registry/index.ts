/** The default registry: every component manytask ships, collected from each module's entries. */
import { entries as aggregators } from '../aggregators/entries.js';
import { entries as lossWeightings } from '../loss-weighting/entries.js';
import { entries as regularizers } from '../regularizers/entries.js';
import { entries as optimizers } from '../optim/entries.js';
import { entries as architectures } from '../architectures/entries.js';
import { entries as datasets } from '../data/entries.js';
import { entries as bilevel } from '../bilevel/entries.js';
import { createRegistry, type Registry } from './registry.js';

export { createRegistry, type Registry } from './registry.js';
export type { RegistryEntry, EntryKind, Evidence } from './types.js';

/** Every built-in component. */
export const defaultRegistry: Registry = createRegistry([
  ...aggregators,
  ...lossWeightings,
  ...regularizers,
  ...optimizers,
  ...architectures,
  ...datasets,
  ...bilevel,
]);
