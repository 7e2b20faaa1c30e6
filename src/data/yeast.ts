/**
 * `yeast` (DATASETS §2.4, §4.4): 2,417 genes × 103 numeric features → up to 14 binary
 * gene-function labels (Elisseeff & Weston, "A kernel method for multi-labelled
 * classification", NIPS 2001; via R `mlr`). Good for methods at larger K.
 *
 * Label 14 has 34 positives (1.4 %), too rare for per-task AUC on small splits, so the default
 * keeps labels 1..13. Features are standardised with the training split's statistics.
 */
import { ConfigError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { embeddedTabularLoader, splitOptions } from './embedded.js';
import type { DataSchema } from './schema.js';
import type { DatasetLoader } from './types.js';
import type { RegistryEntry } from '../registry/types.js';

const FILE = 'yeast.csv.gz';

/** Options of `yeast`. */
export const yeastOptions: OptionsSchema = {
  labels: {
    type: 'number[]',
    default: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
    description: 'which labels (1..14) become tasks `label<k>`; default all but the rare label 14',
  },
  ...splitOptions,
};

/** Schema for a choice of labels. */
export function yeastSchema(labels: readonly number[]): DataSchema {
  return {
    features: Array.from({ length: 103 }, (_, i) => ({
      column: `x${i + 1}`,
      type: 'numeric' as const,
    })),
    tasks: labels.map((k) => ({ column: `label${k}`, kind: 'binary' as const })),
    missing: ['NA'],
  };
}

/** Registry factory of `yeast`. */
export function yeast(options?: Readonly<Record<string, unknown>>): DatasetLoader {
  const o = validateOptions('yeast', yeastOptions, options);
  const labels = o['labels'] as number[];
  if (
    labels.length === 0 ||
    labels.some((k) => !Number.isInteger(k) || k < 1 || k > 14) ||
    new Set(labels).size !== labels.length
  ) {
    throw new ConfigError(
      `yeast: option \`labels\` must be distinct integers in 1..14, got ${JSON.stringify(labels)}`,
    );
  }
  return embeddedTabularLoader('yeast', o, FILE, yeastSchema(labels), {
    description: `Yeast gene function (2,417 rows × 103 features): ${labels.length} binary labels`,
    source: 'Elisseeff & Weston (NIPS 2001) via R mlr yeast.task',
  });
}

/** Registry entry of `yeast`. */
export const yeastEntry: RegistryEntry<DatasetLoader> = {
  id: 'yeast',
  kind: 'dataset',
  displayName: 'Yeast',
  summary: '2,417 genes × 103 numeric features → up to 14 binary gene-function tasks (large K).',
  reference:
    'Elisseeff & Weston, "A kernel method for multi-labelled classification", NIPS 2001; via R mlr yeast.task.',
  options: yeastOptions,
  create: yeast,
};
