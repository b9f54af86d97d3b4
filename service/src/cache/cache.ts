import type { CacheKind, Metrics } from "../metrics";

/**
 * What a lookup saw. `epoch` identifies the bucket's state; handing it back to `set` stops a value that was
 * loaded before an invalidation from being stored after it.
 */
export interface CacheLookup {
  value: string | undefined;
  epoch: string | null;
}

/**
 * Cached values live in buckets (one per kind of data); invalidating a bucket drops all of its entries at once,
 * which is how writes and refits make every dependent read miss. Implementations never throw: a cache that
 * cannot answer reports a miss and ignores stores.
 */
export interface Cache {
  get(bucket: string, key: string): Promise<CacheLookup>;
  set(bucket: string, key: string, value: string, seen: CacheLookup): Promise<void>;
  invalidate(buckets: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export const READS_BUCKET = "reads";
export const PREDICTIONS_BUCKET = "predictions";

/** Answers from the cache, or loads, stores and returns the value; `hit` says which. */
export async function cacheAside(
  cache: Cache,
  metrics: Metrics,
  kind: CacheKind,
  bucket: string,
  key: string,
  load: () => Promise<string>,
): Promise<{ value: string; hit: boolean }> {
  const seen = await cache.get(bucket, key);
  if (seen.value !== undefined) {
    metrics.cacheHits.inc({ cache: kind });
    return { value: seen.value, hit: true };
  }
  metrics.cacheMisses.inc({ cache: kind });
  const value = await load();
  await cache.set(bucket, key, value, seen);
  return { value, hit: false };
}
