/**
 * The worker side of {@link TypedWorker}: imported only by worker entry modules, which run
 * inside a thread that a pool started.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';

/**
 * The port to the thread that started this one.
 *
 * @throws {Error} When `entry` is run outside a worker thread (it names the pool that starts it).
 */
export function parentPortOf(entry: string, startedBy: string): MessagePort {
  if (parentPort === null)
    throw new Error(`${entry} must run in a worker thread (see ${startedBy})`);
  return parentPort;
}
