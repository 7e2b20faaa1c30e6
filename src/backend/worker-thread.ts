/**
 * Worker threads as the pools see them (`createDataParallel`, `createShardPool`, `bench --jobs`):
 * a Worker typed by the messages it takes and sends. Node only; `node:worker_threads` is loaded
 * when the first pool starts, so importing the library never touches it.
 */
import type { MessagePort } from 'node:worker_threads';

/** A worker thread that takes messages `In` and sends messages `Out`. */
export interface TypedWorker<In, Out> {
  postMessage(m: In, transfer?: readonly (ArrayBuffer | MessagePort)[]): void;
  on(event: 'message', f: (m: Out) => void): void;
  on(event: 'error', f: (e: Error) => void): void;
  on(event: 'exit', f: (code: number) => void): void;
  unref(): void;
  terminate(): Promise<number>;
}

/** `node:worker_threads`, loaded once on first use. */
export function workerThreads(): Promise<typeof import('node:worker_threads')> {
  return import('node:worker_threads');
}

/** Starts a worker thread running the module at `url`. */
export async function startWorker<In, Out>(url: string | URL): Promise<TypedWorker<In, Out>> {
  const { Worker } = await workerThreads();
  // Node types postMessage and the 'message' event with `any`; the pool's message types are the
  // contract with its worker entry.
  return new Worker(url) as unknown as TypedWorker<In, Out>;
}
