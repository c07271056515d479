export { type Closable, closeAfter } from './closing.js';
export { liveContext } from './infer-context.js';
export { MODELS_DIR, modelPath } from './models.js';
export { freePort } from './ports.js';
export { rawExchange, rawPostStatus } from './raw-post.js';
export { type Random, randomInt, seededRandom, shuffle, uniformFloats } from './random.js';
export { rebuildAndCompare } from './rebuild.js';
export { rejection } from './rejection.js';
export { webRealm } from './web-realm.js';
export {
  currentRuntime,
  REPO_ROOT,
  type RunResult,
  type RuntimeName,
  runToEnd,
  runtimeBinary,
  workerdBinary,
} from './runtimes.js';
