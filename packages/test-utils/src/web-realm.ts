import { createContext } from 'node:vm';

/**
 * A V8 context holding the web platform's APIs and nothing of Node's (no process, Buffer or
 * require), to run a browser bundle as an edge runtime or a browser would. The context brings
 * its own language built-ins (Promise, Error, typed arrays); passing this realm's would mix them.
 */
export function webRealm(): ReturnType<typeof createContext> {
  return createContext({
    fetch,
    Request,
    Response,
    Headers,
    URL,
    AbortController,
    AbortSignal,
    ReadableStream,
    TextEncoder,
    TextDecoder,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    console,
    performance,
    structuredClone,
  });
}
