// The contract checks must catch broken models, or the conformance suite proves nothing.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { InputSpec, ModelInputs, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import { createHead } from './heads.js';
import { dense } from './layers.js';
import { defineArchitecture, type ArchitectureImpl, type BuildContext } from './model.js';
import { constantInit, glorotUniform, taskGroup } from './params.js';
import {
  checkTrunkHeadsSplit,
  groupingViolations,
  outputShapeProblems,
  syntheticBatch,
  disposeSyntheticBatch,
  variablesWithoutGradient,
} from './verify.js';

const spec: InputSpec = { numeric: 3, categorical: [] };
const tasks: TaskSpec[] = [
  { id: 'a', kind: 'regression' },
  { id: 'b', kind: 'binary' },
];

type Flaw = 'none' | 'heads-read-shared' | 'misgrouped' | 'unused' | 'bad-shape';

/**
 * A shared-bottom-like model with one deliberate flaw. The shared `probe/scale` multiplies the
 * bottom's output: in the trunk (honest) or, for 'heads-read-shared', in the heads.
 */
function build(flaw: Flaw) {
  const factory = defineArchitecture(
    `flawed-${flaw}`,
    {},
    () => ({}),
    ({ store, ops, tasks: ts }: BuildContext): ArchitectureImpl => {
      const root = store.root;
      const bottom = dense(root.child('bottom'), 3, 4, ops, { activation: 'softplus' });
      const probe = root.child('probe').variable('scale', [1], constantInit(0.5));
      if (flaw === 'unused') root.child('spare').variable('w', [2], glorotUniform());
      const heads = ts.map((t) => {
        const group = taskGroup(flaw === 'misgrouped' && t.id === 'a' ? 'b' : t.id);
        return createHead(root.child('head').child(t.id, group), t, 4, [], ops, 'relu');
      });
      const late = flaw === 'heads-read-shared';
      return {
        trunk: (inputs: ModelInputs) => {
          const h = bottom.apply(inputs.numeric as tf.Tensor);
          return { features: [late ? h : tf.mul(h, probe)] };
        },
        heads(features) {
          const h = features[0] as tf.Tensor;
          const hh = late ? tf.mul(h, probe) : h;
          const outputs = heads.map((hd) => {
            const y = hd.apply(hh);
            return [hd.task.id, flaw === 'bad-shape' ? tf.expandDims(y, 1) : y] as const;
          });
          return { outputs: Object.fromEntries(outputs) };
        },
      };
    },
  );
  return factory({ towerHidden: [] }).build(spec, tasks, createRng(1));
}

describe('contract checks', () => {
  const batch = syntheticBatch(spec, tasks, 6, 1);

  it('pass on an honest model', () => {
    const m = build('none');
    expect(outputShapeProblems(m, batch.inputs, 6)).toEqual([]);
    expect(variablesWithoutGradient(m, batch.inputs)).toEqual([]);
    expect(groupingViolations(m, batch.inputs)).toEqual([]);
    const split = checkTrunkHeadsSplit(m, batch.inputs);
    expect(split.headsReadShared).toEqual([]);
    expect(split.maxRelError).toBeLessThan(1e-5);
    m.dispose();
  });

  it('catch heads that read a shared variable (the features mode would miss its gradient)', () => {
    const m = build('heads-read-shared');
    const split = checkTrunkHeadsSplit(m, batch.inputs);
    expect(split.headsReadShared).toEqual(['flawed-heads-read-shared/probe/scale']);
    expect(split.maxRelError).toBeGreaterThan(0.5);
    m.dispose();
  });

  it('catch a variable declared in the wrong task group', () => {
    const m = build('misgrouped');
    const v = groupingViolations(m, batch.inputs);
    expect(v.length).toBeGreaterThan(0);
    expect(v[0]).toMatch(/a's output reaches b's variable flawed-misgrouped\/head\/a\//);
    m.dispose();
  });

  it('catch a variable that no output depends on', () => {
    const m = build('unused');
    expect(variablesWithoutGradient(m, batch.inputs)).toEqual(['flawed-unused/spare/w']);
    m.dispose();
  });

  it('catch a wrongly shaped output', () => {
    const m = build('bad-shape');
    expect(outputShapeProblems(m, batch.inputs, 6)).toEqual([
      'a: shape [6, 1], want [6]',
      'b: shape [6, 1], want [6]',
    ]);
    m.dispose();
    disposeSyntheticBatch(batch);
  });
});
