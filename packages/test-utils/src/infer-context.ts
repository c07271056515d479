/** The context a server hands Backend.infer: no config, a signal that never aborts. */
export const liveContext = (): { config: string; signal: AbortSignal } => ({
  config: '',
  signal: new AbortController().signal,
});
