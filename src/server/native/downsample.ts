export interface Point {
  step: number;
  timestamp: number;
  value: number | string | null;
}

/**
 * Thins a long series for a chart: the first and last points, and in each of
 * `maxPoints / 2` buckets of consecutive points the minimum and the maximum,
 * so spikes survive (what M4 and Grafana do). Series that fit are returned as they are.
 */
export function downsample(points: Point[], maxPoints: number): { points: Point[]; downsampled: boolean } {
  if (points.length <= maxPoints || maxPoints < 4) return { points, downsampled: false };
  const buckets = Math.floor((maxPoints - 2) / 2);
  const inner = points.length - 2;
  const out: Point[] = [points[0] as Point];
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * inner) / buckets);
    const end = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start; i < end; i++) {
      const v = Number((points[i] as Point).value);
      if (v < Number((points[lo] as Point).value)) lo = i;
      if (v > Number((points[hi] as Point).value)) hi = i;
    }
    if (lo === hi) out.push(points[lo] as Point);
    else out.push(points[Math.min(lo, hi)] as Point, points[Math.max(lo, hi)] as Point);
  }
  out.push(points[points.length - 1] as Point);
  return { points: out, downsampled: true };
}
