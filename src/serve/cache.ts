import { LRUCache } from 'lru-cache';

export interface CacheStats {
  size: number;
  max: number;
  hits: number;
  misses: number;
  hitRate: number;
}

/**
 * A bounded LRU of serialised predictions, keyed by model version and
 * feature vector. Entries are JSON text so that a hit is answered without
 * running the model or the serialiser.
 */
export class PredictionCache {
  private readonly lru: LRUCache<string, string>;
  hits = 0;
  misses = 0;

  constructor(readonly max: number) {
    this.lru = new LRUCache<string, string>({ max: Math.max(1, max) });
  }

  get(key: string): string | undefined {
    const v = this.lru.get(key);
    if (v === undefined) this.misses++;
    else this.hits++;
    return v;
  }

  set(key: string, json: string): void {
    this.lru.set(key, json);
  }

  /** Drops every entry; the hit and miss counts stay, they describe the server's life. */
  clear(): number {
    const n = this.lru.size;
    this.lru.clear();
    return n;
  }

  stats(): CacheStats {
    const total = this.hits + this.misses;
    return {
      size: this.lru.size,
      max: this.max,
      hits: this.hits,
      misses: this.misses,
      hitRate: total ? this.hits / total : 0,
    };
  }
}

/** The cache key of one instance: the version, then the model's key for the instance (its features in order). */
export function cacheKey(version: number, key: string): string {
  return `${version}|${key}`;
}
