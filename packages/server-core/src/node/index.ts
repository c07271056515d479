export { type ServeOptions, type ServerHandle, serve } from './serve.js';
export { NodeExchange } from './exchange.js';
export { createMetrics } from './metrics.js';
