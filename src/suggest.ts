import { closest, distance } from 'fastest-levenshtein';

/** The candidate closest to `name` when it is close enough to be a likely typo, else undefined. */
export function suggest(name: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(
    name.toLowerCase(),
    candidates.map((c) => c.toLowerCase()),
  );
  const limit = Math.max(2, Math.floor(name.length / 3));
  if (distance(name.toLowerCase(), best) > limit) return undefined;
  return candidates.find((c) => c.toLowerCase() === best);
}
