/** Thin helpers over onnx-proto's message types, so each model reads as a short list of nodes. */
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';

const { onnx } = onnxProto;

export const OPSET = 17;
const IR_VERSION = 8;

/** TensorProto.DataType numbers. */
export const ElemType = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
} as const;
export type ElemTypeName = keyof typeof ElemType;

/** A dimension is a fixed size or a symbolic name such as "batch". */
export type Dim = number | string;

export function valueInfo(name: string, elemType: ElemTypeName, shape: readonly Dim[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ElemType[elemType],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** A float32 initializer stored as little-endian raw bytes (every platform we run on is little-endian). */
export function floatInit(name: string, dims: readonly number[], values: Float32Array): Onnx.ITensorProto {
  if (values.length !== dims.reduce((a, b) => a * b, 1))
    throw new Error(`${name}: ${values.length} values for dims [${dims}]`);
  return {
    name,
    dims: [...dims],
    dataType: ElemType.float32,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  };
}

/** An int64 initializer; a scalar when dims is []. */
export function int64Init(name: string, dims: readonly number[], values: readonly number[]): Onnx.ITensorProto {
  return { name, dims: [...dims], dataType: ElemType.int64, int64Data: [...values] };
}

/** An integer, a list of integers, or a graph (the body of a Loop). */
type AttrValue = number | readonly number[] | Onnx.IGraphProto;

/** A node in the default domain. */
export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttrValue> = {},
): Onnx.INodeProto {
  const { AttributeType } = onnx.AttributeProto;
  const attribute = Object.entries(attrs).map(([name, v]) =>
    typeof v === 'number'
      ? { name, type: AttributeType.INT, i: v }
      : Array.isArray(v)
        ? { name, type: AttributeType.INTS, ints: [...v] }
        : { name, type: AttributeType.GRAPH, g: v as Onnx.IGraphProto },
  );
  return { opType, input: inputs, output: outputs, name: `${opType}_${outputs[0]}`, attribute };
}

export interface GraphInit {
  name: string;
  inputs: Onnx.IValueInfoProto[];
  outputs: Onnx.IValueInfoProto[];
  nodes: Onnx.INodeProto[];
  initializers?: Onnx.ITensorProto[];
}

export function graph(g: GraphInit): Onnx.IGraphProto {
  return { name: g.name, node: g.nodes, initializer: g.initializers ?? [], input: g.inputs, output: g.outputs };
}

export interface ModelInit extends GraphInit {
  doc: string;
  modelVersion?: number;
  metadata?: Record<string, string>;
}

export function encodeModel(m: ModelInit): Uint8Array {
  const model: Onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'graphpipe-ts make-models',
    producerVersion: '1',
    modelVersion: m.modelVersion ?? 1,
    docString: m.doc,
    graph: graph(m),
    metadataProps: Object.entries(m.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(model).finish();
}
