/**
 * Registry entry shape shared by every kind of component. The registry is an explicit object
 * (no side-effect registration); `defaultRegistry` in `./index.ts` collects each module's
 * `entries.ts` list.
 */
import type { AggregatorTraits } from '../core/types.js';
import type { OptionsSchema } from '../core/options.js';

/** What an entry builds. */
export type EntryKind =
  | 'aggregator'
  | 'loss-weighting'
  | 'regularizer'
  | 'optimizer'
  | 'architecture'
  | 'dataset'
  | 'bilevel';

/** How sure the implementation is of the paper's formula (ALGORITHMS.md §0.1). */
export type Evidence = 'code' | 'code-3p' | 'standard' | 'recon';

/** One registered component. */
export interface RegistryEntry<T = unknown> {
  /** Canonical lowercase id: file name, registry key, CLI/config value, docs slug. */
  readonly id: string;
  readonly kind: EntryKind;
  /** Paper spelling, for prose and tables. */
  readonly displayName: string;
  /** One sentence: what it does. */
  readonly summary: string;
  /** Paper reference (authors, title, venue, year) and implementation provenance. */
  readonly reference: string;
  readonly evidence?: Evidence;
  /** Per-step cost, e.g. `{ backward: 'K', notes: 'plus O(K³) host eigendecomposition' }`. */
  readonly cost?: { readonly backward: string; readonly notes?: string };
  /** Declared traits (aggregators). */
  readonly traits?: AggregatorTraits;
  readonly options: OptionsSchema;
  /** Builds the component from (unvalidated) options; must validate them. */
  create(options?: Readonly<Record<string, unknown>>): T;
}
