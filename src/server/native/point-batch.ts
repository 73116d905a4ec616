/** A point as a request gives it (an MLflow metric as parsed: no step means step 0). */
export interface PointIn {
  key: string;
  value: number;
  step?: number | undefined;
  timestamp: number;
}

/**
 * One request's points in columns: typed arrays travel to the writer thread
 * without a copy, and the key names once each (a batch mostly repeats one key).
 */
export interface PointBatch {
  names: string[];
  /** per point: its key, as an index into `names` */
  keys: Uint32Array;
  steps: Float64Array;
  timestamps: Float64Array;
  values: Float64Array;
}

export function packPoints(points: readonly PointIn[]): PointBatch {
  const n = points.length;
  const names: string[] = [];
  const index = new Map<string, number>();
  const keys = new Uint32Array(n);
  const steps = new Float64Array(n);
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  let last: string | undefined;
  let lastIndex = 0;
  for (let i = 0; i < n; i++) {
    const p = points[i] as PointIn;
    if (p.key !== last) {
      let k = index.get(p.key);
      if (k === undefined) {
        k = names.length;
        names.push(p.key);
        index.set(p.key, k);
      }
      last = p.key;
      lastIndex = k;
    }
    keys[i] = lastIndex;
    steps[i] = p.step ?? 0;
    timestamps[i] = p.timestamp;
    values[i] = p.value;
  }
  return { names, keys, steps, timestamps, values };
}

/** The buffers of a batch, to transfer rather than copy. */
export function transferables(b: PointBatch): ArrayBuffer[] {
  return [b.keys.buffer, b.steps.buffer, b.timestamps.buffer, b.values.buffer] as ArrayBuffer[];
}
