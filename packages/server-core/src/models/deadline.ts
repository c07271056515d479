import { GraphPipeError } from '@graphpipe/protocol';
import type { InferContext } from '../backend.js';

/**
 * The answer to a request whose deadline passed before its model answered: DEADLINE_EXCEEDED
 * (504). The Open Inference Protocol's routes answer it 503 instead, as Triton answers its
 * `timeout` parameter, and the message starts as Triton's does, which its clients look for.
 */
export class RequestTimeout extends GraphPipeError {
  constructor(model: string) {
    super(
      'DEADLINE_EXCEEDED',
      `Request timeout expired: model "${model}" did not answer before the request's deadline; allow more time, or retry when it is less busy`,
    );
  }
}

/**
 * Runs `run` with a context whose signal also aborts at `deadline` (a performance.now() time),
 * and settles by the deadline whatever the run does: at the deadline it rejects with the error
 * `expired` makes, and the abort takes the request out of any queue it waits in (never to run)
 * and tells a backend that can abandon a run to do so. `settled` is called once the run itself
 * has settled, which for a backend that cannot stop may be after the answer.
 */
export function runBy<T>(
  deadline: number,
  context: InferContext,
  expired: () => GraphPipeError,
  run: (context: InferContext) => Promise<T>,
  settled: () => void,
): Promise<T> {
  const started = performance.now();
  if (deadline <= started) {
    settled();
    return Promise.reject(expired());
  }
  const controller = new AbortController();
  const caller = context.signal;
  const callerLeft = () => controller.abort(caller.reason);
  if (caller.aborted) callerLeft();
  else caller.addEventListener('abort', callerLeft, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    // Never early: Node rounds a fractional delay down.
    timer = setTimeout(
      () => {
        const error = expired();
        // Rejected before the abort, so the caller is answered with this error rather than the
        // abort's, which reaches the run's own promise a few reactions later.
        reject(error);
        controller.abort(error);
      },
      Math.ceil(deadline - started),
    );
  });
  const running = run({ config: context.config, signal: controller.signal, deadline });
  void running.then(done, done);
  function done(): void {
    clearTimeout(timer);
    caller.removeEventListener('abort', callerLeft);
    settled();
  }
  return Promise.race([running, timedOut]);
}
