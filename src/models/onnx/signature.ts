import { LockstepError } from '../../errors.ts';
import { decodeModel, ELEMENT_TYPES, encodeModel, type ModelMsg, type NodeMsg, type TypeMsg } from './proto.ts';

/** A tensor the model takes or gives: its name, element type and shape (a string or null: a dynamic dimension). */
export interface TensorSpec {
  name: string;
  type: string;
  shape: (number | string | null)[];
}

/** How a classifier's answers are read (sklearn-onnx's `label` and `probabilities` outputs). */
export interface ClassifierSpec {
  /** The output holding each instance's class. */
  label: string;
  /** The output lockstep fetches for the class probabilities, a float tensor [N, classes]; null when there is none. */
  probabilities: string | null;
  /** The class of each probability column, as the model records it (ZipMap's or the classifier's labels). */
  classes: string[] | null;
}

/** What lockstep reads from an ONNX file: enough to check requests, run the model and explain its answers. */
export interface OnnxSignature {
  /** `skl2onnx 1.17.0`, `pytorch 2.3.0`, … */
  producer: string;
  /** The operators the graph uses, in first-use order (`TreeEnsembleClassifier, ZipMap`). */
  ops: string[];
  inputs: TensorSpec[];
  /** Tensor outputs, the ones lockstep fetches (ZipMap's maps and other non-tensor outputs are left out). */
  outputs: TensorSpec[];
  /** Names of outputs that are not tensors (a ZipMap's list of maps): never fetched. */
  skipped: string[];
  classifier: ClassifierSpec | null;
}

/** Parses and checks ONNX bytes; anything that is not a usable ONNX model is an E_CODEC naming `where`. */
export function readOnnx(bytes: Uint8Array, where: string): { signature: OnnxSignature; patch: Uint8Array | null } {
  const bad = (why: string, cause?: unknown) =>
    new LockstepError('E_CODEC', `${where} is not a usable ONNX model: ${why}`, { cause });
  let model: ModelMsg;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw bad(`the file does not decode as an ONNX ModelProto (${(e as Error).message})`, e);
  }
  const graph = model.graph;
  if (!model.irVersion || !graph) throw bad('it has no IR version or no graph');
  const initialised = new Set((graph.initializer ?? []).map((t) => t.name));
  // before IR 4, initializers were listed among the inputs too: those have defaults and are not asked for
  const inputs = (graph.input ?? []).filter((v) => !initialised.has(v.name)).map((v) => tensorSpec(v.name, v.type));
  if (inputs.length === 0) throw bad('its graph has no inputs');
  if ((graph.output ?? []).length === 0) throw bad('its graph has no outputs');
  const outputs: TensorSpec[] = [];
  const skipped: string[] = [];
  for (const o of graph.output ?? []) {
    const spec = o.type?.tensorType ? tensorSpec(o.name, o.type) : null;
    if (spec) outputs.push(spec);
    else skipped.push(o.name ?? '');
  }
  for (const s of [...inputs, ...outputs]) if (!s.name) throw bad('an input or output has no name');
  const nodes = graph.node ?? [];
  const ops = [...new Set(nodes.map((n) => n.opType ?? ''))].filter(Boolean);
  const { classifier, extra } = findClassifier(nodes, outputs, skipped);
  const patch = extra ? encodeModel({ graph: { output: [{ name: extra.name, type: typeOf(extra) }] } }) : null;
  if (extra) outputs.push(extra);
  const producer = [model.producerName, model.producerVersion].filter(Boolean).join(' ');
  return { signature: { producer, ops, inputs, outputs, skipped, classifier }, patch };
}

function tensorSpec(name: string | undefined, type: TypeMsg | undefined): TensorSpec {
  const t = type?.tensorType;
  return {
    name: name ?? '',
    type: ELEMENT_TYPES[t?.elemType ?? 0] ?? `type ${t?.elemType ?? '?'}`,
    shape: (t?.shape?.dim ?? []).map((d) =>
      typeof d.dimValue === 'number' && d.dimValue > 0 ? d.dimValue : (d.dimParam ?? null),
    ),
  };
}

function typeOf(spec: TensorSpec): TypeMsg {
  const elemType = Number(Object.entries(ELEMENT_TYPES).find(([, n]) => n === spec.type)?.[0] ?? 1);
  // a dimension with neither value nor name is an unknown one
  const dim = spec.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : d === null ? {} : { dimParam: d }));
  return { tensorType: { elemType, shape: { dim } } };
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

/** A node's class labels: ZipMap's `classlabels_*`, or those of an ai.onnx.ml classifier (TreeEnsembleClassifier, …). */
function classLabels(node: NodeMsg | undefined): string[] | null {
  for (const a of node?.attribute ?? []) {
    if (a.name === 'classlabels_strings' && a.strings?.length) return a.strings.map(text);
    if ((a.name === 'classlabels_int64s' || a.name === 'classlabels_ints') && a.ints?.length) return a.ints.map(String);
  }
  return null;
}

/**
 * A classifier has an output named like `label` (int or string classes, one
 * per instance) and one named like `prob…`: a float tensor [N, classes], or
 * a ZipMap's list of maps, which onnxruntime-node cannot return, so lockstep
 * fetches the ZipMap's input tensor instead (`extra`, made a graph output).
 */
function findClassifier(
  nodes: NodeMsg[],
  outputs: TensorSpec[],
  skipped: string[],
): { classifier: ClassifierSpec | null; extra: TensorSpec | null } {
  const label = outputs.find(
    (o) =>
      /label/i.test(o.name) &&
      ['int64', 'int32', 'string'].includes(o.type) &&
      (o.shape.length === 1 || o.shape[1] === 1),
  );
  if (!label) return { classifier: null, extra: null };
  const producedBy = (name: string) => nodes.find((n) => n.output?.includes(name));
  const classifierNode = nodes.find((n) => n.domain === 'ai.onnx.ml' && /Classifier$/.test(n.opType ?? ''));
  const tensor = outputs.find((o) => /prob/i.test(o.name) && o.type.startsWith('float') && o.shape.length === 2);
  if (tensor) {
    return {
      classifier: { label: label.name, probabilities: tensor.name, classes: classLabels(classifierNode) },
      extra: null,
    };
  }
  const zipped = skipped.find((name) => /prob/i.test(name) && producedBy(name)?.opType === 'ZipMap');
  const zipmap = zipped ? producedBy(zipped) : undefined;
  const source = zipmap?.input?.[0];
  if (!zipmap || !source) return { classifier: { label: label.name, probabilities: null, classes: null }, extra: null };
  const classes = classLabels(zipmap) ?? classLabels(classifierNode);
  const extra: TensorSpec = { name: source, type: 'float32', shape: [label.shape[0] ?? 'N', classes?.length ?? null] };
  return { classifier: { label: label.name, probabilities: source, classes }, extra };
}
