/**
 * The run configuration of `manytask train` (and of each run of `manytask bench`): a validated
 * JSON file with namespaced component options, overridable by flags.
 *
 * ```json
 * { "dataset": { "id": "marketing-income" },
 *   "architecture": { "id": "shared-bottom", "hidden": [64] },
 *   "method": { "id": "cagrad", "c": 0.4 },
 *   "optimizer": { "id": "adam", "learningRate": 0.001 },
 *   "engine": { "mode": "params", "jacobianEvery": 1 },
 *   "epochs": 3, "batchSize": 256, "seed": 0, "evalEvery": 1, "logEvery": 10 }
 * ```
 *
 * Every key is checked: unknown keys are errors naming the key path and the allowed keys;
 * component options are validated by the registry entry's own schema (defaults filled in), so
 * `config.json` in a run directory records every value that was used.
 */
import { ConfigError } from '../core/errors.js';
import { validateOptions } from '../core/options.js';
import type { Registry } from '../registry/registry.js';
import type { EntryKind } from '../registry/types.js';
import { readJson } from './fsutil.js';

/** A registered component and its validated options (defaults filled in). */
export interface ComponentRef {
  readonly id: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * The training method: a gradient aggregator, a loss weighting, a task optimiser (AdaTask) or a
 * bi-level method (Auto-Lambda, MOML, FORUM).
 */
export interface MethodRef extends ComponentRef {
  readonly kind: 'aggregator' | 'loss-weighting' | 'task-optimizer' | 'bilevel';
}

/** How per-task gradients are taken (see the engine). */
export interface EngineConfig {
  /** `params`: exact per-task gradients of the shared parameters; `features`: of the trunk output. */
  readonly mode: 'params' | 'features';
  /** Recompute the Jacobian every this many steps (Gramian weightings reuse the weights between). */
  readonly jacobianEvery: number;
  /** On a NaN/Inf loss, gradient or update: stop with an error, or skip the step (reported). */
  readonly onNonFinite: 'throw' | 'skip';
  /** Compute threads: 1, or data-parallel steps on the main thread and `threads − 1` workers. */
  readonly threads: number;
  /**
   * How per-task gradients are taken: `tape` (one recorded forward, back-propagated per request)
   * or `naive` (`tf.variableGrads`, one forward per request: the slow reference the tape is tested
   * against).
   */
  readonly autodiff: 'tape' | 'naive';
}

/** A validated run configuration. */
export interface RunConfig {
  readonly dataset: ComponentRef;
  readonly architecture: ComponentRef;
  readonly method: MethodRef;
  readonly optimizer: ComponentRef;
  /**
   * Optimiser of the model's extra variables (e.g. Gumbel-Matrix router logits, which the
   * official code trains with their own Adam); absent: `optimizer` updates them too.
   */
  readonly extraOptimizer?: ComponentRef;
  readonly engine: EngineConfig;
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Evaluate on the validation split every this many epochs (and always after the last). */
  readonly evalEvery: number;
  /** Write a `step` line to metrics.jsonl every this many steps. */
  readonly logEvery: number;
  /** Loss-level weights applied to the Jacobian rows first (J ← diag(w)·J); aggregators only. */
  readonly lossWeighting?: ComponentRef;
  /** Regularisers added to the objective (e.g. `ortho-reg`), each with its options. */
  readonly regularizers: readonly ComponentRef[];
  /** Train only these tasks of the data set (absent: all; one task = a single-task baseline). */
  readonly tasks?: readonly string[];
}

/** Defaults of every top-level field (component options default in their own schemas). */
export const RUN_DEFAULTS = {
  dataset: 'marketing-income',
  architecture: 'shared-bottom',
  method: 'ew',
  optimizer: 'adam',
  engine: { mode: 'params', jacobianEvery: 1, onNonFinite: 'throw', threads: 1, autodiff: 'tape' },
  epochs: 3,
  batchSize: 256,
  seed: 0,
  evalEvery: 1,
  logEvery: 10,
} as const;

const TOP_KEYS = [
  'dataset',
  'architecture',
  'method',
  'optimizer',
  'engine',
  'epochs',
  'batchSize',
  'seed',
  'evalEvery',
  'logEvery',
  'tasks',
  'regularizers',
  'lossWeighting',
  'extraOptimizer',
] as const;
const ENGINE_KEYS = ['mode', 'jacobianEvery', 'onNonFinite', 'threads', 'autodiff'] as const;

/** Where each value came from, for error messages: a file, or the flag that set it. */
export interface ConfigOrigin {
  /** Label of the base object, e.g. `run.json` or `config`. */
  readonly source: string;
  /** Key path → flag that set it (e.g. `epochs` → `--epochs`). */
  readonly flags?: ReadonlyMap<string, string>;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
}

/** `a pcgrad`, `an aggregator`. */
const an = (word: string): string => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);

/** Explicit `null` is a value (and an error), not a missing key. */
const or = (v: unknown, fallback: unknown): unknown => (v === undefined ? fallback : v);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `run.json: \`engine.mode\`` or `--mode`. */
function where(origin: ConfigOrigin, path: string): string {
  const flag = origin.flags?.get(path);
  return flag !== undefined ? flag : `${origin.source}: \`${path}\``;
}

function checkKeys(
  origin: ConfigOrigin,
  path: string,
  obj: Record<string, unknown>,
  allowed: readonly string[],
): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      const full = path === '' ? key : `${path}.${key}`;
      throw new ConfigError(
        `${origin.source}: unknown key \`${full}\`; allowed keys${path === '' ? '' : ` in \`${path}\``}: ${allowed.join(', ')}`,
      );
    }
  }
}

function integer(origin: ConfigOrigin, path: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ConfigError(`${where(origin, path)} must be an integer ≥ ${min}, got ${describe(v)}`);
  }
  return v;
}

const KIND_HINT: Readonly<Record<string, string>> = {
  regularizers: 'regularizer',
  lossWeighting: 'loss-weighting',
  dataset: 'dataset',
  architecture: 'architecture',
  method: 'aggregator, loss-weighting, task optimizer or bilevel',
  optimizer: 'optimizer',
  extraOptimizer: 'optimizer',
};

function component(
  origin: ConfigOrigin,
  registry: Registry,
  key:
    | 'dataset'
    | 'architecture'
    | 'method'
    | 'optimizer'
    | 'extraOptimizer'
    | 'lossWeighting'
    | `regularizers[${number}]`,
  raw: unknown,
  kinds: readonly EntryKind[],
): ComponentRef & { kind: EntryKind } {
  const hint = KIND_HINT[key.replace(/\[\d+\]$/, '')];
  if (!isPlainObject(raw))
    throw new ConfigError(
      `${where(origin, key)} must be an object with an \`id\` (e.g. { "id": "${key.startsWith('regularizers') ? 'ortho-reg' : key === 'lossWeighting' ? 'uw' : key === 'extraOptimizer' ? 'adam' : (RUN_DEFAULTS[key as keyof typeof RUN_DEFAULTS] as string)}" }), got ${describe(raw)}`,
    );
  const { id, ...options } = raw;
  if (typeof id !== 'string' || id === '')
    throw new ConfigError(
      `${where(origin, `${key}.id`)} must be ${an(hint ?? key)} id (run \`manytask list --kind ${kinds[0]}\`), got ${describe(id)}`,
    );
  let entry;
  try {
    entry = registry.get(id);
  } catch (err) {
    if (err instanceof ConfigError)
      throw new ConfigError(`${where(origin, `${key}.id`)}: ${err.message}`);
    throw err;
  }
  if (!kinds.includes(entry.kind))
    throw new ConfigError(
      `${where(origin, `${key}.id`)}: '${id}' is ${an(entry.kind)}, not ${an(hint ?? key)} (run \`manytask list --kind ${kinds[0]}\`)`,
    );
  let validated: Record<string, unknown>;
  try {
    validated = validateOptions(id, entry.options, options);
  } catch (err) {
    if (err instanceof ConfigError) {
      const flag = origin.flags?.get(`${key}.*`);
      throw new ConfigError(
        `${flag !== undefined ? flag : `${origin.source}: \`${key}\``}: ${err.message}`,
      );
    }
    throw err;
  }
  return { id, kind: entry.kind, options: validated };
}

/** True when the entry builds a TaskOptimizer (the engine hands it the per-task Jacobian). */
function isTaskOptimizer(registry: Registry, ref: ComponentRef): boolean {
  const made = registry.create(ref.id, ref.options) as { kind?: unknown } | null;
  return typeof made === 'object' && made !== null && made.kind === 'task-optimizer';
}

/** Task ids: a non-empty array of distinct non-empty strings (checked against the data set later). */
function taskList(origin: ConfigOrigin, v: unknown): string[] {
  if (
    !Array.isArray(v) ||
    v.length === 0 ||
    v.some((t) => typeof t !== 'string' || t === '') ||
    new Set(v).size !== v.length
  )
    throw new ConfigError(
      `${where(origin, 'tasks')} must be a non-empty list of distinct task ids, got ${describe(v)}`,
    );
  return v as string[];
}

/**
 * Validates a raw configuration object (from a file, flags or both) against the schema and the
 * registry; fills defaults. Throws a one-line {@link ConfigError} naming the key path or flag.
 */
export function parseRunConfig(raw: unknown, registry: Registry, origin: ConfigOrigin): RunConfig {
  if (!isPlainObject(raw))
    throw new ConfigError(`${origin.source}: the run configuration must be a JSON object`);
  checkKeys(origin, '', raw, TOP_KEYS);
  const engineRaw = or(raw['engine'], {});
  if (!isPlainObject(engineRaw))
    throw new ConfigError(
      `${where(origin, 'engine')} must be an object, got ${describe(engineRaw)}`,
    );
  checkKeys(origin, 'engine', engineRaw, ENGINE_KEYS);
  const mode = or(engineRaw['mode'], RUN_DEFAULTS.engine.mode);
  if (mode !== 'params' && mode !== 'features')
    throw new ConfigError(
      `${where(origin, 'engine.mode')} must be 'params' or 'features', got ${describe(mode)}`,
    );
  const method = component(
    origin,
    registry,
    'method',
    or(raw['method'], { id: RUN_DEFAULTS.method }),
    ['aggregator', 'loss-weighting', 'optimizer', 'bilevel'],
  );
  const methodIsTaskOptimizer = method.kind === 'optimizer' && isTaskOptimizer(registry, method);
  if (method.kind === 'optimizer' && !methodIsTaskOptimizer)
    throw new ConfigError(
      `${where(origin, 'method.id')}: '${method.id}' is an optimizer of one gradient, not a training method; set it as \`optimizer\` (methods are aggregators, loss weightings and task optimizers such as adatask)`,
    );
  const seed = or(raw['seed'], RUN_DEFAULTS.seed);
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new ConfigError(
      `${where(origin, 'seed')} must be an integer in [0, 4294967295], got ${describe(seed)}`,
    );
  const strip = ({ id, options }: ComponentRef): ComponentRef => ({ id, options });
  const onNonFinite = or(engineRaw['onNonFinite'], RUN_DEFAULTS.engine.onNonFinite);
  if (onNonFinite !== 'throw' && onNonFinite !== 'skip')
    throw new ConfigError(
      `${where(origin, 'engine.onNonFinite')} must be 'throw' or 'skip', got ${describe(onNonFinite)}`,
    );
  const regsRaw = or(raw['regularizers'], []);
  if (!Array.isArray(regsRaw))
    throw new ConfigError(
      `${where(origin, 'regularizers')} must be a list of { "id": ..., ...options }, got ${describe(regsRaw)}`,
    );
  let lossWeighting: ComponentRef | undefined;
  if (raw['lossWeighting'] !== undefined) {
    lossWeighting = strip(
      component(origin, registry, 'lossWeighting', raw['lossWeighting'], ['loss-weighting']),
    );
    if (method.kind !== 'aggregator')
      throw new ConfigError(
        `${where(origin, 'lossWeighting')} applies to aggregator methods only (J ← diag(w)·J); '${method.id}' is ${an(methodIsTaskOptimizer ? 'task optimizer' : method.kind)}: remove \`lossWeighting\` or choose an aggregator`,
      );
  }
  const regularizers = regsRaw.map((r: unknown, i) =>
    strip(component(origin, registry, `regularizers[${i}]`, r, ['regularizer'])),
  );
  const threads = integer(
    origin,
    'engine.threads',
    or(engineRaw['threads'], RUN_DEFAULTS.engine.threads),
    1,
  );
  const autodiff = or(engineRaw['autodiff'], RUN_DEFAULTS.engine.autodiff);
  if (autodiff !== 'tape' && autodiff !== 'naive')
    throw new ConfigError(
      `${where(origin, 'engine.autodiff')} must be 'tape' or 'naive', got ${describe(autodiff)}`,
    );
  if (threads > 64)
    throw new ConfigError(`${where(origin, 'engine.threads')} must be at most 64, got ${threads}`);
  if (threads > 1 && regularizers.length > 0)
    throw new ConfigError(
      `${where(origin, 'engine.threads')}: regularizers cannot run data-parallel (their penalty depends on the whole batch's gradients); use 1 thread or drop \`regularizers\``,
    );
  if (threads > 1 && method.kind === 'bilevel')
    throw new ConfigError(
      `${where(origin, 'engine.threads')}: bi-level method '${method.id}' cannot run data-parallel (it re-runs the model on batch halves); use 1 thread or another method`,
    );
  const optimizer = component(
    origin,
    registry,
    'optimizer',
    or(raw['optimizer'], { id: RUN_DEFAULTS.optimizer }),
    ['optimizer'],
  );
  if (isTaskOptimizer(registry, optimizer))
    throw new ConfigError(
      `${where(origin, 'optimizer.id')}: '${optimizer.id}' is a task optimizer (a training method); set it as \`method\` and keep a plain optimizer such as adam here`,
    );
  let extraOptimizer: ComponentRef | undefined;
  if (raw['extraOptimizer'] !== undefined) {
    extraOptimizer = strip(
      component(origin, registry, 'extraOptimizer', raw['extraOptimizer'], ['optimizer']),
    );
    if (isTaskOptimizer(registry, extraOptimizer))
      throw new ConfigError(
        `${where(origin, 'extraOptimizer.id')}: '${extraOptimizer.id}' is a task optimizer (a training method); use a plain optimizer such as adam for the extra variables`,
      );
  }
  return {
    dataset: strip(
      component(origin, registry, 'dataset', or(raw['dataset'], { id: RUN_DEFAULTS.dataset }), [
        'dataset',
      ]),
    ),
    architecture: strip(
      component(
        origin,
        registry,
        'architecture',
        or(raw['architecture'], { id: RUN_DEFAULTS.architecture }),
        ['architecture'],
      ),
    ),
    method: {
      ...strip(method),
      kind: methodIsTaskOptimizer ? 'task-optimizer' : (method.kind as MethodRef['kind']),
    },
    optimizer: strip(optimizer),
    ...(extraOptimizer !== undefined ? { extraOptimizer } : {}),
    engine: {
      mode,
      jacobianEvery: integer(
        origin,
        'engine.jacobianEvery',
        or(engineRaw['jacobianEvery'], RUN_DEFAULTS.engine.jacobianEvery),
        1,
      ),
      onNonFinite,
      threads,
      autodiff,
    },
    ...(lossWeighting !== undefined ? { lossWeighting } : {}),
    regularizers,
    epochs: integer(origin, 'epochs', or(raw['epochs'], RUN_DEFAULTS.epochs), 1),
    batchSize: integer(origin, 'batchSize', or(raw['batchSize'], RUN_DEFAULTS.batchSize), 1),
    seed,
    evalEvery: integer(origin, 'evalEvery', or(raw['evalEvery'], RUN_DEFAULTS.evalEvery), 1),
    logEvery: integer(origin, 'logEvery', or(raw['logEvery'], RUN_DEFAULTS.logEvery), 1),
    ...(raw['tasks'] !== undefined ? { tasks: taskList(origin, raw['tasks']) } : {}),
  };
}

/** The JSON form of a configuration (what `config.json` holds); `parseRunConfig` reads it back. */
export function runConfigToJson(c: RunConfig): Record<string, unknown> {
  const ref = (r: ComponentRef): Record<string, unknown> => ({ id: r.id, ...r.options });
  return {
    dataset: ref(c.dataset),
    architecture: ref(c.architecture),
    method: ref(c.method),
    optimizer: ref(c.optimizer),
    ...(c.extraOptimizer !== undefined ? { extraOptimizer: ref(c.extraOptimizer) } : {}),
    engine: { ...c.engine },
    epochs: c.epochs,
    batchSize: c.batchSize,
    seed: c.seed,
    evalEvery: c.evalEvery,
    logEvery: c.logEvery,
    ...(c.lossWeighting !== undefined ? { lossWeighting: ref(c.lossWeighting) } : {}),
    ...(c.regularizers.length > 0 ? { regularizers: c.regularizers.map(ref) } : {}),
    ...(c.tasks !== undefined ? { tasks: [...c.tasks] } : {}),
  };
}

/** Flags that mirror the configuration (shared by `train` and `bench`). */
export const CONFIG_FLAGS = {
  config: { type: 'string' },
  dataset: { type: 'string' },
  'dataset-options': { type: 'string' },
  arch: { type: 'string' },
  'arch-options': { type: 'string' },
  method: { type: 'string' },
  'method-options': { type: 'string' },
  optimizer: { type: 'string' },
  'optimizer-options': { type: 'string' },
  lr: { type: 'string' },
  mode: { type: 'string' },
  'jacobian-every': { type: 'string' },
  threads: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  seed: { type: 'string' },
  'eval-every': { type: 'string' },
  'log-every': { type: 'string' },
  tasks: { type: 'string' },
} as const;

/** Usage lines of {@link CONFIG_FLAGS}. */
export const CONFIG_FLAGS_USAGE: readonly string[] = [
  '  --config <file>             run configuration (JSON); flags below override it',
  `  --dataset <id>              dataset (default ${RUN_DEFAULTS.dataset}); --dataset-options '<json>'`,
  `  --arch <id>                 architecture (default ${RUN_DEFAULTS.architecture}); --arch-options '<json>'`,
  `  --method <id>               aggregator, loss weighting, task optimizer or bi-level method (default ${RUN_DEFAULTS.method}); --method-options '<json>'`,
  `  --optimizer <id>            optimiser (default ${RUN_DEFAULTS.optimizer}); --lr <x> (= learningRate); --optimizer-options '<json>'`,
  "  --mode params|features      per-task gradients of the shared parameters or of the trunk's output",
  '  --jacobian-every <n>        recompute the task Jacobian every n steps (default 1)',
  '  --threads <n>               data-parallel steps over n threads (main + n−1 workers; default 1)',
  `  --epochs <n>                (default ${RUN_DEFAULTS.epochs})`,
  `  --batch-size <n>            (default ${RUN_DEFAULTS.batchSize})`,
  `  --seed <n>                  (default ${RUN_DEFAULTS.seed})`,
  `  --eval-every <n>            validation every n epochs (default ${RUN_DEFAULTS.evalEvery})`,
  `  --log-every <n>             metrics.jsonl step line every n steps (default ${RUN_DEFAULTS.logEvery})`,
  '  --tasks <a,b,...>           train only these tasks of the data set (default: all)',
];

type FlagValues = Partial<Record<keyof typeof CONFIG_FLAGS, string>>;

function flagNumber(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v))
    throw new ConfigError(`--${flag} must be a number, got '${text}'`);
  return v;
}

function flagJson(flag: string, text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      `--${flag} must be a JSON object (e.g. '{"c": 0.5}'): ${(err as Error).message}`,
    );
  }
  if (!isPlainObject(v))
    throw new ConfigError(`--${flag} must be a JSON object (e.g. '{"c": 0.5}'), got ${text}`);
  if ('id' in v)
    throw new ConfigError(
      `--${flag} must not contain \`id\`; use --${flag.replace('-options', '')}`,
    );
  return v;
}

/**
 * Merges flags over a raw base object (a config file's content or `{}`). Setting a component id
 * by flag drops the base's options of a different id (they belong to the other component).
 * Returns the merged raw object and the key path → flag map for error messages.
 */
export function mergeFlags(
  base: Record<string, unknown>,
  flags: FlagValues,
): { raw: Record<string, unknown>; flags: Map<string, string> } {
  const raw: Record<string, unknown> = { ...base };
  const origin = new Map<string, string>();
  const comp = (
    key: 'dataset' | 'architecture' | 'method' | 'optimizer',
    idFlag: string,
    optFlag: string,
  ): void => {
    const id = flags[idFlag as keyof FlagValues];
    const opts = flags[optFlag as keyof FlagValues];
    if (id === undefined && opts === undefined) return;
    const prev = raw[key];
    // Options without an id anywhere apply to the default component.
    let obj: Record<string, unknown> = isPlainObject(prev)
      ? { ...prev }
      : { id: RUN_DEFAULTS[key] };
    if (id !== undefined) {
      if (obj['id'] !== id) obj = {};
      obj['id'] = id;
      origin.set(`${key}.id`, `--${idFlag}`);
      origin.set(key, `--${idFlag}`);
    }
    if (opts !== undefined) {
      obj = { ...obj, ...flagJson(optFlag, opts) };
      origin.set(`${key}.*`, `--${optFlag}`);
    }
    raw[key] = obj;
  };
  comp('dataset', 'dataset', 'dataset-options');
  comp('architecture', 'arch', 'arch-options');
  comp('method', 'method', 'method-options');
  comp('optimizer', 'optimizer', 'optimizer-options');
  if (flags.lr !== undefined) {
    const prev = raw['optimizer'];
    raw['optimizer'] = {
      ...(isPlainObject(prev) ? prev : { id: RUN_DEFAULTS.optimizer }),
      learningRate: flagNumber('lr', flags.lr),
    };
    origin.set('optimizer.*', '--lr');
  }
  const engine: Record<string, unknown> = isPlainObject(raw['engine']) ? { ...raw['engine'] } : {};
  if (flags.mode !== undefined) {
    engine['mode'] = flags.mode;
    origin.set('engine.mode', '--mode');
  }
  if (flags['jacobian-every'] !== undefined) {
    engine['jacobianEvery'] = flagNumber('jacobian-every', flags['jacobian-every']);
    origin.set('engine.jacobianEvery', '--jacobian-every');
  }
  if (flags.threads !== undefined) {
    engine['threads'] = flagNumber('threads', flags.threads);
    origin.set('engine.threads', '--threads');
  }
  if (Object.keys(engine).length > 0 || raw['engine'] !== undefined) raw['engine'] = engine;
  if (flags.tasks !== undefined) {
    raw['tasks'] = flags.tasks.split(',').map((t) => t.trim());
    origin.set('tasks', '--tasks');
  }
  const nums: [keyof FlagValues, string][] = [
    ['epochs', 'epochs'],
    ['batch-size', 'batchSize'],
    ['seed', 'seed'],
    ['eval-every', 'evalEvery'],
    ['log-every', 'logEvery'],
  ];
  for (const [flag, key] of nums) {
    const text = flags[flag];
    if (text === undefined) continue;
    raw[key] = flagNumber(flag, text);
    origin.set(key, `--${flag}`);
  }
  return { raw, flags: origin };
}

/** Reads `--config` (when given), merges the flags and validates: the one entry point of `train`. */
export async function loadRunConfig(flags: FlagValues, registry: Registry): Promise<RunConfig> {
  let base: Record<string, unknown> = {};
  let source = 'config';
  if (flags.config !== undefined) {
    source = flags.config;
    const content = await readJson(flags.config);
    if (!isPlainObject(content))
      throw new ConfigError(`${source}: the run configuration must be a JSON object`);
    base = content;
  }
  const merged = mergeFlags(base, flags);
  return parseRunConfig(merged.raw, registry, { source, flags: merged.flags });
}
