/**
 * What `promise` rejects with. A promise that fulfils fails the caller instead, so a test that
 * expected an error never passes on a success. The type parameter is a cast for the caller's
 * convenience (usually GraphPipeError); check the error's code before relying on it.
 */
export function rejection<E = unknown>(promise: Promise<unknown>): Promise<E> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, but it fulfilled with ${String(value)}`);
    },
    (err: unknown) => err as E,
  );
}
