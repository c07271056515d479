import { GraphPipeError } from '@graphpipe/protocol';
import type { Context } from '@opentelemetry/api';
import type { InferContext } from '../backend.js';
import { MAX_TIMEOUT_MS } from '../http/request-timeout.js';
import { type TracedRun, traceContextOf } from '../tracing/spans.js';

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
  const ms = Math.ceil(deadline - started);
  if (ms > MAX_TIMEOUT_MS) {
    // Further off than a timer can wait: as good as none (a timer set for it would fire at once).
    const running = run(context);
    void running.then(settled, settled);
    return running;
  }
  const bounded = new BoundedContext(context, deadline);
  // One promise settled by whichever comes first, the run or the deadline (cheaper than a race).
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        // Rejected before the abort, so the caller is answered with this error rather than the
        // abort's, which reaches the run's own promise a few reactions later.
        const error = expired();
        reject(error);
        bounded.expire(error);
      },
      // Never early: Node rounds a fractional delay down.
      ms,
    );
    const done = () => {
      clearTimeout(timer);
      bounded.settled();
      settled();
    };
    let running: Promise<T>;
    try {
      running = run(bounded);
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (value) => {
        done();
        resolve(value);
      },
      (err: unknown) => {
        done();
        reject(err);
      },
    );
  });
}

/**
 * The caller's context with a deadline: its signal aborts when the caller's does or the deadline
 * passes. Made only when read: most runs end before anything waits on it, and reading the
 * caller's signal makes the exchange's controller and its watch on the connection.
 */
class BoundedContext implements TracedRun {
  /** The request's trace context, carried on so the queue wait and the run are traced under a deadline too. */
  readonly traceContext: Context | undefined;
  #controller: AbortController | undefined;
  #expired: GraphPipeError | undefined;
  readonly #caller: InferContext;
  readonly #callerLeft = () => this.#controller!.abort(this.#caller.signal.reason);

  constructor(
    caller: InferContext,
    readonly deadline: number,
  ) {
    this.#caller = caller;
    this.traceContext = traceContextOf(caller);
  }

  get config(): string {
    return this.#caller.config;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      const caller = this.#caller.signal;
      if (this.#expired) this.#controller.abort(this.#expired);
      else if (caller.aborted) this.#callerLeft();
      else caller.addEventListener('abort', this.#callerLeft, { once: true });
    }
    return this.#controller.signal;
  }

  /** The deadline has passed: whoever holds the signal is told, with `error` as the reason. */
  expire(error: GraphPipeError): void {
    this.#expired = error;
    this.#controller?.abort(error);
  }

  /** The run is over: stop listening to the caller. */
  settled(): void {
    if (this.#controller) this.#caller.signal.removeEventListener('abort', this.#callerLeft);
  }
}
