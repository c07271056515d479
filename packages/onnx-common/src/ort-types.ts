/**
 * The parts of onnxruntime's API the backends use, as plain shapes. onnxruntime-node and
 * onnxruntime-web both match them, so this package needs neither: each backend brings its own.
 */

/** A tensor as onnxruntime holds it on the CPU. */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** An output as a runner hands it back: an onnxruntime tensor, or its data and dims sent from a worker. */
export type OrtOutput = Pick<OrtTensorLike, 'dims' | 'data'>;

/** onnxruntime's `Tensor` class, from whichever runtime the backend uses. */
export type OrtTensorConstructor<T extends OrtTensorLike = OrtTensorLike> = new (
  type: never,
  data: never,
  dims: readonly number[],
) => T;

/** What onnxruntime's sessions tell of one input or output. */
export type OrtValueMetadata =
  | { readonly name: string; readonly isTensor: false }
  | {
      readonly name: string;
      readonly isTensor: true;
      readonly type: string;
      readonly shape: ReadonlyArray<number | string>;
    };

/** What a loaded session tells of its inputs and outputs; a worker sends it when its session is ready. */
export interface SessionIO {
  readonly inputMetadata: readonly OrtValueMetadata[];
  readonly outputMetadata: readonly OrtValueMetadata[];
}
