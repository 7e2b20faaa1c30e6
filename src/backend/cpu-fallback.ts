/**
 * Kernels the tfjs 4.22 wasm backend lacks, run by the cpu backend's implementation.
 *
 * Why: the wasm backend registers no `UnsortedSegmentSum` (the gradient of `tf.gather`, i.e. of
 * every embedding lookup) and no `Conv2DBackpropFilter` (the gradient of conv kernels), among
 * others, so models with categorical columns or images could not train on it. Each missing kernel
 * is registered for `wasm` as a delegate: inputs are copied from the wasm heap into the cpu
 * backend, its kernel runs, and the outputs are copied back into wasm-owned tensors. The copies
 * cost a memory pass per call; the kernels concerned are small next to the matmuls.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type TensorInfo = tf.TensorInfo;

const installed = new Set<string>();

function delegate(name: string, cpuKernel: KernelFunc): KernelFunc {
  return (args) => {
    const wasm = args.backend as unknown as BackendWasm;
    const cpu = tf.engine().findBackend('cpu');
    if (cpu === null)
      throw new Error(`wasm fallback for ${name}: the cpu backend is not available`);
    const copies: TensorInfo[] = [];
    const toCpu = (info: TensorInfo): TensorInfo => {
      const values = wasm.readSync(info.dataId) as tf.backend_util.BackendValues;
      const copy = {
        dataId: cpu.write(values, info.shape, info.dtype),
        shape: info.shape,
        dtype: info.dtype,
      };
      copies.push(copy);
      return copy;
    };
    const inputs: Record<string, TensorInfo> = {};
    for (const [key, info] of Object.entries(args.inputs)) {
      if (info !== undefined) inputs[key] = toCpu(info);
    }
    let out: TensorInfo | TensorInfo[];
    try {
      out = cpuKernel({
        inputs,
        ...(args.attrs !== undefined ? { attrs: args.attrs } : {}),
        backend: cpu,
      }) as TensorInfo | TensorInfo[];
    } finally {
      for (const c of copies) cpu.disposeData(c.dataId);
    }
    const back = (o: TensorInfo): TensorInfo => {
      const values = cpu.readSync(o.dataId) as ArrayLike<number>;
      const w = wasm.makeOutput(o.shape, o.dtype);
      // Take the heap view after allocating: makeOutput may grow (and detach) wasm memory.
      (wasm.typedArrayFromHeap(w) as unknown as { set(v: ArrayLike<number>): void }).set(values);
      cpu.disposeData(o.dataId);
      return w;
    };
    return Array.isArray(out) ? out.map(back) : back(out);
  };
}

/**
 * `UnsortedSegmentSum` directly on the wasm heap. It is the gradient of every embedding lookup,
 * so it runs every step; the cpu backend's implementation builds one mask per segment with tensor
 * ops, which made a default bench run ~4× slower than this single accumulation loop.
 */
function unsortedSegmentSum(args: Parameters<KernelFunc>[0]): TensorInfo {
  const wasm = args.backend as unknown as BackendWasm;
  const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  const n = segmentIds.shape.reduce((a, b) => a * b, 1);
  const inner = n === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / n;
  const acc = new Float64Array(numSegments * inner);
  const xs = wasm.typedArrayFromHeap(x) as unknown as ArrayLike<number>;
  const ids = wasm.typedArrayFromHeap(segmentIds) as unknown as ArrayLike<number>;
  for (let i = 0; i < n; i++) {
    const s = ids[i] as number;
    if (s < 0 || s >= numSegments) continue; // tf semantics: out-of-range ids are dropped
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++)
      acc[dst + j] = (acc[dst + j] as number) + (xs[src + j] as number);
  }
  const out = wasm.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
  // Heap view after allocating: makeOutput may grow (and detach) wasm memory.
  (wasm.typedArrayFromHeap(out) as unknown as { set(v: ArrayLike<number>): void }).set(acc);
  return out;
}

const DIRECT: Readonly<Record<string, KernelFunc>> = {
  UnsortedSegmentSum: unsortedSegmentSum as KernelFunc,
};

/**
 * Registers, for the `wasm` backend, every kernel the `cpu` backend has and `wasm` does not, as
 * a delegate to the cpu implementation. Idempotent. Returns the kernel names delegated.
 */
export function installCpuFallbacks(): readonly string[] {
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (installed.has(k.kernelName) || tf.getKernel(k.kernelName, 'wasm') !== undefined) continue;
    tf.registerKernel({
      kernelName: k.kernelName,
      backendName: 'wasm',
      kernelFunc: DIRECT[k.kernelName] ?? delegate(k.kernelName, k.kernelFunc),
    });
    installed.add(k.kernelName);
  }
  return [...installed].sort();
}
