// Every test runs on the deterministic pure-JS cpu backend unless it selects another one itself.
import * as tf from '@tensorflow/tfjs';
import { beforeAll } from 'vitest';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});
