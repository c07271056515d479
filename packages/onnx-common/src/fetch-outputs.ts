/**
 * Works around onnxruntime-node 1.23's naming of partial fetches (microsoft/onnxruntime#26865,
 * fixed upstream by #26939): when a run fetches only some outputs, the binding keys the results
 * by the model's first output names, not by the fetched ones. The values do come in the model's
 * output order, so fetching in that order lets us put the right names back, fixed version or not.
 */

/** The wanted outputs, in the model's output order. */
export function fetchOrder(modelOutputs: readonly string[], wanted: readonly string[]): string[] {
  const set = new Set(wanted);
  return modelOutputs.filter((name) => set.has(name));
}

/** The results keyed by the names that were fetched (`fetched` as returned by fetchOrder). */
export function resultsByName<T>(
  results: Readonly<Record<string, T>>,
  fetched: readonly string[],
  modelOutputs: readonly string[],
): Readonly<Record<string, T>> {
  // Correctly keyed: a fixed binding, or a fetch of the leading outputs, where both namings agree.
  if (fetched.every((name) => Object.hasOwn(results, name))) return results;
  return Object.fromEntries(fetched.map((name, i) => [name, results[modelOutputs[i]!]!]));
}
