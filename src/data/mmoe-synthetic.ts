/**
 * `mmoe-synthetic`: the synthetic benchmark of Ma et al., "Modeling Task Relationships in
 * Multi-task Learning with Multi-gate Mixture-of-Experts", KDD 2018, §3.2, with task relatedness
 * set by the cosine p of the tasks' weight vectors (DATASETS §3).
 *
 * For each pair of tasks, with orthonormal u₁, u₂ ∈ ℝᵈ (Gram–Schmidt on normal draws):
 *
 *     w₁ = c·u₁,   w₂ = c·(p·u₁ + √(1 − p²)·u₂)        (so cos(w₁, w₂) = p)
 *     x ~ N(0, I_d)
 *     y_k = w_kᵀx + Σ_{i=1..m} sin(α_i·w_kᵀx + β_i) + σ·ε_k,   ε_k ~ N(0, 1)
 *
 * The paper publishes neither d, c, m nor α, β; both common readings are offered and named:
 * - `shape: 'google'`: α_i = i, β_i = (i − 1)² (Google Research reference implementation,
 *   which notes that the paper gives no values), c = 1, m = 10, σ = 0.01;
 * - `shape: 'gaussian'`: α_i, β_i ~ N(0, 1), drawn once from the seeded stream.
 *
 * **p is the cosine of the weight vectors, not the label correlation.** With `'google'` the
 * high-frequency sines (α up to 10) dominate and Pearson(y₁, y₂) falls well below p (about 0.44
 * at p = 0.9, 0.19 at p = 0.5, n = 5,000); with `'gaussian'` it tracks p more closely.
 *
 * Determinism: one stream `createRng(seed)`, draws in this fixed order — (1) basis: 2P vectors
 * of d normals, Gram–Schmidt in order, pair k uses vectors 2k and 2k+1; (2) α then β, only for
 * `'gaussian'`; (3) per row, train rows then validation rows then test rows: x (d normals), then
 * ε for each task in task order.
 *
 * Cost: O(n·d·P) host time; labels have std ≈ 2.6 (`'google'`) or ≈ 1.6 (`'gaussian'`) with c = 1.
 */
import { ConfigError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { createRng, type Rng } from '../core/rng.js';
import type { DataSplit, Dataset, DatasetLoader } from './types.js';
import type { RegistryEntry } from '../registry/types.js';

/** Options of `mmoe-synthetic` (defaults as in DATASETS §3.2). */
export const mmoeSyntheticOptions: OptionsSchema = {
  dim: { type: 'integer', default: 100, min: 2, description: 'input dimension d' },
  scale: {
    type: 'number',
    default: 1,
    min: 0,
    exclusiveMin: true,
    description: 'scale c of the weight vectors',
  },
  numSines: { type: 'integer', default: 10, min: 0, description: 'number m of sine terms' },
  shape: {
    type: 'enum',
    values: ['google', 'gaussian'],
    default: 'google',
    description: "α, β: 'google' (α_i = i, β_i = (i−1)²) or 'gaussian' (α, β ~ N(0,1), drawn once)",
  },
  noiseStd: {
    type: 'number',
    default: 0.01,
    min: 0,
    description: 'label noise standard deviation σ',
  },
  correlation: {
    type: 'number',
    default: 0.5,
    min: -1,
    max: 1,
    description: 'cosine p between the two weight vectors of a pair (not the label correlation)',
  },
  numPairs: { type: 'integer', default: 1, min: 1, description: 'P task pairs (K = 2P tasks)' },
  nTrain: { type: 'integer', default: 10000, min: 1, description: 'training rows' },
  nValid: { type: 'integer', default: 1000, min: 0, description: 'validation rows' },
  nTest: { type: 'integer', default: 1000, min: 0, description: 'test rows' },
};

/** Validated generator parameters. */
export interface MmoeSyntheticParams {
  readonly dim: number;
  readonly scale: number;
  readonly numSines: number;
  readonly shape: 'google' | 'gaussian';
  readonly noiseStd: number;
  readonly correlation: number;
  readonly numPairs: number;
  readonly nTrain: number;
  readonly nValid: number;
  readonly nTest: number;
}

/** What the generator drew, besides the rows (tests and diagnostics). */
export interface MmoeSyntheticTruth {
  /** Task weight vectors w_k, K × d row-major. */
  readonly weights: Float64Array;
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
}

function checkDirections(params: MmoeSyntheticParams): void {
  if (2 * params.numPairs > params.dim) {
    throw new ConfigError(
      `mmoe-synthetic: numPairs ${params.numPairs} needs ${2 * params.numPairs} orthogonal directions but dim is ${params.dim}; raise dim or lower numPairs`,
    );
  }
}

function orthonormalBasis(count: number, d: number, rng: Rng): Float64Array[] {
  const basis: Float64Array[] = [];
  for (let j = 0; j < count; j++) {
    const v = new Float64Array(d);
    for (let i = 0; i < d; i++) v[i] = rng.normal();
    for (const u of basis) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += (v[i] as number) * (u[i] as number);
      for (let i = 0; i < d; i++) v[i] = (v[i] as number) - dot * (u[i] as number);
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += (v[i] as number) ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < d; i++) v[i] = (v[i] as number) / norm;
    basis.push(v);
  }
  return basis;
}

/**
 * Generates the three splits (see the module doc for the exact draw order).
 *
 * @throws ConfigError when 2P > d (not enough orthogonal directions).
 */
export function generateMmoeSynthetic(
  params: MmoeSyntheticParams,
  seed: number,
): { train: DataSplit; valid: DataSplit; test: DataSplit; truth: MmoeSyntheticTruth } {
  const { dim: d, scale: c, numSines: m, correlation: p, numPairs: P, noiseStd } = params;
  const K = 2 * P;
  checkDirections(params);
  const rng = createRng(seed);
  const basis = orthonormalBasis(K, d, rng);
  const weights = new Float64Array(K * d);
  const q = Math.sqrt(Math.max(0, 1 - p * p));
  for (let k = 0; k < P; k++) {
    const u1 = basis[2 * k] as Float64Array;
    const u2 = basis[2 * k + 1] as Float64Array;
    for (let i = 0; i < d; i++) {
      weights[2 * k * d + i] = c * (u1[i] as number);
      weights[(2 * k + 1) * d + i] = c * (p * (u1[i] as number) + q * (u2[i] as number));
    }
  }
  const alpha = new Float64Array(m);
  const beta = new Float64Array(m);
  if (params.shape === 'gaussian') {
    for (let i = 0; i < m; i++) alpha[i] = rng.normal();
    for (let i = 0; i < m; i++) beta[i] = rng.normal();
  } else {
    for (let i = 0; i < m; i++) {
      alpha[i] = i + 1;
      beta[i] = i * i;
    }
  }
  const rows = (n: number): DataSplit => {
    const numeric = new Float32Array(n * d);
    const ys = Array.from({ length: K }, () => new Float32Array(n));
    const x = new Float64Array(d);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < d; i++) {
        x[i] = rng.normal();
        numeric[r * d + i] = x[i] as number;
      }
      for (let k = 0; k < K; k++) {
        let z = 0;
        for (let i = 0; i < d; i++) z += (weights[k * d + i] as number) * (x[i] as number);
        let y = z;
        for (let i = 0; i < m; i++) y += Math.sin((alpha[i] as number) * z + (beta[i] as number));
        (ys[k] as Float32Array)[r] = y + noiseStd * rng.normal();
      }
    }
    const labels: Record<string, Float32Array> = {};
    ys.forEach((y, k) => (labels[`y${k + 1}`] = y));
    return { n, numeric, labels };
  };
  const train = rows(params.nTrain);
  const valid = rows(params.nValid);
  const test = rows(params.nTest);
  return { train, valid, test, truth: { weights, alpha, beta } };
}

/** Registry factory of `mmoe-synthetic`. */
export function mmoeSynthetic(options?: Readonly<Record<string, unknown>>): DatasetLoader {
  const o = validateOptions('mmoe-synthetic', mmoeSyntheticOptions, options);
  const params = o as unknown as MmoeSyntheticParams;
  checkDirections(params);
  return {
    id: 'mmoe-synthetic',
    config: o,
    load: (seed): Promise<Dataset> => {
      const g = generateMmoeSynthetic(params, seed);
      const K = 2 * params.numPairs;
      return Promise.resolve({
        id: 'mmoe-synthetic',
        description: `MMoE synthetic (p = ${params.correlation}, shape '${params.shape}', d = ${params.dim}, m = ${params.numSines}): ${K} regression tasks`,
        inputSpec: { numeric: params.dim, categorical: [] },
        tasks: Array.from({ length: K }, (_, k) => ({
          id: `y${k + 1}`,
          kind: 'regression' as const,
        })),
        train: g.train,
        valid: g.valid,
        test: g.test,
        provenance: `generated: Ma et al. KDD 2018 §3.2 recipe, ${JSON.stringify(o)}, seed ${seed}`,
      });
    },
  };
}

/** Registry entry of `mmoe-synthetic`. */
export const mmoeSyntheticEntry: RegistryEntry<DatasetLoader> = {
  id: 'mmoe-synthetic',
  kind: 'dataset',
  displayName: 'MMoE synthetic',
  summary:
    'Synthetic regression task pairs whose relatedness is the cosine p of their weight vectors (deterministic per seed).',
  reference:
    'Ma et al., "Modeling Task Relationships in Multi-task Learning with Multi-gate Mixture-of-Experts", KDD 2018, §3.2; shape \'google\' as in the Google Research reference implementation (Apache-2.0).',
  options: mmoeSyntheticOptions,
  create: mmoeSynthetic,
};
