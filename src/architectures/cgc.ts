/**
 * Customized Gate Control (CGC): one PLE extraction level.
 *
 * `x = encoder(inputs)`; shared experts `E_s` (m_s of them) and per-task experts `E_k` (m_k);
 * `S_k(x) = [E_k(x); E_s(x)]`, `g_k(x) = softmax(W_k x) ∈ Δ^{m_k + m_s}`, `h_k = g_k(x)ᵀ S_k(x)`,
 * `ŷ_k = tower_k(h_k)`.
 *
 * Parameter groups: encoder and shared experts are shared; task k's experts, gate and tower are
 * task k's. Trunk features: `[S, x]` (stacked shared-expert outputs and the encoded input, which
 * the task experts and gates read). Diagnostics: as PLE with one level (`levels[0].gates`,
 * `sharedShare`).
 *
 * Reference: Tang, Liu, Zhao, Gong, RecSys 2020 (the CGC block of PLE). Evidence: [STANDARD]
 * (ALGORITHMS.md §6.3).
 */
import type { ArchitectureBuilder } from '../core/model.js';
import type { RegistryEntry } from '../registry/types.js';
import { architectureEntry, defineArchitecture } from './model.js';
import { buildPle, CGC_SCHEMA, parsePle, PLE_REFERENCE, type PleOptions } from './ple.js';

const define = defineArchitecture('cgc', CGC_SCHEMA, (o) => parsePle('cgc', o, 1), buildPle);

/**
 * CGC architecture builder.
 *
 * @example
 * const model = cgc({ sharedExperts: 2, taskExperts: 1 }).build(spec, tasks, createRng(0));
 */
export function cgc(options: Omit<PleOptions, 'levels'> = {}): ArchitectureBuilder {
  return define(options);
}

/** Registry entry of `cgc`. */
export const cgcEntry: RegistryEntry<ArchitectureBuilder> = architectureEntry(
  {
    id: 'cgc',
    displayName: 'CGC',
    summary:
      'Customized Gate Control: task-specific and shared experts, one softmax gate per task.',
    reference: PLE_REFERENCE,
    evidence: 'standard',
    cost: {
      backward: 'K (params mode) or 1 trunk + K heads (features mode)',
      notes: 'K·m_k + m_s expert MLPs per forward',
    },
  },
  CGC_SCHEMA,
  define,
);
