import type { Cache, CacheLookup } from "./cache";
import type { BucketInvalidations } from "./invalidations";

export interface NearCacheOptions {
  /** The buckets copied into process memory; lookups in any other bucket go straight to the shared cache. */
  buckets: readonly string[];
  /** Per bucket; the least recently used copy makes room for a new one. */
  maxEntries: number;
  /**
   * Longest life of a copy. Announcements keep copies current; this bounds the damage should one never arrive
   * without the connection dropping (e.g. a Redis failover that leaves the subscriber on the old primary).
   * Past half of it, the next request for the key also looks it up again in the background.
   */
  ttlMs: number;
}

interface Copy {
  lookup: CacheLookup;
  refreshAt: number;
  expiresAt: number;
}

interface NearBucket {
  copies: Map<string, Copy>;
  /** Lookups in the shared cache under way: concurrent requests for one key wait for the same one. */
  lookups: Map<string, Promise<CacheLookup>>;
}

/**
 * Copies of hot entries in process memory in front of the shared cache, so a repeated lookup needs no round
 * trip. All of it depends on the invalidation feed being live: copies are only made and served then, every bucket
 * reset any process announces drops them, and losing the feed drops them all (lookups then go to the shared
 * cache one by one). While it is live:
 * - concurrent requests for a key missing here share one lookup (and cacheAside then one load);
 * - a copy past half its life is renewed in the background, so a slow or failed lookup (an event loop too busy
 *   to read Redis's reply in time) does not turn every request for a hot key into a miss at once;
 * - a lookup that overlapped a reset keeps no copy and is not shared with requests arriving after it, so nothing
 *   served predates the last reset this process has seen.
 */
export class NearCache implements Cache {
  private readonly buckets = new Map<string, NearBucket>();
  /** Advances with every drop; a lookup that started before one must not leave a copy behind. */
  private drops = 0;

  constructor(
    private readonly shared: Cache,
    private readonly invalidations: BucketInvalidations,
    private readonly options: NearCacheOptions,
  ) {
    for (const bucket of options.buckets) this.buckets.set(bucket, { copies: new Map(), lookups: new Map() });
    invalidations.on("invalidated", (buckets) => this.drop(buckets));
    invalidations.on("missed", () => this.drop(options.buckets));
  }

  async get(bucket: string, key: string): Promise<CacheLookup> {
    const near = this.buckets.get(bucket);
    // Without the feed, a lookup shared with a request arriving later could predate a reset it never heard of.
    if (near === undefined || !this.invalidations.live) return this.shared.get(bucket, key);
    const copy = near.copies.get(key);
    if (copy !== undefined) {
      near.copies.delete(key);
      const now = Date.now();
      if (now < copy.expiresAt) {
        near.copies.set(key, copy);
        if (now >= copy.refreshAt) void this.lookUp(bucket, key, near);
        return copy.lookup;
      }
    }
    return this.lookUp(bucket, key, near);
  }

  /** One lookup per key at a time; a value it finds becomes the key's copy. */
  private lookUp(bucket: string, key: string, near: NearBucket): Promise<CacheLookup> {
    let lookup = near.lookups.get(key);
    if (lookup === undefined) {
      lookup = this.fetch(bucket, key, near);
      near.lookups.set(key, lookup);
    }
    return lookup;
  }

  private async fetch(bucket: string, key: string, near: NearBucket): Promise<CacheLookup> {
    const drops = this.drops;
    try {
      const lookup = await this.shared.get(bucket, key);
      if (lookup.value !== undefined && drops === this.drops && this.invalidations.live) {
        near.copies.delete(key);
        if (near.copies.size >= this.options.maxEntries) near.copies.delete(near.copies.keys().next().value as string);
        const now = Date.now();
        near.copies.set(key, { lookup, refreshAt: now + this.options.ttlMs / 2, expiresAt: now + this.options.ttlMs });
      }
      return lookup;
    } finally {
      // After a drop the key's entry, if any, belongs to a lookup that started since.
      if (drops === this.drops) near.lookups.delete(key);
    }
  }

  set(bucket: string, key: string, value: string, seen: CacheLookup): Promise<void> {
    return this.shared.set(bucket, key, value, seen);
  }

  /**
   * Tells this process's listeners of the reset before the shared one (its own copies go, and so does anything else
   * kept current by the feed, the match catalogue among them), and drops its copies again after it: a lookup
   * answered by the shared cache in between may have copied an entry the reset removes.
   */
  async invalidate(buckets: readonly string[]): Promise<void> {
    this.invalidations.announceLocally(buckets);
    await this.shared.invalidate(buckets);
    this.drop(buckets);
  }

  /** Stops listening for invalidations; the shared cache is closed by its owner. */
  async close(): Promise<void> {
    await this.invalidations.close();
    this.drop(this.options.buckets);
  }

  private drop(buckets: readonly string[]): void {
    this.drops += 1;
    for (const bucket of buckets) {
      const near = this.buckets.get(bucket);
      near?.copies.clear();
      near?.lookups.clear();
    }
  }
}
