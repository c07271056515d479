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
}

/** What a backend gets with each call besides the inputs. */
export interface InferContext {
  /** GraphPipe's opaque per-request config string, passed through unchanged ('' when absent). */
  readonly config: string;
  /** Aborted when the caller goes away or the server gives up on the request. */
  readonly signal: AbortSignal;
}

/**
 * The contract every model backend implements. The server validates names, dtypes and shapes
 * against `metadata` before `infer` runs, so a backend only sees inputs that fit its
 * declaration; it returns at least the outputs it was asked for, by name.
 */
export interface Backend {
  readonly metadata: ModelMetadata;
  /** Names given to unnamed input tensors, in order. Default: all of `metadata.inputs`. */
  readonly defaultInputs?: readonly string[];
  /** Outputs returned when a request names none. Default: all of `metadata.outputs`. */
  readonly defaultOutputs?: readonly string[];
  /** How many inferences this backend runs well at once; the server's default limit. */
  readonly concurrency?: number;
  /**
   * True when the backend hands its inputs to other threads (worker threads): the server then
   * reads request bodies into shared memory, so the tensors, views of the body, cross to a
   * worker without a copy on the event loop.
   */
  readonly sharedInputs?: boolean;

  infer(
    inputs: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    options: InferContext,
  ): Promise<Readonly<Record<string, Tensor>>>;

  /** Releases the model; called once when the server shuts down. */
  close?(): Promise<void>;
}
