export { freePort } from './ports.js';
export { rawPostStatus } from './raw-post.js';
export { type Random, randomInt, seededRandom, shuffle, uniformFloats } from './random.js';
export { rebuildAndCompare } from './rebuild.js';
export { webRealm } from './web-realm.js';
