/**
 * The declared schema of a user data file: which columns are features (numeric or categorical),
 * which are task labels (and of what kind), which one is a row weight, and which cell values
 * mean "missing". Validated where it enters ({@link validateSchema}), before any file is read.
 */
import { ConfigError } from '../core/errors.js';
import type { TaskKind, TaskLoss } from '../core/model.js';

/** One feature column. */
export interface FeatureColumnSchema {
  readonly column: string;
  /**
   * `numeric`: parsed as a number and standardised with the training split's mean and standard
   * deviation; missing values become the training mean (0 after standardising).
   * `categorical`: any value; a vocabulary is built on the training split (most frequent first),
   * index 0 = missing, 1 = out of vocabulary, 2.. = known values.
   */
  readonly type: 'numeric' | 'categorical';
  /** Categorical only: keep at most this many values (the rest map to the OOV index). */
  readonly maxVocab?: number;
  /** Numeric only: add a 0/1 numeric column `<column>__missing` right after this one. */
  readonly missingIndicator?: boolean;
}

/** One task label column. */
export interface TaskColumnSchema {
  readonly column: string;
  /** Task id; default the column name. */
  readonly id?: string;
  readonly kind: TaskKind;
  /** Multiclass: number of classes when labels are integers 0..numClasses−1. */
  readonly numClasses?: number;
  /** Multiclass: class values in index order (labels are matched as strings). */
  readonly classes?: readonly string[];
  /**
   * Binary: the value (or values) that mean 1; every other non-missing value is 0. Without it
   * the column must hold 0/1 or true/false.
   */
  readonly positive?: string | number | boolean | readonly (string | number | boolean)[];
  /**
   * Binary, with `positive`: the value (or values) that mean 0. When given, a value in neither
   * list is an error instead of a silent 0 (strict label vocabularies such as Census-Income's).
   */
  readonly negative?: string | number | boolean | readonly (string | number | boolean)[];
  /** Regression: standardise the target with the training split's mean and std. Default false. */
  readonly standardize?: boolean;
  readonly loss?: TaskLoss;
}

/** A data file's declared schema. */
export interface DataSchema {
  readonly features: readonly FeatureColumnSchema[];
  readonly tasks: readonly TaskColumnSchema[];
  /** Optional per-row weight column (finite, ≥ 0, never missing). */
  readonly weight?: string;
  /** Cell values that mean missing (compared after trimming). Default `['NA', '', '?']`. */
  readonly missing?: readonly string[];
}

/** Default missing-value tokens. */
export const DEFAULT_MISSING: readonly string[] = ['NA', '', '?'];

const TASK_KINDS: readonly TaskKind[] = ['binary', 'multiclass', 'regression'];
const LOSSES: readonly TaskLoss[] = ['logloss', 'cross-entropy', 'mse', 'mae'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(owner: string, what: string, v: Record<string, unknown>, known: string[]): void {
  for (const k of Object.keys(v)) {
    if (!known.includes(k)) {
      throw new ConfigError(
        `${owner}: ${what} has unknown key \`${k}\`; known keys: ${known.join(', ')}`,
      );
    }
  }
}

function checkColumnName(owner: string, what: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') {
    throw new ConfigError(
      `${owner}: ${what}.column must be a non-empty string, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

/**
 * Checks a schema's shape (not the data): known keys, kinds, class counts, one role per column,
 * unique task ids. Returns the schema typed.
 *
 * @throws ConfigError naming `owner`, the offending entry and the fix.
 */
export function validateSchema(owner: string, schema: unknown): DataSchema {
  if (!isObject(schema)) {
    throw new ConfigError(
      `${owner}: schema must be an object { features, tasks, weight?, missing? }, got ${JSON.stringify(schema)}`,
    );
  }
  checkKeys(owner, 'schema', schema, ['features', 'tasks', 'weight', 'missing']);
  const { features, tasks, weight, missing } = schema;
  if (!Array.isArray(features) || features.length === 0) {
    throw new ConfigError(
      `${owner}: schema.features must be a non-empty array of { column, type: 'numeric' | 'categorical' }`,
    );
  }
  if (!Array.isArray(tasks) || tasks.length === 0) {
    throw new ConfigError(
      `${owner}: schema.tasks must be a non-empty array of { column, kind: 'binary' | 'multiclass' | 'regression' }`,
    );
  }
  const roles = new Map<string, string>();
  const claim = (column: string, role: string): void => {
    const prev = roles.get(column);
    if (prev !== undefined) {
      throw new ConfigError(
        `${owner}: column '${column}' is used twice (${prev} and ${role}); give each column one role (a label column must not also be a feature)`,
      );
    }
    roles.set(column, role);
  };
  features.forEach((f: unknown, i) => {
    const what = `schema.features[${i}]`;
    if (!isObject(f)) throw new ConfigError(`${owner}: ${what} must be an object`);
    checkKeys(owner, what, f, ['column', 'type', 'maxVocab', 'missingIndicator']);
    const column = checkColumnName(owner, what, f['column']);
    if (f['type'] !== 'numeric' && f['type'] !== 'categorical') {
      throw new ConfigError(
        `${owner}: ${what}.type must be 'numeric' or 'categorical', got ${JSON.stringify(f['type'])}`,
      );
    }
    if (f['maxVocab'] !== undefined) {
      if (f['type'] !== 'categorical' || !isPositiveInt(f['maxVocab'])) {
        throw new ConfigError(
          `${owner}: ${what}.maxVocab must be an integer ≥ 1 on a categorical column, got ${JSON.stringify(f['maxVocab'])}`,
        );
      }
    }
    if (f['missingIndicator'] !== undefined) {
      if (f['type'] !== 'numeric' || typeof f['missingIndicator'] !== 'boolean') {
        throw new ConfigError(
          `${owner}: ${what}.missingIndicator must be true or false on a numeric column`,
        );
      }
    }
    claim(column, `feature ${i}`);
  });
  const ids = new Set<string>();
  tasks.forEach((t: unknown, i) => {
    const what = `schema.tasks[${i}]`;
    if (!isObject(t)) throw new ConfigError(`${owner}: ${what} must be an object`);
    checkKeys(owner, what, t, [
      'column',
      'id',
      'kind',
      'numClasses',
      'classes',
      'positive',
      'negative',
      'standardize',
      'loss',
    ]);
    const column = checkColumnName(owner, what, t['column']);
    const kind = t['kind'];
    if (typeof kind !== 'string' || !TASK_KINDS.includes(kind as TaskKind)) {
      throw new ConfigError(
        `${owner}: ${what}.kind must be one of 'binary', 'multiclass', 'regression', got ${JSON.stringify(kind)}`,
      );
    }
    const id = t['id'] ?? column;
    if (typeof id !== 'string' || id === '') {
      throw new ConfigError(`${owner}: ${what}.id must be a non-empty string`);
    }
    if (ids.has(id)) {
      throw new ConfigError(`${owner}: task id '${id}' appears twice; give each task its own id`);
    }
    ids.add(id);
    if (t['numClasses'] !== undefined) {
      if (kind !== 'multiclass' || !isPositiveInt(t['numClasses']) || t['numClasses'] < 2) {
        throw new ConfigError(
          `${owner}: ${what}.numClasses must be an integer ≥ 2 on a multiclass task, got ${JSON.stringify(t['numClasses'])}`,
        );
      }
    }
    if (t['classes'] !== undefined) {
      const c = t['classes'];
      if (
        kind !== 'multiclass' ||
        !Array.isArray(c) ||
        c.length < 2 ||
        c.some((x) => typeof x !== 'string') ||
        new Set(c).size !== c.length
      ) {
        throw new ConfigError(
          `${owner}: ${what}.classes must be an array of ≥ 2 distinct strings on a multiclass task`,
        );
      }
      if (t['numClasses'] !== undefined && t['numClasses'] !== c.length) {
        throw new ConfigError(
          `${owner}: ${what} declares numClasses ${String(t['numClasses'])} but ${c.length} classes; drop one of them`,
        );
      }
    }
    if (t['positive'] !== undefined) {
      const p = t['positive'];
      const ok = (x: unknown): boolean => ['string', 'number', 'boolean'].includes(typeof x);
      if (kind !== 'binary' || !(ok(p) || (Array.isArray(p) && p.length > 0 && p.every(ok)))) {
        throw new ConfigError(
          `${owner}: ${what}.positive must be a value or a non-empty array of values on a binary task`,
        );
      }
    }
    if (t['negative'] !== undefined) {
      const p = t['negative'];
      const ok = (x: unknown): boolean => ['string', 'number', 'boolean'].includes(typeof x);
      if (
        kind !== 'binary' ||
        t['positive'] === undefined ||
        !(ok(p) || (Array.isArray(p) && p.length > 0 && p.every(ok)))
      ) {
        throw new ConfigError(
          `${owner}: ${what}.negative must be a value or a non-empty array of values on a binary task that also declares \`positive\``,
        );
      }
    }
    if (t['standardize'] !== undefined) {
      if (kind !== 'regression' || typeof t['standardize'] !== 'boolean') {
        throw new ConfigError(
          `${owner}: ${what}.standardize must be true or false on a regression task`,
        );
      }
    }
    if (t['loss'] !== undefined && !LOSSES.includes(t['loss'] as TaskLoss)) {
      throw new ConfigError(
        `${owner}: ${what}.loss must be one of ${LOSSES.map((l) => `'${l}'`).join(', ')}`,
      );
    }
    claim(column, `task '${id}'`);
  });
  if (weight !== undefined) {
    if (typeof weight !== 'string' || weight === '') {
      throw new ConfigError(`${owner}: schema.weight must be a column name`);
    }
    claim(weight, 'weight');
  }
  if (missing !== undefined) {
    if (!Array.isArray(missing) || missing.some((m) => typeof m !== 'string')) {
      throw new ConfigError(`${owner}: schema.missing must be an array of strings`);
    }
  }
  return schema as unknown as DataSchema;
}

/** Task id of a task column. */
export function taskIdOf(t: TaskColumnSchema): string {
  return t.id ?? t.column;
}
