export { addRepositoryRoutes } from '../protocols/repository-admin-routes.js';
export { type ModelConfig, readModelConfig, selectVersions, type VersionPolicy } from './config.js';
export { type RepositoryEntry, scanRepository } from './layout.js';
export {
  ModelRepository,
  type ModelRepositoryOptions,
  type RepositoryChange,
  type RepositoryEvents,
  type RepositoryIndexEntry,
} from './repository.js';
