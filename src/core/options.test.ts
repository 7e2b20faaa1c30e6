import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { validateOptions, type OptionsSchema } from './options.js';

const schema: OptionsSchema = {
  c: { type: 'number', default: 0.5, min: 0, description: 'radius' },
  mode: { type: 'enum', values: ['a', 'b'], default: 'a', description: 'mode' },
  w: { type: 'number[]', description: 'weights' },
};

describe('validateOptions', () => {
  it('fills defaults', () => {
    expect(validateOptions('m', schema, {})).toEqual({ c: 0.5, mode: 'a' });
  });
  it('rejects unknown options naming the known ones', () => {
    expect(() => validateOptions('cagrad', schema, { cc: 1 })).toThrow(
      /cagrad: unknown option `cc`; known options: c, mode, w/,
    );
  });
  it('rejects out-of-range and wrong types with the owner and option name', () => {
    expect(() => validateOptions('cagrad', schema, { c: -1 })).toThrow(ConfigError);
    expect(() => validateOptions('cagrad', schema, { c: -1 })).toThrow(
      'cagrad: option `c` must be ≥ 0, got -1',
    );
    expect(() => validateOptions('m', schema, { c: Number.NaN })).toThrow(/finite number/);
    expect(() => validateOptions('m', schema, { mode: 'z' })).toThrow(/one of 'a', 'b'/);
    expect(() => validateOptions('m', schema, { w: [1, 'x'] })).toThrow(/array of finite numbers/);
  });
});
