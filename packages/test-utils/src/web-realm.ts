import { createContext } from 'node:vm';

/**
 * A V8 context holding the web platform's APIs and nothing of Node's (no process, Buffer or
 * require), to run a browser bundle as an edge runtime or a browser would. The context brings
 * its own language built-ins (Promise, Error, typed arrays); passing this realm's would mix them.
 */
export function webRealm(): ReturnType<typeof createContext> {
  const context = createContext({
    fetch: browserFetch,
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
  /**
   * Browsers' fetch refuses to run as a method of any object but the global one ("Illegal
   * invocation"), so code that stores it on an object and calls it from there must fail here too.
   */
  function browserFetch(this: unknown, ...args: Parameters<typeof fetch>): Promise<Response> {
    if (this !== undefined && this !== context) {
      return Promise.reject(new TypeError("Failed to execute 'fetch' on 'Window': Illegal invocation"));
    }
    return fetch(...args);
  }
  return context;
}
