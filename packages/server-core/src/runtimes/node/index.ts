export { answerClusterMetrics } from '../../metrics/cluster-metrics.js';
export { createMetrics, type MetricsOptions } from '../../metrics/metrics.js';
export {
  type ModelConfig,
  ModelRepository,
  type ModelRepositoryOptions,
  type RepositoryChange,
  type RepositoryEvents,
  type RepositoryIndexEntry,
  readModelConfig,
  selectVersions,
  type VersionPolicy,
} from '../../repository/index.js';
export {
  importOptional,
  isMissingPackage,
  loadModel,
  type ModelFormat,
  type ModelLoadOptions,
  modelFormat,
  modelFormats,
  type PackageImporter,
  recogniseModel,
} from '../../repository/model-formats.js';
export { NodeExchange } from './exchange.js';
export { type ServeOptions, type ServerHandle, serve } from './serve.js';
