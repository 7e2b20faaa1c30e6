/**
 * Declarative option schemas, validated where options enter (factories, config files, CLI).
 * Errors name the owner, the option and the fix:
 * ``cagrad: option `c` must be ≥ 0, got -1``.
 */
import { ConfigError } from './errors.js';

/** One option's declaration. */
export type OptionSpec =
  | {
      readonly type: 'number';
      readonly default?: number;
      readonly min?: number;
      readonly max?: number;
      readonly exclusiveMin?: boolean;
      readonly description: string;
    }
  | {
      readonly type: 'integer';
      readonly default?: number;
      readonly min?: number;
      readonly max?: number;
      readonly description: string;
    }
  | { readonly type: 'boolean'; readonly default?: boolean; readonly description: string }
  | { readonly type: 'string'; readonly default?: string; readonly description: string }
  | {
      readonly type: 'enum';
      readonly values: readonly string[];
      readonly default?: string;
      readonly description: string;
    }
  | {
      readonly type: 'number[]';
      readonly default?: readonly number[];
      readonly description: string;
    }
  | {
      readonly type: 'number|number[]';
      readonly default?: number | readonly number[];
      readonly description: string;
    }
  | {
      readonly type: 'object';
      readonly default?: Readonly<Record<string, unknown>>;
      readonly description: string;
    };

/** A method's option schema. */
export type OptionsSchema = Readonly<Record<string, OptionSpec>>;

function describe(v: unknown): string {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v) ?? v);
  } catch {
    return String(v);
  }
}

function checkNumber(
  owner: string,
  name: string,
  spec: OptionSpec & { type: 'number' | 'integer' },
  v: unknown,
): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ConfigError(
      `${owner}: option \`${name}\` must be a finite number, got ${describe(v)}`,
    );
  }
  if (spec.type === 'integer' && !Number.isInteger(v)) {
    throw new ConfigError(`${owner}: option \`${name}\` must be an integer, got ${v}`);
  }
  if (spec.min !== undefined) {
    const strict = spec.type === 'number' && spec.exclusiveMin === true;
    if (strict ? v <= spec.min : v < spec.min) {
      throw new ConfigError(
        `${owner}: option \`${name}\` must be ${strict ? '>' : '≥'} ${spec.min}, got ${v}`,
      );
    }
  }
  if (spec.max !== undefined && v > spec.max) {
    throw new ConfigError(`${owner}: option \`${name}\` must be ≤ ${spec.max}, got ${v}`);
  }
  return v;
}

function checkNumberArray(owner: string, name: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new ConfigError(
      `${owner}: option \`${name}\` must be an array of finite numbers, got ${describe(v)}`,
    );
  }
  return v as number[];
}

/**
 * Validates `options` against `schema`, fills defaults, and returns a plain object.
 * Unknown options are an error (with the list of known ones), never ignored.
 */
export function validateOptions(
  owner: string,
  schema: OptionsSchema,
  options: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const given = options ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new ConfigError(`${owner}: options must be an object, got ${describe(given)}`);
  }
  for (const key of Object.keys(given)) {
    if (!(key in schema)) {
      const known = Object.keys(schema);
      throw new ConfigError(
        `${owner}: unknown option \`${key}\`; ${known.length > 0 ? `known options: ${known.join(', ')}` : 'this method takes no options'}`,
      );
    }
  }
  for (const [name, spec] of Object.entries(schema)) {
    const v = given[name];
    if (v === undefined) {
      if (spec.default !== undefined) out[name] = spec.default;
      continue;
    }
    switch (spec.type) {
      case 'number':
      case 'integer':
        out[name] = checkNumber(owner, name, spec, v);
        break;
      case 'boolean':
        if (typeof v !== 'boolean')
          throw new ConfigError(
            `${owner}: option \`${name}\` must be true or false, got ${describe(v)}`,
          );
        out[name] = v;
        break;
      case 'string':
        if (typeof v !== 'string')
          throw new ConfigError(
            `${owner}: option \`${name}\` must be a string, got ${describe(v)}`,
          );
        out[name] = v;
        break;
      case 'enum':
        if (typeof v !== 'string' || !spec.values.includes(v)) {
          throw new ConfigError(
            `${owner}: option \`${name}\` must be one of ${spec.values.map((s) => `'${s}'`).join(', ')}, got ${describe(v)}`,
          );
        }
        out[name] = v;
        break;
      case 'number[]':
        out[name] = checkNumberArray(owner, name, v);
        break;
      case 'number|number[]':
        out[name] =
          typeof v === 'number'
            ? checkNumber(owner, name, { type: 'number', description: '' }, v)
            : checkNumberArray(owner, name, v);
        break;
      case 'object':
        if (typeof v !== 'object' || v === null || Array.isArray(v))
          throw new ConfigError(
            `${owner}: option \`${name}\` must be an object, got ${describe(v)}`,
          );
        out[name] = v;
        break;
    }
  }
  return out;
}
