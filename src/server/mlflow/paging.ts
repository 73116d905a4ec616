import { invalid } from './ids.ts';

/** MLflow page tokens are opaque to clients; ours is the offset, base64-encoded. */
export function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

export function decodeToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through
  }
  throw invalid(`Invalid page token "${token}"`);
}

/** `["metrics.acc DESC", "name"]` → name and direction (MLflow's order_by clauses). */
export function parseOrderBy(clause: string): { name: string; order: 'asc' | 'desc' } {
  const m = /^(.*?)(?:\s+(ASC|DESC))?\s*$/i.exec(clause.trim());
  const name = (m?.[1] ?? '').trim();
  if (!name) throw invalid(`Invalid order_by clause '${clause}'`);
  return { name, order: (m?.[2]?.toLowerCase() as 'asc' | 'desc' | undefined) ?? 'asc' };
}
