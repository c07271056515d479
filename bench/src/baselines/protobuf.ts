/**
 * TF-Serving-style PredictRequest/PredictResponse, built at runtime with protobufjs
 * (Root.fromJSON, no codegen). Field numbers follow tensorflow/core/framework/tensor.proto,
 * tensor_shape.proto and tensorflow_serving/apis/predict.proto.
 */
import protobuf from 'protobufjs';

const DT_FLOAT = 1;

/** A map<string, T> field (IMapField is an IField with a key type). */
function mapOf(type: string, id: number): protobuf.IField {
  const field: protobuf.IMapField = { keyType: 'string', type, id };
  return field;
}

const root = protobuf.Root.fromJSON({
  nested: {
    tensorflow: {
      nested: {
        DataType: { values: { DT_INVALID: 0, DT_FLOAT } },
        TensorShapeProto: {
          fields: {
            dim: { rule: 'repeated', type: 'Dim', id: 2 },
            unknownRank: { type: 'bool', id: 3 },
          },
          nested: { Dim: { fields: { size: { type: 'int64', id: 1 }, name: { type: 'string', id: 2 } } } },
        },
        TensorProto: {
          fields: {
            dtype: { type: 'DataType', id: 1 },
            tensorShape: { type: 'TensorShapeProto', id: 2 },
            versionNumber: { type: 'int32', id: 3 },
            tensorContent: { type: 'bytes', id: 4 },
            floatVal: { rule: 'repeated', type: 'float', id: 5, options: { packed: true } },
          },
        },
        serving: {
          nested: {
            ModelSpec: { fields: { name: { type: 'string', id: 1 }, signatureName: { type: 'string', id: 3 } } },
            PredictRequest: {
              fields: {
                modelSpec: { type: 'ModelSpec', id: 1 },
                inputs: mapOf('tensorflow.TensorProto', 2),
                outputFilter: { rule: 'repeated', type: 'string', id: 3 },
              },
            },
            PredictResponse: {
              fields: {
                outputs: mapOf('tensorflow.TensorProto', 1),
                modelSpec: { type: 'ModelSpec', id: 2 },
              },
            },
          },
        },
      },
    },
  },
});

const PredictRequest = root.lookupType('tensorflow.serving.PredictRequest');
const PredictResponse = root.lookupType('tensorflow.serving.PredictResponse');

interface TensorProtoMessage {
  dtype: number;
  tensorShape: { dim: { size: number | { toNumber(): number } }[] };
  floatVal?: number[];
  tensorContent?: Uint8Array;
}

/** How the float data travels: packed `float_val` (the brief's form) or raw `tensor_content` bytes. */
export type ProtoLayout = 'float_val' | 'tensor_content';

function tensorProto(shape: readonly number[], data: Float32Array, layout: ProtoLayout) {
  return {
    dtype: DT_FLOAT,
    tensorShape: { dim: shape.map((size) => ({ size })) },
    ...(layout === 'float_val'
      ? { floatVal: data }
      : { tensorContent: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }),
  };
}

function floatsOf(t: TensorProtoMessage): Float32Array {
  if (t.floatVal?.length) return Float32Array.from(t.floatVal);
  const bytes = t.tensorContent ?? new Uint8Array(0);
  // A view when the bytes happen to be 4-aligned, else one copy.
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const copy = new Uint8Array(bytes); // copies, whatever the subclass
  return new Float32Array(copy.buffer, 0, copy.length / 4);
}

function shapeOf(t: TensorProtoMessage): number[] {
  return t.tensorShape.dim.map((d) => (typeof d.size === 'number' ? d.size : d.size.toNumber()));
}

export function encodePredictRequest(shape: readonly number[], data: Float32Array, layout: ProtoLayout): Uint8Array {
  return PredictRequest.encode({
    modelSpec: { name: 'model' },
    inputs: { input0: tensorProto(shape, data, layout) },
  }).finish();
}

export function decodePredictRequest(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
  const msg = PredictRequest.decode(bytes) as unknown as { inputs: Record<string, TensorProtoMessage> };
  const t = msg.inputs.input0!;
  return { shape: shapeOf(t), data: floatsOf(t) };
}

export function encodePredictResponse(shape: readonly number[], data: Float32Array, layout: ProtoLayout): Uint8Array {
  return PredictResponse.encode({ outputs: { output0: tensorProto(shape, data, layout) } }).finish();
}

export function decodePredictResponse(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
  const msg = PredictResponse.decode(bytes) as unknown as { outputs: Record<string, TensorProtoMessage> };
  const t = msg.outputs.output0!;
  return { shape: shapeOf(t), data: floatsOf(t) };
}
