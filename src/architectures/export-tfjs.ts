/**
 * Export to standard TF.js model artifacts (`model.json` topology + weights), loadable with
 * `tf.loadLayersModel` in any TF.js application without manytask.
 *
 * Supported: `shared-bottom` on numeric and/or image input (Dense, Conv2D, MaxPooling2D, Flatten
 * and Concatenate layers, one output per task named by its id). Not supported, with a
 * {@link ConfigError} saying so:
 * - categorical input: the lookup maps out-of-range values to the missing/OOV row and hashes
 *   large vocabularies, which no standard layer does;
 * - the gated architectures (MMoE, CGC/PLE, DSelect-k, cross-stitch, MTAN): their mixing steps
 *   have no standard TF.js layer. Use `saveModel` for those.
 *
 * Differences from `model.heads` outputs: binary and regression outputs are `[B, 1]` (standard
 * Dense output) instead of `[B]`; multiclass outputs are `[B, C]` logits as before.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import type { MtlModel } from '../core/model.js';
import { resolveConvKernels } from './encoder.js';
import { headUnits } from './heads.js';
import type { ActivationName } from './ops.js';
import { relativeName } from './params.js';

function weightsByName(model: MtlModel): Map<string, tf.Variable> {
  const all = [...model.shared, ...Object.values(model.perTask).flat(), ...(model.extra ?? [])];
  return new Map(all.map((v) => [relativeName(v.name), v]));
}

/**
 * Builds a `tf.LayersModel` equivalent to `model` (weights copied). The caller owns and must
 * dispose it.
 *
 * @throws {ConfigError} For architectures or inputs that standard layers cannot express.
 */
export function toLayersModel(model: MtlModel): tf.LayersModel {
  if (model.architecture !== 'shared-bottom') {
    throw new ConfigError(
      `exportTfjsArtifacts: '${model.architecture}' mixes experts or columns with operations that have no standard TF.js layer; only 'shared-bottom' exports (use saveModel/loadModel for the others)`,
    );
  }
  const spec = model.inputSpec;
  if (spec.categorical.length > 0) {
    throw new ConfigError(
      'exportTfjsArtifacts: categorical columns need the OOV/hashing lookup, which no standard layer does; export a model with numeric and/or image input only',
    );
  }
  const cfg = model.config;
  const act = cfg['activation'] as ActivationName;
  const w = weightsByName(model);
  const pairs: [tf.layers.Layer, string][] = [];
  const layer = <L extends tf.layers.Layer>(l: L, prefix: string): L => {
    pairs.push([l, prefix]);
    return l;
  };
  const inputs: tf.SymbolicTensor[] = [];
  const parts: tf.SymbolicTensor[] = [];
  if (spec.numeric > 0) {
    const x = tf.input({ shape: [spec.numeric], name: 'numeric' });
    inputs.push(x);
    parts.push(x);
  }
  if (spec.image !== undefined) {
    const img = tf.input({
      shape: [spec.image.height, spec.image.width, spec.image.channels],
      name: 'image',
    });
    inputs.push(img);
    let y: tf.SymbolicTensor = img;
    const kernels = resolveConvKernels(spec.image, {
      convFilters: cfg['convFilters'] as number[],
      ...(cfg['convKernels'] !== undefined ? { convKernels: cfg['convKernels'] as number[] } : {}),
    });
    (cfg['convFilters'] as number[]).forEach((filters, i) => {
      const conv = tf.layers.conv2d({
        filters,
        kernelSize: kernels[i] as number,
        padding: 'valid',
        activation: act,
        name: `image_conv${i}`,
      });
      // act(conv) then pool equals the trunk's order; every activation offered is monotonic, so
      // pooling and activation commute anyway.
      y = layer(conv, `encoder/image/conv${i}`).apply(y) as tf.SymbolicTensor;
      y = tf.layers
        .maxPooling2d({ poolSize: 2, strides: 2, padding: 'valid' })
        .apply(y) as tf.SymbolicTensor;
    });
    y = tf.layers.flatten().apply(y) as tf.SymbolicTensor;
    const imageDense = cfg['imageDense'] as number;
    if (imageDense > 0) {
      const d = tf.layers.dense({ units: imageDense, activation: act, name: 'image_dense' });
      y = layer(d, 'encoder/image/dense').apply(y) as tf.SymbolicTensor;
    }
    parts.push(y);
  }
  let h: tf.SymbolicTensor =
    parts.length === 1
      ? (parts[0] as tf.SymbolicTensor)
      : (tf.layers.concatenate({ axis: -1 }).apply(parts) as tf.SymbolicTensor);
  (cfg['hidden'] as number[]).forEach((units, i) => {
    const d = tf.layers.dense({ units, activation: act, name: `bottom_dense${i}` });
    h = layer(d, `bottom/dense${i}`).apply(h) as tf.SymbolicTensor;
  });
  const outputs = model.tasks.map((t) => {
    let y = h;
    (cfg['towerHidden'] as number[]).forEach((units, i) => {
      const d = tf.layers.dense({ units, activation: act, name: `${t.id}_tower${i}` });
      y = layer(d, `head/${t.id}/tower/dense${i}`).apply(y) as tf.SymbolicTensor;
    });
    const out = tf.layers.dense({ units: headUnits(t), name: t.id });
    return layer(out, `head/${t.id}/out`).apply(y) as tf.SymbolicTensor;
  });
  const lm = tf.model({ inputs, outputs, name: 'manytask_shared_bottom' });
  for (const [l, prefix] of pairs) {
    const kernel = w.get(`${prefix}/kernel`);
    const bias = w.get(`${prefix}/bias`);
    if (kernel === undefined || bias === undefined) {
      lm.dispose();
      throw new ConfigError(
        `exportTfjsArtifacts: weights '${prefix}/kernel' and '${prefix}/bias' not found; the model does not match its config`,
      );
    }
    l.setWeights([kernel, bias]);
  }
  return lm;
}

/**
 * Exports `model` as standard TF.js model artifacts (topology + weight specs + weight data), the
 * object `tf.io.fromMemory` / `tf.loadLayersModel` accept.
 *
 * @throws {ConfigError} See the module docs for what cannot be exported.
 */
export async function exportTfjsArtifacts(model: MtlModel): Promise<tf.io.ModelArtifacts> {
  const lm = toLayersModel(model);
  try {
    let captured: tf.io.ModelArtifacts | undefined;
    await lm.save(
      tf.io.withSaveHandler(async (artifacts) => {
        captured = artifacts;
        return Promise.resolve({
          modelArtifactsInfo: {
            dateSaved: new Date(),
            modelTopologyType: 'JSON',
          },
        });
      }),
    );
    return captured as tf.io.ModelArtifacts;
  } finally {
    lm.dispose();
  }
}
