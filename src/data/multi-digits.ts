/**
 * `multi-digits` (DATASETS §2.2, §4.2): two 8×8 handwritten digits overlaid on a 12×12 canvas,
 * one at the top-left and one at the bottom-right → two 10-class tasks, `top_left` and
 * `bottom_right`. A small, CPU-sized MultiMNIST (Sabour et al. 2017; Sener & Koltun 2018) built
 * from the UCI optical digits (Alpaydin & Kaynak 1998, via scikit-learn).
 *
 * Pair j (seeded): source indices a, b drawn uniformly from the split's source range (b redrawn
 * while label(b) = label(a) when `distinctLabels`), then offsets dx, dy, dx′, dy′ ∈ {0, 1, 2}, in
 * that order. Digit a is pasted with its top-left corner at (row dy, column dx), digit b at
 * (4 − dy′, 4 − dx′); overlapping pixels take `max(a, b)` (or `min(a + b, 16)` with
 * `overlap: 'sum'`); the canvas is divided by 16 (values in 0..1).
 *
 * Splits: training and validation pairs from source digits 0–1,199, test pairs from 1,200–1,796,
 * so no source image is shared between training and test (validation pairs are new combinations
 * and offsets of training digits). Each split has its own stream, `createRng(seed).split()` in
 * the order train, valid, test, so changing one split's size leaves the others unchanged.
 * Input: `image` [B, 12, 12, 1].
 */
import { DataError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { createRng, type Rng } from '../core/rng.js';
import { readCsvRecords } from './csv.js';
import { embeddedDataPath, PROVENANCE_NOTE } from './embedded.js';
import type { DataSplit, DatasetLoader } from './types.js';
import type { RegistryEntry } from '../registry/types.js';

const FILE = 'digits.csv.gz';
/** Canvas side. */
export const CANVAS = 12;
const SIDE = 8;
/** Source digits 0..TRAIN_SOURCES−1 feed training and validation pairs; the rest feed test. */
export const TRAIN_SOURCES = 1200;

/** The 1,797 source digits: pixels 0..16, 64 per digit row-major, and labels. */
export interface DigitSource {
  readonly n: number;
  readonly pixels: Float32Array;
  readonly labels: Int32Array;
}

/** Reads the embedded `digits.csv.gz` (64 pixels then the label per line, no header). */
export async function readDigits(path = embeddedDataPath(FILE)): Promise<DigitSource> {
  const pixels: number[] = [];
  const labels: number[] = [];
  for await (const recs of readCsvRecords(path)) {
    for (const r of recs) {
      if (r.fields.length !== 65) {
        throw new DataError(
          `${path}, line ${r.line}: expected 65 fields (64 pixels and a label), got ${r.fields.length}; the file is corrupt, reinstall the package`,
          { file: path, line: r.line },
        );
      }
      for (let i = 0; i < 64; i++) pixels.push(Number(r.fields[i]));
      labels.push(Number(r.fields[64]));
    }
  }
  return { n: labels.length, pixels: Float32Array.from(pixels), labels: Int32Array.from(labels) };
}

/** Pairs of one split, with what was drawn (for tests and inspection). */
export interface DigitPairs extends DataSplit {
  /** Source index of the top-left and bottom-right digit of each pair. */
  readonly sourceA: Int32Array;
  readonly sourceB: Int32Array;
  /** Offsets dx, dy, dx′, dy′ of each pair (4 per pair). */
  readonly offsets: Int32Array;
}

/** How pairs are composed. */
export interface PairOptions {
  readonly overlap: 'max' | 'sum';
  readonly distinctLabels: boolean;
}

/**
 * Draws `count` pairs from source digits `lo..hi−1` (see the module doc for the draw order).
 */
export function makeDigitPairs(
  src: DigitSource,
  lo: number,
  hi: number,
  count: number,
  rng: Rng,
  opts: PairOptions,
): DigitPairs {
  const px = CANVAS * CANVAS;
  const image = new Float32Array(count * px);
  const top = new Int32Array(count);
  const bottom = new Int32Array(count);
  const sourceA = new Int32Array(count);
  const sourceB = new Int32Array(count);
  const offsets = new Int32Array(count * 4);
  const canvas = new Float32Array(px);
  const range = hi - lo;
  for (let j = 0; j < count; j++) {
    const a = lo + rng.int(range);
    let b = lo + rng.int(range);
    if (opts.distinctLabels) while (src.labels[b] === src.labels[a]) b = lo + rng.int(range);
    const dx = rng.int(3);
    const dy = rng.int(3);
    const dx2 = rng.int(3);
    const dy2 = rng.int(3);
    canvas.fill(0);
    const paste = (s: number, row0: number, col0: number): void => {
      for (let r = 0; r < SIDE; r++) {
        for (let c = 0; c < SIDE; c++) {
          const v = src.pixels[s * 64 + r * SIDE + c] as number;
          const k = (row0 + r) * CANVAS + col0 + c;
          const old = canvas[k] as number;
          canvas[k] = opts.overlap === 'max' ? Math.max(old, v) : Math.min(old + v, 16);
        }
      }
    };
    paste(a, dy, dx);
    paste(b, 4 - dy2, 4 - dx2);
    for (let k = 0; k < px; k++) image[j * px + k] = (canvas[k] as number) / 16;
    top[j] = src.labels[a] as number;
    bottom[j] = src.labels[b] as number;
    sourceA[j] = a;
    sourceB[j] = b;
    offsets.set([dx, dy, dx2, dy2], j * 4);
  }
  return {
    n: count,
    image,
    labels: { top_left: top, bottom_right: bottom },
    sourceA,
    sourceB,
    offsets,
  };
}

/** Options of `multi-digits`. */
export const multiDigitsOptions: OptionsSchema = {
  trainPairs: {
    type: 'integer',
    default: 10000,
    min: 1,
    description: 'training pairs (from digits 0–1199)',
  },
  validPairs: {
    type: 'integer',
    default: 1000,
    min: 0,
    description: 'validation pairs (from digits 0–1199)',
  },
  testPairs: {
    type: 'integer',
    default: 2000,
    min: 1,
    description: 'test pairs (from digits 1200–1796)',
  },
  overlap: {
    type: 'enum',
    values: ['max', 'sum'],
    default: 'max',
    description: "overlapping pixels: 'max' (pixel max) or 'sum' (min(a + b, 16))",
  },
  distinctLabels: {
    type: 'boolean',
    default: false,
    description: 'require the two digits of a pair to have different labels',
  },
};

const strip = (p: DigitPairs): DataSplit => ({ n: p.n, image: p.image!, labels: p.labels });

/** Registry factory of `multi-digits`. */
export function multiDigits(options?: Readonly<Record<string, unknown>>): DatasetLoader {
  const o = validateOptions('multi-digits', multiDigitsOptions, options);
  const pairOpts: PairOptions = {
    overlap: o['overlap'] as 'max' | 'sum',
    distinctLabels: o['distinctLabels'] === true,
  };
  return {
    id: 'multi-digits',
    config: o,
    load: async (seed) => {
      const src = await readDigits();
      const root = createRng(seed);
      const trainRng = root.split();
      const validRng = root.split();
      const testRng = root.split();
      const train = makeDigitPairs(
        src,
        0,
        TRAIN_SOURCES,
        o['trainPairs'] as number,
        trainRng,
        pairOpts,
      );
      const valid = makeDigitPairs(
        src,
        0,
        TRAIN_SOURCES,
        o['validPairs'] as number,
        validRng,
        pairOpts,
      );
      const test = makeDigitPairs(
        src,
        TRAIN_SOURCES,
        src.n,
        o['testPairs'] as number,
        testRng,
        pairOpts,
      );
      return {
        id: 'multi-digits',
        description: `two overlaid 8×8 digits on a 12×12 canvas (${train.n}/${valid.n}/${test.n} pairs): top_left, bottom_right (10 classes each)`,
        inputSpec: {
          numeric: 0,
          categorical: [],
          image: { height: CANVAS, width: CANVAS, channels: 1 },
        },
        tasks: [
          { id: 'top_left', kind: 'multiclass', numClasses: 10 },
          { id: 'bottom_right', kind: 'multiclass', numClasses: 10 },
        ],
        train: strip(train),
        valid: strip(valid),
        test: strip(test),
        provenance: `generated at load time from embedded ${FILE} (UCI optical digits test set, Alpaydin & Kaynak 1998, via scikit-learn); ${PROVENANCE_NOTE}`,
      };
    },
  };
}

/** Registry entry of `multi-digits`. */
export const multiDigitsEntry: RegistryEntry<DatasetLoader> = {
  id: 'multi-digits',
  kind: 'dataset',
  displayName: 'MultiDigits',
  summary:
    'Two overlaid 8×8 digits on a 12×12 canvas (pairs generated at load time) → top-left and bottom-right digit, 10 classes each.',
  reference:
    'MultiMNIST recipe of Sabour et al., NeurIPS 2017 / Sener & Koltun, NeurIPS 2018, on the UCI optical digits (Alpaydin & Kaynak 1998, via scikit-learn).',
  options: multiDigitsOptions,
  create: multiDigits,
};
