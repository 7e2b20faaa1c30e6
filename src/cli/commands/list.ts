/** `manytask list [--json] [--kind K]`: every registered component with its facts. */
import { parseArgs } from 'node:util';
import { ConfigError } from '../../core/errors.js';
import { defaultRegistry } from '../../registry/index.js';
import type { EntryKind, RegistryEntry } from '../../registry/types.js';
import type { Command } from './types.js';

const KINDS: readonly EntryKind[] = [
  'aggregator',
  'loss-weighting',
  'regularizer',
  'optimizer',
  'architecture',
  'dataset',
  'bilevel',
];

function toJson(e: RegistryEntry): Record<string, unknown> {
  return {
    id: e.id,
    kind: e.kind,
    displayName: e.displayName,
    summary: e.summary,
    reference: e.reference,
    ...(e.evidence !== undefined ? { evidence: e.evidence } : {}),
    ...(e.cost !== undefined ? { cost: e.cost } : {}),
    ...(e.traits !== undefined ? { traits: e.traits } : {}),
    options: Object.fromEntries(Object.entries(e.options).map(([k, s]) => [k, { ...s }])),
  };
}

function traitText(e: RegistryEntry): string {
  const t = e.traits;
  if (t === undefined) return '';
  const parts: string[] = [];
  if (t.nonConflicting !== 'never-claimed')
    parts.push(t.nonConflicting === 'always' ? 'non-conflicting' : 'non-conflicting(K=2)');
  if (t.permutationInvariant) parts.push('perm-inv');
  if (t.homogeneity !== undefined) parts.push(`homog-${t.homogeneity}`);
  if (t.stochastic) parts.push('stochastic');
  if (t.stateful) parts.push('stateful');
  return parts.join(',');
}

export const listCommand: Command = {
  name: 'list',
  summary: 'List methods, architectures and datasets (id, kind, cost, traits, reference)',
  usage: [
    'Usage: manytask list [--json] [--kind <kind>]',
    '',
    `  --kind   one of ${KINDS.join(', ')}`,
    '  --json   print a JSON array of objects (id, kind, displayName, summary, reference, cost, traits, options)',
  ].join('\n'),
  run(argv, io) {
    const { values } = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean', default: false }, kind: { type: 'string' } },
      strict: true,
    });
    const kind = values.kind;
    if (kind !== undefined && !KINDS.includes(kind as EntryKind)) {
      throw new ConfigError(`--kind must be one of ${KINDS.join(', ')}, got '${kind}'`);
    }
    const entries = defaultRegistry.list(kind as EntryKind | undefined);
    if (values.json) {
      io.stdout(JSON.stringify(entries.map(toJson), null, 2) + '\n');
      return Promise.resolve(0);
    }
    const rows = entries.map((e) => [
      e.id,
      e.kind,
      e.cost?.backward ?? '',
      traitText(e),
      e.reference.split('.')[0] ?? '',
    ]);
    const head = ['id', 'kind', 'backward', 'traits', 'reference'];
    const widths = head.map((h, i) =>
      Math.min(60, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))),
    );
    const fmt = (r: readonly string[]): string =>
      r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
    io.stdout([fmt(head), ...rows.map(fmt), '', `${entries.length} entries`].join('\n') + '\n');
    return Promise.resolve(0);
  },
};
