import { describe, expect, it } from 'vitest';
import { createRng, rngFromState } from './rng.js';

describe('rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const xs = Array.from({ length: 5 }, () => a.uint32());
    expect(Array.from({ length: 5 }, () => b.uint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uint32())).not.toEqual(xs);
  });

  it('pins the first mulberry32 outputs for seed 1 (golden)', () => {
    const r = createRng(1);
    expect(r.uniform()).toBeCloseTo(0.6270739405881613, 15);
    expect(r.uniform()).toBeCloseTo(0.002735721180215478, 15);
  });

  it('normals have mean ≈ 0 and variance ≈ 1', () => {
    const r = createRng(3);
    const n = 20000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });

  it('split streams are independent of later parent draws and reproducible', () => {
    const p1 = createRng(5);
    const c1 = p1.split();
    const p2 = createRng(5);
    const c2 = p2.split();
    p2.uint32();
    expect(c1.uint32()).toBe(c2.uint32());
    expect(p1.split().uint32()).not.toBe(c1.uint32());
  });

  it('state round trip resumes the exact stream, including a cached normal', () => {
    const r = createRng(11);
    r.normal();
    const s = r.state();
    const next = [r.normal(), r.normal(), r.uniform()];
    const q = rngFromState(s);
    expect([q.normal(), q.normal(), q.uniform()]).toEqual(next);
  });

  it('permutation is a permutation', () => {
    const p = createRng(2).permutation(50);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
