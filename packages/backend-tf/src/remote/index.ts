export { remoteModelOp, type RemoteModelFn, type RemoteModelOpOptions } from './remote-model-op.js';
export { registerRemoteOp, type RemoteOpOptions } from './register-remote-op.js';
export type { RemoteCallOptions } from './call-remote.js';
