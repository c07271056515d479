import { afterAll, afterEach } from 'vitest';

export interface Closable {
  close(): unknown;
}

/**
 * Keeps what it is handed and closes it all after each test (`'each'`) or after the file's tests
 * (`'all'`), so a test that fails midway leaves no server listening. Returns the handle unchanged:
 * `const server = closing(await serve(backend, { port: 0 }))`.
 */
export function closeAfter(when: 'each' | 'all' = 'all'): <T extends Closable>(handle: T) => T {
  const open: Closable[] = [];
  (when === 'each' ? afterEach : afterAll)(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()));
  });
  return (handle) => {
    open.push(handle);
    return handle;
  };
}
