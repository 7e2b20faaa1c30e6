import * as tf from '@tensorflow/tfjs';
import {
  adam,
  createRng,
  createTrainer,
  defaultRegistry,
  evaluate,
  methodFromRegistry,
  type ArchitectureBuilder,
  type DatasetLoader,
} from 'manytask';

await tf.setBackend('cpu');
// Income and marital status from the embedded marketing survey, seeded 70/10/20 split.
const data = await defaultRegistry.create<DatasetLoader>('marketing-income', {}, 'dataset').load(1);
const model = defaultRegistry
  .create<ArchitectureBuilder>('mmoe', { numExperts: 4 }, 'architecture')
  .build(data.inputSpec, data.tasks, createRng(1));
const trainer = createTrainer({
  model,
  method: methodFromRegistry(defaultRegistry, 'upgrad', {}, { mode: 'params' }),
  optimizer: adam({ learningRate: 1e-2 }),
  train: data.train,
  batchSize: 256,
  epochs: 2,
  seed: 1,
});
await trainer.run(trainer.init());
export const result = await evaluate(model, data.test, { batchSize: 1024, rng: createRng(2) });
console.log(result);
