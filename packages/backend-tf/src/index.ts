export { createTfBackend, type TfBackend, type TfBackendOptions } from './tf-backend.js';
export { selectEngine, NATIVE_HINT, type Engine, type EngineChoice, type EngineKind, type Importer } from './engine.js';
export type { ModelFormat } from './loaded-model.js';
export type { SavedModelOptions } from './saved-model.js';
export {
  registerRemoteOp,
  remoteModelOp,
  type RemoteCallOptions,
  type RemoteModelFn,
  type RemoteModelOpOptions,
  type RemoteOpOptions,
} from './remote/index.js';
