/** An explicit registry object: id → entry, with kind-checked construction. */
import { ConfigError } from '../core/errors.js';
import type { EntryKind, RegistryEntry } from './types.js';

/** Lookup and construction of registered components. */
export interface Registry {
  has(id: string): boolean;
  get(id: string): RegistryEntry;
  /** All entries, or those of one kind, in registration order. */
  list(kind?: EntryKind): readonly RegistryEntry[];
  /** Builds a component; when `kind` is given, the id must be of that kind. */
  create<T = unknown>(id: string, options?: Readonly<Record<string, unknown>>, kind?: EntryKind): T;
}

function closest(id: string, ids: readonly string[]): string[] {
  const d = (a: string, b: string): number => {
    const m = a.length;
    const n = b.length;
    const row = Array.from({ length: n + 1 }, (_, j) => j);
    for (let i = 1; i <= m; i++) {
      let prev = row[0] as number;
      row[0] = i;
      for (let j = 1; j <= n; j++) {
        const tmp = row[j] as number;
        row[j] = Math.min(
          (row[j] as number) + 1,
          (row[j - 1] as number) + 1,
          prev + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
        prev = tmp;
      }
    }
    return row[n] as number;
  };
  return ids
    .map((x) => [x, d(id, x)] as const)
    .filter(([, k]) => k <= 2)
    .sort((p, q) => p[1] - q[1])
    .map(([x]) => x)
    .slice(0, 3);
}

/** Builds a registry; duplicate ids are a programming error. */
export function createRegistry(entries: readonly RegistryEntry[]): Registry {
  const byId = new Map<string, RegistryEntry>();
  for (const e of entries) {
    if (byId.has(e.id)) throw new Error(`createRegistry: duplicate id '${e.id}'`);
    byId.set(e.id, e);
  }
  const get = (id: string): RegistryEntry => {
    const e = byId.get(id);
    if (e === undefined) {
      const near = closest(id, [...byId.keys()]);
      throw new ConfigError(
        `unknown id '${id}'${near.length > 0 ? `; did you mean ${near.map((s) => `'${s}'`).join(' or ')}?` : ''} (run \`manytask list\` to see every id)`,
      );
    }
    return e;
  };
  return {
    has: (id) => byId.has(id),
    get,
    list: (kind) => [...byId.values()].filter((e) => kind === undefined || e.kind === kind),
    create<T>(id: string, options?: Readonly<Record<string, unknown>>, kind?: EntryKind): T {
      const e = get(id);
      if (kind !== undefined && e.kind !== kind) {
        throw new ConfigError(`'${id}' is a ${e.kind}, not a ${kind}`);
      }
      return e.create(options) as T;
    },
  };
}
