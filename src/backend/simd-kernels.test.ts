// The hand-assembled WebAssembly SIMD kernels: valid on this runtime, `dot` with exact float64
// products, `axpy` as float32 arithmetic, at every length and offset they are called with.
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { simdKernels, simdModuleBytes } from './simd-kernels.js';

describe('simd kernels', () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const kernels = simdKernels(memory);
  const dot = kernels?.dot;

  it('assembles a module this runtime validates (Node ≥ 20 has wasm SIMD)', () => {
    expect(WebAssembly.validate(simdModuleBytes())).toBe(true);
    expect(dot).toBeTypeOf('function');
  });

  fcTest.prop([
    fc.integer({ min: 0, max: 300 }).map((n) => 4 * n),
    fc.integer({ min: 0, max: 16 }),
    fc.float({ min: -100, max: 100, noNaN: true }),
  ])('axpy adds a·x to y in float32 (n = %i)', (n, shift, a) => {
    const heap = new Float32Array(memory.buffer);
    const y0 = 4 + shift; // a float offset, not 16-byte aligned in general
    const x0 = 2000 + shift;
    const expected = new Float32Array(n + 4);
    for (let p = 0; p < n + 4; p++) {
      heap[y0 + p] = Math.sin(p + 1) * 10;
      heap[x0 + p] = Math.cos(p * 3) * 10;
      expected[p] =
        p < n
          ? Math.fround(heap[y0 + p]! + Math.fround(Math.fround(a) * heap[x0 + p]!))
          : heap[y0 + p]!;
    }
    kernels!.axpy(4 * y0, 4 * x0, a, n);
    // The n-th element and after are untouched.
    expect(Array.from(heap.subarray(y0, y0 + n + 4))).toEqual(Array.from(expected));
  });

  fcTest.prop([
    fc.integer({ min: 0, max: 200 }).map((n) => 8 * n),
    fc.integer({ min: 0, max: 64 }),
    fc.integer({ min: 0, max: 64 }),
    fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  ])('equals the float64 dot product of the float32 values (n = %i)', (n, xo, yo, seed) => {
    const heap = new Float32Array(memory.buffer);
    let s = seed;
    const next = (): number => {
      s = (s * 48271) % 2147483647;
      return (s / 2147483647 - 0.5) * 1e3;
    };
    const x = 4 * xo;
    const y = 4 * (200 * 8 + 64 + yo);
    let ref = 0;
    for (let p = 0; p < n; p++) {
      heap[xo + p] = next();
      heap[y / 4 + p] = next();
      ref += heap[xo + p]! * heap[y / 4 + p]!;
    }
    const got = dot!(x, y, n);
    expect(Math.abs(got - ref)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(ref)) * Math.sqrt(n + 1));
  });

  it('reads the memory as it is now (the backend heap may grow between calls)', () => {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const d = simdKernels(m)!.dot;
    m.grow(2);
    const heap = new Float32Array(m.buffer);
    const at = 2 * 65536; // in the grown part
    for (let p = 0; p < 16; p++) {
      heap[at / 4 + p] = p + 1;
      heap[at / 4 + 16 + p] = 2;
    }
    expect(d(at, at + 64, 16)).toBe(2 * ((16 * 17) / 2));
  });
});
