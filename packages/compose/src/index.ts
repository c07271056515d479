export { createRemoteBackend, type RemoteBackend, type RemoteBackendOptions } from './remote-backend.js';
export { createPipelineBackend, type PipelineOptions } from './pipeline-backend.js';
export { createEnsembleBackend, type EnsembleOptions } from './ensemble-backend.js';
export { createArgmaxBackend, type ArgmaxOptions } from './argmax-backend.js';
export { COMBINE_NAMES, type CombineFn, type CombineName, type CombineRule } from './combine.js';
export type { Stage, StageInit } from './stage.js';
export { buildComposition, loadComposition, type CompositionOptions } from './config/load-composition.js';
export {
  defaultLoaders,
  type LoaderContext,
  type Loaders,
  type ModelLoader,
} from './config/loaders.js';
