/**
 * Worker entry of `bench --jobs N` (`./bench-jobs.ts`): its own tfjs instance, one bench run at a
 * time. Runs are independent and seeded, so where a run trains does not change its result.
 */
import { initBackend } from '../../backend/init.js';
import { parentPortOf } from '../../backend/worker-entry.js';
import type { Dataset } from '../../data/types.js';
import { defaultRegistry } from '../../registry/index.js';
import { parseRunConfig } from '../config.js';
import type { Progress } from '../progress.js';
import type { FromBenchWorker, ToBenchWorker } from './bench-jobs.js';
import { loadDataset, runTraining } from './train.js';

const port = parentPortOf('bench-worker.js', 'bench --jobs');
const post = (m: FromBenchWorker): void => port.postMessage(m);
const interrupt = { requested: false };
let cached: { key: string; dataset: Dataset } | undefined;

async function handle(m: ToBenchWorker): Promise<void> {
  switch (m.type) {
    case 'init':
      await initBackend({ ...m.backend, quiet: true });
      post({ type: 'ready' });
      return;
    case 'interrupt':
      interrupt.requested = true;
      return;
    case 'close':
      port.close();
      return;
    case 'run': {
      try {
        const config = parseRunConfig(m.config, defaultRegistry, { source: m.dir });
        // One split per data set and seed at a time, as in a single-thread bench.
        const key = JSON.stringify([config.dataset, config.seed]);
        if (cached?.key !== key)
          cached = { key, dataset: await loadDataset(config, defaultRegistry) };
        const progress: Progress = {
          update: (done, status) =>
            post({ type: 'progress', id: m.id, done, ...(status !== undefined ? { status } : {}) }),
          setLabel: () => undefined,
          log: (line) => post({ type: 'log', id: m.id, line }),
          done: () => undefined,
        };
        const r = await runTraining({
          config,
          dir: m.dir,
          interrupt,
          progress,
          dataset: cached.dataset,
          resume: m.resume,
          report: false,
          label: m.label,
          epochLog: false,
        });
        post({ type: 'done', id: m.id, status: r.status, test: r.test, seconds: r.seconds });
      } catch (err) {
        post({
          type: 'error',
          id: m.id,
          name: err instanceof Error ? err.name : 'Error',
          message: err instanceof Error ? err.message : String(err),
        });
      }
      return;
    }
  }
}

port.on('message', (m: ToBenchWorker) => {
  handle(m).catch((err: unknown) =>
    post({
      type: 'error',
      id: -1,
      name: 'Error',
      message: err instanceof Error ? err.message : String(err),
    }),
  );
});
