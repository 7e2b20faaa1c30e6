/** Public API of `architectures`. */
export { sharedBottom, sharedBottomEntry, type SharedBottomOptions } from './shared-bottom.js';
export { mmoe, mmoeEntry, type MmoeOptions } from './mmoe.js';
export { cgc, cgcEntry } from './cgc.js';
export { ple, pleEntry, type PleOptions } from './ple.js';
export {
  crossStitch,
  crossStitchEntry,
  initialAlpha,
  stitch,
  type CrossStitchOptions,
} from './cross-stitch.js';
export {
  dselectK,
  dselectKEntry,
  smoothStep,
  binaryCodes,
  selectorOutputs,
  dselectRegularizer,
  type DselectKOptions,
} from './dselect-k.js';
export { mtan, mtanEntry, type MtanOptions } from './mtan.js';
export { entries as architectureEntries } from './entries.js';
export {
  defineArchitecture,
  architectureEntry,
  assembleModel,
  forward,
  COMMON_SCHEMA,
  type ArchitectureFacts,
  type ArchitectureImpl,
  type BuildContext,
  type CommonOptions,
  type HostTree,
  type TensorTree,
} from './model.js';
export {
  createParamStore,
  relativeName,
  taskGroup,
  SHARED,
  glorotUniform,
  heNormal,
  uniformInit,
  constantInit,
  valuesInit,
  fans,
  type Initializer,
  type ParamGroup,
  type ParamGroups,
  type ParamScope,
  type ParamStore,
} from './params.js';
export {
  dense,
  mlp,
  sequential,
  conv2d,
  maxPool,
  flatten,
  type Block,
  type DenseOptions,
  type Conv2dOptions,
} from './layers.js';
export {
  componentLayer,
  mlpExperts,
  mixComponents,
  softmaxGate,
  utilisation,
  type ComponentLayer,
  type SoftmaxGate,
} from './components.js';
export {
  createInputEncoder,
  createTabularEncoder,
  createImageTrunk,
  categoricalRows,
  checkInputs,
  checkInputSpec,
  resolveConvKernels,
  ENCODER_DEFAULTS,
  ENCODER_SCHEMA,
  type EncoderOptions,
  type InputEncoder,
  type TabularEncoder,
  type ImageTrunk,
  type ConvStage,
} from './encoder.js';
export { createHead, headUnits, checkTasks, type Head } from './heads.js';
export {
  nonlinearOps,
  activate,
  ACTIVATIONS,
  type ActivationName,
  type NonlinearOps,
} from './ops.js';
export {
  saveModel,
  loadModel,
  buildModel,
  modelRecipe,
  assignWeights,
  encodeFloat32,
  decodeFloat32,
  MODEL_ARTIFACT_VERSION,
  type ModelArtifact,
  type SavedWeight,
  type LoadModelOptions,
  type ModelRecipe,
} from './io.js';
export { exportTfjsArtifacts, toLayersModel } from './export-tfjs.js';
export {
  outputShapeProblems,
  variablesWithoutGradient,
  groupingViolations,
  checkTrunkHeadsSplit,
  featureCotangents,
  localTaskLoss,
  evaluateLosses,
  trainBriefly,
  syntheticBatch,
  disposeSyntheticBatch,
  type SplitReport,
  type BriefTrainingReport,
} from './verify.js';
export {
  gumbelMatrix,
  gumbelMatrixEntry,
  gumbelTemperature,
  sampleAllocation,
  sharedComponents,
  type GumbelMatrixOptions,
} from './gumbel-matrix.js';
