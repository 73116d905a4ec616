// ONNX models built in code with ONNX's own message layout (src/models/onnx/proto.ts), for the
// tests and the serve benchmark: nothing is downloaded, and each builder has an independent
// JavaScript evaluation of the same parameters to check onnxruntime's answers against.
import { encodeModel, type ModelMsg, type ValueInfoMsg } from '../../src/models/onnx/proto.ts';

const FLOAT = 1;
const INT64 = 7;
const STRING = 8;

function tensor(name: string, elemType: number, dims: (number | string)[]): ValueInfoMsg {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

const floats = (name: string, v: number[]) => ({ name, type: 6, floats: v });
const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
const strings = (name: string, v: string[]) => ({ name, type: 8, strings: v.map((s) => Buffer.from(s)) });
const str = (name: string, v: string) => ({ name, type: 3, s: Buffer.from(v) });
const int = (name: string, v: number) => ({ name, type: 2, i: v });

function model(graph: NonNullable<ModelMsg['graph']>, producer = 'lockstep-tests'): Uint8Array {
  return encodeModel({
    irVersion: 8,
    producerName: producer,
    producerVersion: '1',
    opsetImport: [
      { domain: '', version: 15 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    graph,
  });
}

/** A deterministic pseudo-random generator (xorshift), so that models and inputs are the same every run. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export interface Linear {
  /** One row of coefficients per class. */
  W: number[][];
  b: number[];
  classes: string[];
}

/**
 * A multinomial logistic regression as skl2onnx writes one: LinearClassifier
 * (softmax) → `output_label` (strings), and either ZipMap → `output_probability`
 * (a list of maps, the default) or the probability tensor itself.
 */
export function logisticOnnx(p: Linear, zipmap: boolean): Uint8Array {
  const d = p.W[0]?.length ?? 0;
  const nodes = [
    {
      opType: 'LinearClassifier',
      domain: 'ai.onnx.ml',
      input: ['float_input'],
      output: ['output_label', zipmap ? 'probability_tensor' : 'output_probability'],
      attribute: [
        strings('classlabels_strings', p.classes),
        floats('coefficients', p.W.flat()),
        floats('intercepts', p.b),
        int('multi_class', 1),
        str('post_transform', 'SOFTMAX'),
      ],
    },
  ];
  if (zipmap)
    nodes.push({
      opType: 'ZipMap',
      domain: 'ai.onnx.ml',
      input: ['probability_tensor'],
      output: ['output_probability'],
      attribute: [strings('classlabels_strings', p.classes)],
    });
  const probability: ValueInfoMsg = zipmap
    ? {
        name: 'output_probability',
        type: {
          sequenceType: {
            elemType: { mapType: { keyType: STRING, valueType: { tensorType: { elemType: FLOAT } } } },
          },
        },
      }
    : tensor('output_probability', FLOAT, ['N', p.classes.length]);
  return model(
    {
      name: 'logistic',
      node: nodes,
      input: [tensor('float_input', FLOAT, ['N', d])],
      output: [tensor('output_label', STRING, ['N']), probability],
    },
    'skl2onnx',
  );
}

/** The same model in plain JavaScript: softmax of W·x + b over float32 inputs. */
export function logisticPredict(p: Linear, x: number[]): { label: string; probabilities: Record<string, number> } {
  const scores = p.W.map(
    (w, c) => w.reduce((s, wi, i) => s + Math.fround(wi) * Math.fround(x[i] as number), 0) + (p.b[c] as number),
  );
  const max = Math.max(...scores);
  const exps = scores.map((s) => Math.exp(s - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  const probs = exps.map((e) => e / sum);
  const best = scores.indexOf(max);
  return {
    label: p.classes[best] as string,
    probabilities: Object.fromEntries(p.classes.map((c, k) => [c, probs[k] as number])),
  };
}

export interface Mlp {
  /** hidden × inputs, hidden, 1 × hidden, 1 */
  W1: number[][];
  b1: number[];
  W2: number[][];
  b2: number[];
}

export function randomMlp(inputs: number, hidden: number, seed: number): Mlp {
  const r = seeded(seed);
  const m = () => Math.fround(r() * 2 - 1);
  return {
    W1: Array.from({ length: hidden }, () => Array.from({ length: inputs }, m)),
    b1: Array.from({ length: hidden }, m),
    W2: [Array.from({ length: hidden }, m)],
    b2: [m()],
  };
}

/** A regressor as PyTorch exports a small MLP: Gemm → Relu → Gemm, input `x` [batch, d], output `y` [batch, 1]. */
export function mlpOnnx(p: Mlp): Uint8Array {
  const init = (name: string, rows: number[][]) => ({
    name,
    dataType: FLOAT,
    dims: [rows.length, rows[0]?.length ?? 0],
    floatData: rows.flat(),
  });
  const vec = (name: string, v: number[]) => ({ name, dataType: FLOAT, dims: [v.length], floatData: v });
  return model(
    {
      name: 'mlp',
      node: [
        { opType: 'Gemm', input: ['x', 'W1', 'b1'], output: ['h'], attribute: [int('transB', 1)] },
        { opType: 'Relu', input: ['h'], output: ['r'] },
        { opType: 'Gemm', input: ['r', 'W2', 'b2'], output: ['y'], attribute: [int('transB', 1)] },
      ],
      initializer: [init('W1', p.W1), vec('b1', p.b1), init('W2', p.W2), vec('b2', p.b2)],
      input: [tensor('x', FLOAT, ['batch', p.W1[0]?.length ?? 0])],
      output: [tensor('y', FLOAT, ['batch', 1])],
    },
    'pytorch',
  );
}

export function mlpPredict(p: Mlp, x: number[]): number {
  const h = p.W1.map((w, j) =>
    Math.max(0, w.reduce((s, wi, i) => s + wi * Math.fround(x[i] as number), 0) + (p.b1[j] as number)),
  );
  return (p.W2[0] as number[]).reduce((s, w, j) => s + w * (h[j] as number), 0) + (p.b2[0] as number);
}

/** A random forest: per tree, nodes in breadth-first order; a leaf holds class weights (its distribution / trees). */
export interface Forest {
  features: number;
  classes: number[];
  trees: { feature: number[]; threshold: number[]; leaf: (number[] | null)[] }[];
}

/** Full binary trees of the given depth with random splits and leaf distributions. */
export function randomForest(trees: number, depth: number, features: number, classes: number[], seed: number): Forest {
  const r = seeded(seed);
  const nodes = 2 ** (depth + 1) - 1;
  const inner = 2 ** depth - 1;
  return {
    features,
    classes,
    trees: Array.from({ length: trees }, () => {
      const feature: number[] = [];
      const threshold: number[] = [];
      const leaf: (number[] | null)[] = [];
      for (let n = 0; n < nodes; n++) {
        if (n < inner) {
          feature.push(Math.floor(r() * features));
          threshold.push(Math.fround(r() * 8));
          leaf.push(null);
        } else {
          feature.push(0);
          threshold.push(0);
          const raw = classes.map(() => r() ** 3);
          const sum = raw.reduce((a, b) => a + b, 0);
          leaf.push(raw.map((v) => v / sum));
        }
      }
      return { feature, threshold, leaf };
    }),
  };
}

/**
 * The forest as skl2onnx writes a RandomForestClassifier with zipmap=False:
 * TreeEnsembleClassifier → `label` (int64 classes) and `probabilities` [N, classes].
 */
export function forestOnnx(f: Forest): Uint8Array {
  const a = {
    treeids: [] as number[],
    nodeids: [] as number[],
    featureids: [] as number[],
    values: [] as number[],
    modes: [] as string[],
    trueids: [] as number[],
    falseids: [] as number[],
    cTree: [] as number[],
    cNode: [] as number[],
    cId: [] as number[],
    cWeight: [] as number[],
  };
  f.trees.forEach((t, tree) => {
    t.leaf.forEach((dist, n) => {
      a.treeids.push(tree);
      a.nodeids.push(n);
      a.featureids.push(t.feature[n] as number);
      a.values.push(t.threshold[n] as number);
      a.modes.push(dist ? 'LEAF' : 'BRANCH_LEQ');
      a.trueids.push(dist ? 0 : 2 * n + 1);
      a.falseids.push(dist ? 0 : 2 * n + 2);
      dist?.forEach((w, c) => {
        a.cTree.push(tree);
        a.cNode.push(n);
        a.cId.push(c);
        a.cWeight.push(w / f.trees.length);
      });
    });
  });
  return model(
    {
      name: 'forest',
      node: [
        {
          opType: 'TreeEnsembleClassifier',
          domain: 'ai.onnx.ml',
          input: ['input'],
          output: ['label', 'probabilities'],
          attribute: [
            ints('classlabels_int64s', f.classes),
            ints('nodes_treeids', a.treeids),
            ints('nodes_nodeids', a.nodeids),
            ints('nodes_featureids', a.featureids),
            floats('nodes_values', a.values),
            strings('nodes_modes', a.modes),
            ints('nodes_truenodeids', a.trueids),
            ints('nodes_falsenodeids', a.falseids),
            ints('class_treeids', a.cTree),
            ints('class_nodeids', a.cNode),
            ints('class_ids', a.cId),
            floats('class_weights', a.cWeight),
            str('post_transform', 'NONE'),
          ],
        },
      ],
      input: [tensor('input', FLOAT, ['N', f.features])],
      output: [tensor('label', INT64, ['N']), tensor('probabilities', FLOAT, ['N', f.classes.length])],
    },
    'skl2onnx',
  );
}

/** The forest's average leaf distribution for x (float32 comparisons, as onnxruntime makes them). */
export function forestPredict(f: Forest, x: number[]): { label: number; probabilities: number[] } {
  const sum = f.classes.map(() => 0);
  for (const t of f.trees) {
    let n = 0;
    while (!t.leaf[n])
      n = Math.fround(x[t.feature[n] as number] as number) <= (t.threshold[n] as number) ? 2 * n + 1 : 2 * n + 2;
    (t.leaf[n] as number[]).forEach((w, c) => {
      sum[c] = (sum[c] as number) + w / f.trees.length;
    });
  }
  const best = sum.indexOf(Math.max(...sum));
  return { label: f.classes[best] as number, probabilities: sum };
}

/** A string model: LabelEncoder maps each word of `words` [N, 2] to its index in `keys` (-1 when unknown) in `codes`. */
export function labelEncoderOnnx(keys: string[]): Uint8Array {
  return model({
    name: 'encoder',
    node: [
      {
        opType: 'LabelEncoder',
        domain: 'ai.onnx.ml',
        input: ['words'],
        output: ['codes'],
        attribute: [
          strings('keys_strings', keys),
          ints(
            'values_int64s',
            keys.map((_, i) => i),
          ),
          int('default_int64', -1),
        ],
      },
    ],
    input: [tensor('words', STRING, ['N', 2])],
    output: [tensor('codes', INT64, ['N', 2])],
  });
}
