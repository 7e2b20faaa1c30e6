/**
 * Seeded, splittable pseudo-random numbers: the only source of randomness in manytask.
 *
 * The generator is mulberry32 (32-bit state); normals use Box–Muller with the second value cached
 * and `1 − u` in the radius draw so that `log(0)` cannot happen. `split()` derives an independent
 * child stream from the parent's next output mixed through a 32-bit finaliser, so sub-systems
 * (data shuffling, Gumbel noise, PCGrad's order) never consume each other's numbers.
 *
 * State is a small plain object, so runs can be checkpointed and resumed bit for bit.
 */

/** Serialisable generator state. */
export interface RngState {
  readonly s: number;
  readonly cached: number | null;
}

/** A seeded random stream. Methods advance the stream; `state()`/`fromState` checkpoint it. */
export interface Rng {
  /** Uniform float in [0, 1). */
  uniform(): number;
  /** Uniform unsigned 32-bit integer. */
  uint32(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal. */
  normal(): number;
  /** A new independent stream derived from this one (advances this stream by one draw). */
  split(): Rng;
  /** Fisher–Yates permutation of 0..n−1. */
  permutation(n: number): Int32Array;
  /** Current state, for checkpoints. */
  state(): RngState;
  /** A 32-bit seed for tfjs ops that take a `seed` argument (advances the stream). */
  seed(): number;
}

function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

class Mulberry32 implements Rng {
  private s: number;
  private cached: number | null;
  constructor(state: RngState) {
    this.s = state.s >>> 0;
    this.cached = state.cached;
  }
  uint32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  uniform(): number {
    return this.uint32() / 4294967296;
  }
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0)
      throw new RangeError(`rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }
  normal(): number {
    if (this.cached !== null) {
      const v = this.cached;
      this.cached = null;
      return v;
    }
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.cached = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }
  split(): Rng {
    return new Mulberry32({ s: mix32(this.uint32() ^ 0x9e3779b9), cached: null });
  }
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i] as number;
      p[i] = p[j] as number;
      p[j] = t;
    }
    return p;
  }
  state(): RngState {
    return { s: this.s, cached: this.cached };
  }
  seed(): number {
    return this.uint32();
  }
}

/** Creates a stream from a 32-bit seed (identical seeds give identical streams). */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed))
    throw new RangeError(`createRng: seed must be a finite number, got ${seed}`);
  return new Mulberry32({ s: seed >>> 0, cached: null });
}

/** Restores a stream from a checkpointed state. */
export function rngFromState(state: RngState): Rng {
  return new Mulberry32(state);
}
