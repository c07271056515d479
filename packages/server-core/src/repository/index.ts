export { addRepositoryRoutes } from '../protocols/repository-admin-routes.js';
export { type ModelConfig, type VersionPolicy, readModelConfig, selectVersions } from './config.js';
export { type RepositoryEntry, scanRepository } from './layout.js';
export {
  ModelRepository,
  type ModelRepositoryOptions,
  type RepositoryChange,
  type RepositoryEvents,
  type RepositoryIndexEntry,
} from './repository.js';
