import type { Detected } from '../detect.ts';
import { checkSchema, type OnnxSchema } from './model.ts';
import { type OnnxSignature, readOnnx } from './signature.ts';

/** What the registry records of an ONNX version (`inputSchema.onnx`): the file to run and its signature. */
export interface OnnxRecord extends OnnxSignature {
  /** The ONNX file among the version's files (`model.onnx`, or an MLflow model's `data` path). */
  path: string;
}

/**
 * The registry's record of ONNX bytes, checked (E_CODEC for a file that is
 * not a usable ONNX model) and with the schema's names checked against it
 * (E_INPUT). Without class names, a classifier's own labels are recorded.
 */
export function detectOnnx(bytes: Uint8Array, path: string, where: string, schema: Partial<OnnxSchema> = {}): Detected {
  const { signature } = readOnnx(bytes, where);
  const full: OnnxSchema = {
    features: schema.features ?? [],
    labels: schema.labels ?? [],
    target: schema.target ?? null,
  };
  checkSchema(signature, full, where);
  const ops = signature.ops.length > 4 ? [...signature.ops.slice(0, 4), '…'] : signature.ops;
  const onnx: OnnxRecord = { path, ...signature };
  return {
    format: 'onnx',
    algorithm: `onnx: ${ops.join(', ') || 'no operators'}`,
    inputSchema: {
      features: full.features.map((name) => ({ name, type: 'number' as const })),
      target: full.target,
      onnx,
    },
    labels: full.labels.length ? full.labels : (signature.classifier?.classes ?? []),
  };
}
