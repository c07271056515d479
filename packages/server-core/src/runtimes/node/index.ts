export { type ServeOptions, type ServerHandle, serve } from './serve.js';
export { NodeExchange } from './exchange.js';
export { createMetrics, type MetricsOptions } from '../../metrics/metrics.js';
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
export {
  type ModelConfig,
  ModelRepository,
  readModelConfig,
  selectVersions,
  type ModelRepositoryOptions,
  type RepositoryChange,
  type RepositoryEvents,
  type RepositoryIndexEntry,
  type VersionPolicy,
} from '../../repository/index.js';
export { answerClusterMetrics } from '../../metrics/cluster-metrics.js';
