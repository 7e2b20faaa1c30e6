/**
 * Two WebAssembly SIMD kernels working directly on the tfjs wasm backend's heap (its
 * `WebAssembly.Memory` is imported, so nothing is copied): a float32 dot product with float64
 * products and accumulation (`dot`), and `y += a·x` over float32 arrays (`axpy`).
 *
 * Why: the engine's Gramians `J·Jᵀ` of `[K, D]` Jacobian blocks (D up to a few million at K ≤ 16)
 * are M·N long dot products. XNNPACK handles them badly (the transposed operand is packed as
 * weights on every call) and a JavaScript loop runs at ~1 GFLOP/s: 36 dot products of 0.5 M terms
 * take ~25 ms. This kernel takes ~5.5 ms for the same work, with the JavaScript loop's accuracy:
 * each float32 pair is promoted to float64 before the product (exact), and the sum runs in four
 * float64 accumulators.
 *
 * `axpy` serves the other product the engine makes with such blocks, the combination `wᵀ·J` of a
 * `[K, D]` block: through XNNPACK the block is packed as weights on every call (~15 ms at K = 8,
 * D = 0.5 M); K passes of `axpy` take a few ms.
 *
 * The module is ~300 bytes, assembled below (no toolchain, nothing downloaded):
 *
 * ```wat
 * (func (export "dot") (param $x i32) (param $y i32) (param $n i32) (result f64)
 *   ;; $n: number of float32 terms, a multiple of 8; $x, $y: byte offsets in the imported memory
 *   end = x + 4n
 *   loop while x < end:
 *     a, b = v128.load x, y;  c, d = v128.load x+16, y+16
 *     acc0 += promote_low(a) * promote_low(b);  acc1 += promote_low(hi(a)) * promote_low(hi(b))
 *     acc2 += promote_low(c) * promote_low(d);  acc3 += promote_low(hi(c)) * promote_low(hi(d))
 *     x += 32; y += 32
 *   return Σ lanes of (acc0 + acc1 + acc2 + acc3))
 * (func (export "axpy") (param $y i32) (param $x i32) (param $a f32) (param $n i32)
 *   ;; $n a multiple of 4: y[p] += a·x[p] in float32, four lanes at a time
 * ```
 */

/** The kernels, bound to one memory; offsets are in bytes. */
export interface SimdKernels {
  /** Σ_{p<n} x[p]·y[p] over float32 arrays, in float64; n % 8 == 0. */
  dot(x: number, y: number, n: number): number;
  /** y[p] += a·x[p] for p < n over float32 arrays; n % 4 == 0. */
  axpy(y: number, x: number, a: number, n: number): void;
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const section = (id: number, bytes: readonly number[]): number[] => [
  id,
  ...uleb(bytes.length),
  ...bytes,
];
const name = (s: string): number[] => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const localGet = (i: number): number[] => [0x20, i];
const localSet = (i: number): number[] => [0x21, i];
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const I32_GE_U = 0x4f;
const F64_ADD = 0xa0;
const v128Load = (offset: number): number[] => [...simd(0x00), 0x02, ...uleb(offset)];
const v128Store = (offset: number): number[] => [...simd(0x0b), 0x02, ...uleb(offset)];
const F32X4_SPLAT = simd(0x13);
const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);
const F64X2_ADD = simd(0xf0);
const F64X2_MUL = simd(0xf2);
const PROMOTE_LOW = simd(0x5f);
/** Lanes 2 and 3 of a f32x4 moved to lanes 0 and 1 (for the second promote). */
const HIGH_HALF = [...simd(0x0d), 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/** acc += promote(half of local x) · promote(half of local y). */
function accumulate(acc: number, x: number, y: number, high: boolean): number[] {
  const half = (v: number): number[] =>
    high
      ? [...localGet(v), ...localGet(v), ...HIGH_HALF, ...PROMOTE_LOW]
      : [...localGet(v), ...PROMOTE_LOW];
  return [...localGet(acc), ...half(x), ...half(y), ...F64X2_MUL, ...F64X2_ADD, ...localSet(acc)];
}

/**
 * The module's bytes. `dot` locals: params x=0, y=1, n=2; end=3; acc0..3=4..7; a, b, c, d = 8..11.
 * `axpy` locals: params y=0, x=1, a=2, n=3; end=4; splat(a)=5.
 */
export function simdModuleBytes(): Uint8Array<ArrayBuffer> {
  // prettier-ignore
  const dot = [
    2, 1, 0x7f, 8, 0x7b,
    ...localGet(0), ...localGet(2), I32_CONST, 2, I32_SHL, I32_ADD, ...localSet(3),
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...localGet(0), ...localGet(3), I32_GE_U, 0x0d, 1, // br_if out when x >= end
    ...localGet(0), ...v128Load(0), ...localSet(8), ...localGet(1), ...v128Load(0), ...localSet(9),
    ...localGet(0), ...v128Load(16), ...localSet(10), ...localGet(1), ...v128Load(16), ...localSet(11),
    ...accumulate(4, 8, 9, false), ...accumulate(5, 8, 9, true),
    ...accumulate(6, 10, 11, false), ...accumulate(7, 10, 11, true),
    ...localGet(0), I32_CONST, 32, I32_ADD, ...localSet(0),
    ...localGet(1), I32_CONST, 32, I32_ADD, ...localSet(1),
    0x0c, 0, 0x0b, 0x0b, // br loop; end loop; end block
    ...localGet(4), ...localGet(5), ...F64X2_ADD, ...localGet(6), ...F64X2_ADD,
    ...localGet(7), ...F64X2_ADD, ...localSet(4),
    ...localGet(4), ...simd(0x21), 0, ...localGet(4), ...simd(0x21), 1, F64_ADD,
    0x0b,
  ];
  // prettier-ignore
  const axpy = [
    2, 1, 0x7f, 1, 0x7b,
    ...localGet(2), ...F32X4_SPLAT, ...localSet(5),
    ...localGet(0), ...localGet(3), I32_CONST, 2, I32_SHL, I32_ADD, ...localSet(4),
    0x02, 0x40, 0x03, 0x40,
    ...localGet(0), ...localGet(4), I32_GE_U, 0x0d, 1,
    ...localGet(0),
    ...localGet(0), ...v128Load(0), ...localGet(1), ...v128Load(0), ...localGet(5), ...F32X4_MUL,
    ...F32X4_ADD, ...v128Store(0),
    ...localGet(0), I32_CONST, 16, I32_ADD, ...localSet(0),
    ...localGet(1), I32_CONST, 16, I32_ADD, ...localSet(1),
    0x0c, 0, 0x0b, 0x0b,
    0x0b,
  ];
  // prettier-ignore
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [2,
      0x60, 3, 0x7f, 0x7f, 0x7f, 1, 0x7c, // 0: (i32 i32 i32) → f64
      0x60, 4, 0x7f, 0x7f, 0x7d, 0x7f, 0]), // 1: (i32 i32 f32 i32) → ()
    ...section(2, [1, ...name('env'), ...name('mem'), 0x02, 0x00, 0x00]), // import memory
    ...section(3, [2, 0, 1]),
    ...section(7, [2, ...name('dot'), 0x00, 0, ...name('axpy'), 0x00, 1]),
    ...section(10, [2, ...uleb(dot.length), ...dot, ...uleb(axpy.length), ...axpy]),
  ]);
}

/**
 * The kernels bound to `memory`, or undefined when this runtime has no WebAssembly SIMD (callers
 * then keep their JavaScript or XNNPACK path).
 */
export function simdKernels(memory: WebAssembly.Memory): SimdKernels | undefined {
  const bytes = simdModuleBytes();
  if (!WebAssembly.validate(bytes)) return undefined;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: { mem: memory },
  });
  return {
    dot: instance.exports['dot'] as SimdKernels['dot'],
    axpy: instance.exports['axpy'] as SimdKernels['axpy'],
  };
}
