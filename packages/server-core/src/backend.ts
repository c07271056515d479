import type { Tensor, TensorSpec } from '@graphpipe/protocol';

export type { TensorSpec };

/** What a served model says about itself (GraphPipe's MetadataResponse). */
export interface ModelMetadata {
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  /** The framework that runs it, as the Open Inference Protocol's model metadata names it (e.g. onnxruntime_onnx). */
  readonly platform?: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /**
   * The names of the classes the model tells apart, in class order: for outputs that score
   * classes along their last axis, or pick one by index. Beyond GraphPipe's metadata: the JSON
   * metadata lists them as `Labels`.
   */
  readonly labels?: readonly string[];
  /**
   * Inputs to try the model with (say, held-out rows of its test set), by input name; for an
   * input with a batch axis, one example per row. Served at GET /models/{name}/examples.
   */
  readonly examples?: Readonly<Record<string, Tensor>>;
}

/** What a backend gets with each call besides the inputs. */
export interface InferContext {
  /** GraphPipe's opaque per-request config string, passed through unchanged ('' when absent). */
  readonly config: string;
  /** Aborted when the caller goes away or the server gives up on the request (its deadline passed, say). */
  readonly signal: AbortSignal;
  /**
   * When the caller stops waiting for the answer, as a `performance.now()` time, if it said (or the
   * server has a default): the signal aborts then, with a DEADLINE_EXCEEDED error as its reason.
   */
  readonly deadline?: number;
}

/**
 * A request's input tensors, lent to the backend for one call. They are views of the request
 * body, whose memory the server reuses for later requests once the answer has been sent: they
 * are valid until then, and read-only. Outputs may be views of them (an identity model returns
 * its inputs). Anything kept past the answer (a cache, a log of inputs, a background job) must
 * be copied first: `tensor.data.slice()`, and for BYTES each element's bytes. With
 * `GRAPHPIPE_POISON_RELEASED=1` (or `poisonReleasedBodies` from `@graphpipe/server-core/testing`)
 * released memory is overwritten, so a test that uses inputs too late fails.
 */
export type LentInputs = Readonly<Record<string, Tensor>>;

/**
 * The contract every model backend implements. The server validates names, dtypes and shapes
 * against `metadata` before `infer` runs, so a backend only sees inputs that fit its
 * declaration; it returns at least the outputs it was asked for, by name. Inputs are lent for
 * the call: see LentInputs.
 */
export interface Backend {
  readonly metadata: ModelMetadata;
  /** Names given to unnamed input tensors, in order. Default: all of `metadata.inputs`. */
  readonly defaultInputs?: readonly string[];
  /** Outputs returned when a request names none. Default: all of `metadata.outputs`. */
  readonly defaultOutputs?: readonly string[];
  /**
   * Other names a request may use for declared inputs and outputs, each mapped to the declared
   * name (TensorFlow's `x:0` for `x`, say). The server resolves them before `infer`, which only
   * sees declared names; answers keep the name the caller used.
   */
  readonly aliases?: Readonly<Record<string, string>>;
  /** How many inferences this backend runs well at once; the server's default limit. */
  readonly concurrency?: number;
  /**
   * True when the backend hands its inputs to other threads (worker threads): the server then
   * reads request bodies into shared memory, so the tensors, views of the body, cross to a
   * worker without a copy on the event loop.
   */
  readonly sharedInputs?: boolean;

  /**
   * Runs the model. `inputs` are valid until the answer has been sent (see LentInputs); the
   * outputs must stay valid until then too, and may be views of the inputs.
   */
  infer(
    inputs: LentInputs,
    outputNames: readonly string[],
    options: InferContext,
  ): Promise<Readonly<Record<string, Tensor>>>;

  /** Releases the model; called once when the server shuts down. */
  close?(): Promise<void>;
}
