import protobuf from 'protobufjs/light.js';

// The part of ONNX's onnx.proto (package `onnx`, IR version 3 and later)
// that lockstep reads and writes, as a protobufjs JSON descriptor: field
// numbers and types are ONNX's. Fields left out are skipped when reading,
// which is why lockstep never re-encodes a model it read (see onnx/patch.ts).
// onnx.proto is proto2: repeated scalars are unpacked unless ONNX says packed.

const unpacked = { packed: false };
const packed = { packed: true };
const rep = (type: string, id: number, options?: Record<string, boolean>) => ({
  rule: 'repeated',
  type,
  id,
  ...(options ? { options } : {}),
});

const descriptor = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: rep('OperatorSetIdProto', 8),
            metadataProps: rep('StringStringEntryProto', 14),
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        GraphProto: {
          fields: {
            node: rep('NodeProto', 1),
            name: { type: 'string', id: 2 },
            initializer: rep('TensorProto', 5),
            docString: { type: 'string', id: 10 },
            input: rep('ValueInfoProto', 11),
            output: rep('ValueInfoProto', 12),
            valueInfo: rep('ValueInfoProto', 13),
          },
        },
        NodeProto: {
          fields: {
            input: rep('string', 1),
            output: rep('string', 2),
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: rep('AttributeProto', 5),
            docString: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            g: { type: 'GraphProto', id: 6 },
            floats: rep('float', 7, unpacked),
            ints: rep('int64', 8, unpacked),
            strings: rep('bytes', 9),
            tensors: rep('TensorProto', 10),
            graphs: rep('GraphProto', 11),
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: rep('int64', 1, unpacked),
            dataType: { type: 'int32', id: 2 },
            floatData: rep('float', 4, packed),
            int32Data: rep('int32', 5, packed),
            stringData: rep('bytes', 6),
            int64Data: rep('int64', 7, packed),
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            doubleData: rep('double', 10, packed),
            uint64Data: rep('uint64', 11, packed),
            docString: { type: 'string', id: 12 },
            externalData: rep('StringStringEntryProto', 13),
            dataLocation: { type: 'int32', id: 14 },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            docString: { type: 'string', id: 3 },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType', 'sequenceType', 'mapType', 'optionalType'] } },
          fields: {
            tensorType: { type: 'Tensor', id: 1 },
            sequenceType: { type: 'Sequence', id: 4 },
            mapType: { type: 'Map', id: 5 },
            denotation: { type: 'string', id: 6 },
            optionalType: { type: 'Optional', id: 9 },
          },
          nested: {
            Tensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
            Sequence: { fields: { elemType: { type: 'TypeProto', id: 1 } } },
            Map: { fields: { keyType: { type: 'int32', id: 1 }, valueType: { type: 'TypeProto', id: 2 } } },
            Optional: { fields: { elemType: { type: 'TypeProto', id: 1 } } },
          },
        },
        TensorShapeProto: {
          fields: { dim: rep('Dimension', 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: { type: 'string', id: 2 },
                denotation: { type: 'string', id: 3 },
              },
            },
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
export const ModelProto = root.lookupType('onnx.ModelProto');

/** ONNX's TensorProto.DataType numbers and the names lockstep uses for them. */
export const ELEMENT_TYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
};

// The plain-object shapes of the messages, as decoded with longs as numbers and bytes as Buffers.
export interface Dim {
  dimValue?: number;
  dimParam?: string;
}
export interface TypeMsg {
  tensorType?: { elemType?: number; shape?: { dim?: Dim[] } };
  sequenceType?: { elemType?: TypeMsg };
  mapType?: { keyType?: number; valueType?: TypeMsg };
  optionalType?: { elemType?: TypeMsg };
}
export interface ValueInfoMsg {
  name?: string;
  type?: TypeMsg;
  docString?: string;
}
export interface AttributeMsg {
  name?: string;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  type?: number;
}
export interface NodeMsg {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: AttributeMsg[];
}
export interface TensorMsg {
  name?: string;
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int64Data?: number[];
  doubleData?: number[];
  rawData?: Uint8Array;
}
export interface GraphMsg {
  name?: string;
  node?: NodeMsg[];
  initializer?: TensorMsg[];
  input?: ValueInfoMsg[];
  output?: ValueInfoMsg[];
}
export interface ModelMsg {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  modelVersion?: number;
  docString?: string;
  graph?: GraphMsg;
  opsetImport?: { domain?: string; version?: number }[];
  metadataProps?: { key?: string; value?: string }[];
}

/** Decodes model bytes; throws protobufjs's error on bytes that are not a protobuf message of this shape. */
export function decodeModel(bytes: Uint8Array): ModelMsg {
  const msg = ModelProto.decode(bytes);
  return ModelProto.toObject(msg, { longs: Number, arrays: false, defaults: false }) as ModelMsg;
}

/** Encodes a model given as plain objects (tests and benchmark models are built this way). */
export function encodeModel(model: ModelMsg): Uint8Array {
  const problem = ModelProto.verify(model);
  if (problem) throw new Error(`not an ONNX ModelProto: ${problem}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
