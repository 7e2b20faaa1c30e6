/** Host-side data sets: what loaders return and the trainer batches. */
import type { InputSpec, TaskSpec } from '../core/model.js';
import type { TaskId } from '../core/types.js';

/** Rows of one split, on the host (row-major typed arrays). */
export interface DataSplit {
  readonly n: number;
  /** `[n, inputSpec.numeric]` row-major, when numeric > 0. */
  readonly numeric?: Float32Array;
  /** `[n, inputSpec.categorical.length]` row-major indices (0 = missing/OOV by convention). */
  readonly categorical?: Int32Array;
  /** `[n, h, w, c]` row-major, when the input has an image. */
  readonly image?: Float32Array;
  /** Per task: binary 0/1 and regression values as Float32Array; multiclass indices as Int32Array. */
  readonly labels: Readonly<Record<TaskId, Float32Array | Int32Array>>;
  /** Per task 1 = labelled, 0 = missing. Absent = all labelled. */
  readonly masks?: Readonly<Record<TaskId, Uint8Array>>;
  /** Per-row weights. */
  readonly rowWeights?: Float32Array;
}

/** A loaded data set with its schema and seeded splits. */
export interface Dataset {
  readonly id: string;
  readonly description: string;
  readonly inputSpec: InputSpec;
  readonly tasks: readonly TaskSpec[];
  readonly train: DataSplit;
  readonly valid: DataSplit;
  readonly test: DataSplit;
  /** Where it came from (embedded file and provenance, generator and parameters, user file). */
  readonly provenance: string;
  /**
   * Regression targets that were standardised, per task: labels hold (y − mean) / std, so a
   * metric in original units is `std²·MSE` (MSE) or `std·MAE` (MAE). Absent = raw targets.
   */
  readonly targetScaling?: Readonly<
    Record<TaskId, { readonly mean: number; readonly std: number }>
  >;
}

/** What a dataset registry entry creates: a loader bound to its options. */
export interface DatasetLoader {
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
  /** Loads and splits with the given seed (identical seeds give identical splits). */
  load(seed: number): Promise<Dataset>;
}
