import type { DType } from './dtype.js';
import type { Tensor } from './tensor.js';

/** Asks a model to run: the body of GraphPipe's InferRequest. */
export interface InferRequest {
  readonly kind: 'infer';
  /** Opaque per-request model configuration ('' when absent). */
  readonly config: string;
  /** Names for `inputs`, by position; missing or '' means the model's i-th default input. */
  readonly inputNames: readonly string[];
  readonly inputs: readonly Tensor[];
  /** Outputs wanted, in answer order; empty means the model's default outputs. */
  readonly outputNames: readonly string[];
}

/**
 * Asks for the model's metadata. Decoding also yields this for a Request whose union type is
 * NONE or unknown, which servers answer with metadata, as the original Go server does.
 */
export interface MetadataRequest {
  readonly kind: 'metadata';
}

export type Request = InferRequest | MetadataRequest;

/** A model-reported failure carried inside a 200 InferResponse. */
export interface ResponseError {
  readonly code: number;
  readonly message: string;
}

export interface InferResponse {
  readonly outputs: readonly Tensor[];
  readonly errors: readonly ResponseError[];
}

/** One input or output of a model, as the model declares it. */
export interface TensorSpec {
  readonly name: string;
  readonly description?: string;
  /** The element type; undefined when the model takes any (wire type Null). */
  readonly dtype?: DType;
  /** The dimensions, -1 for any size; undefined when any rank is accepted, [] for a scalar. */
  readonly shape?: readonly number[];
}

export interface MetadataResponse {
  readonly name: string;
  readonly version: string;
  readonly server: string;
  readonly description: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}
