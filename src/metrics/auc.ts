/**
 * Area under the ROC curve for binary tasks: exact and tie-aware, or binned and streaming.
 *
 * AUC = P(s⁺ > s⁻) + ½·P(s⁺ = s⁻) over all (positive, negative) pairs, i.e. the Mann–Whitney U
 * statistic divided by n⁺·n⁻. It is undefined (NaN) when the rows hold only one class; callers
 * that report it say so in their warnings.
 */

/**
 * Exact tie-aware AUC by ranks: sort the scores, give tied scores their average rank, then
 * AUC = (R⁺ − n⁺(n⁺ + 1)/2) / (n⁺·n⁻) with R⁺ the rank sum of the positives.
 * Rows with `mask[i] = 0` are skipped; a label counts as positive when it is > 0.5.
 *
 * Cost: O(n log n) time, O(n) memory. Returns NaN when there is no positive or no negative, or a
 * score is NaN.
 */
export function auc(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  mask?: ArrayLike<number>,
): number {
  const idx: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (mask !== undefined && mask[i] === 0) continue;
    if (Number.isNaN(scores[i])) return Number.NaN;
    idx.push(i);
  }
  idx.sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let pos = 0;
  let rankSum = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    const s = scores[idx[i] as number] as number;
    while (j + 1 < idx.length && scores[idx[j + 1] as number] === s) j++;
    // Ranks i+1..j+1 are tied: each gets their average.
    const avg = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) {
      if ((labels[idx[k] as number] as number) > 0.5) {
        pos++;
        rankSum += avg;
      }
    }
    i = j + 1;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Streaming AUC over scores in [0, 1] (probabilities), with bounded memory. */
export interface BinnedAuc {
  /** Adds rows (probabilities in [0, 1]; values outside are clamped into the end bins). */
  update(probs: ArrayLike<number>, labels: ArrayLike<number>, mask?: ArrayLike<number>): void;
  /** The AUC with pairs in the same bin counted as ties (NaN with one class only). */
  value(): number;
  /**
   * Upper bound on |binned − exact|: half the share of (positive, negative) pairs that fall in the
   * same bin.
   */
  maxError(): number;
  readonly positives: number;
  readonly negatives: number;
}

/**
 * Binned AUC: counts positives and negatives in `bins` equal-width bins of [0, 1] and integrates
 * the step ROC curve, treating pairs in one bin as ties. Exact when no bin holds both a positive
 * and a negative; otherwise within {@link BinnedAuc.maxError}. Cost: O(1) per row, O(bins) memory.
 */
export function createBinnedAuc(bins = 10000): BinnedAuc {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`createBinnedAuc: bins must be an integer ≥ 1, got ${bins}`);
  }
  const posCount = new Float64Array(bins);
  const negCount = new Float64Array(bins);
  let positives = 0;
  let negatives = 0;
  let sawNaN = false;
  const sums = (): { below: number; tie: number } => {
    let negBelow = 0;
    let below = 0;
    let tie = 0;
    for (let b = 0; b < bins; b++) {
      below += (posCount[b] as number) * negBelow;
      tie += (posCount[b] as number) * (negCount[b] as number);
      negBelow += negCount[b] as number;
    }
    return { below, tie };
  };
  return {
    update(probs, labels, mask) {
      for (let i = 0; i < probs.length; i++) {
        if (mask !== undefined && mask[i] === 0) continue;
        const p = probs[i] as number;
        if (Number.isNaN(p)) {
          sawNaN = true;
          continue;
        }
        const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
        if ((labels[i] as number) > 0.5) {
          posCount[b] = (posCount[b] as number) + 1;
          positives++;
        } else {
          negCount[b] = (negCount[b] as number) + 1;
          negatives++;
        }
      }
    },
    value() {
      if (sawNaN || positives === 0 || negatives === 0) return Number.NaN;
      const { below, tie } = sums();
      return (below + 0.5 * tie) / (positives * negatives);
    },
    maxError() {
      if (positives === 0 || negatives === 0) return Number.NaN;
      return (0.5 * sums().tie) / (positives * negatives);
    },
    get positives() {
      return positives;
    },
    get negatives() {
      return negatives;
    },
  };
}
