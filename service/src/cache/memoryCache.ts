import { type Cache, type CacheLookup, MAX_ENTRIES_PER_BUCKET } from "./cache";

interface Bucket {
  epoch: string;
  expiresAt: number;
  entries: Map<string, string>;
}

/** The stand-in for Redis when REDIS_URL is unset: one process, same bucket and TTL semantics. */
export class MemoryCache implements Cache {
  private readonly buckets = new Map<string, Bucket>();
  private epochs = 0;

  constructor(private readonly ttlSeconds: number) {}

  private live(name: string): Bucket | undefined {
    const bucket = this.buckets.get(name);
    if (bucket !== undefined && bucket.expiresAt <= Date.now()) {
      this.buckets.delete(name);
      return undefined;
    }
    return bucket;
  }

  async get(bucket: string, key: string): Promise<CacheLookup> {
    const found = this.live(bucket);
    return { value: found?.entries.get(key), epoch: found?.epoch ?? null };
  }

  async set(bucket: string, key: string, value: string, seen: CacheLookup): Promise<void> {
    let found = this.live(bucket);
    if ((found?.epoch ?? null) !== seen.epoch) return;
    if (found === undefined) {
      found = this.emptyBucket();
      this.buckets.set(bucket, found);
    }
    // The oldest entry makes room (Maps iterate in insertion order).
    if (!found.entries.has(key) && found.entries.size >= MAX_ENTRIES_PER_BUCKET) {
      const oldest = found.entries.keys().next().value;
      if (oldest !== undefined) found.entries.delete(oldest);
    }
    found.entries.set(key, value);
  }

  async invalidate(buckets: readonly string[]): Promise<void> {
    for (const name of buckets) this.buckets.set(name, this.emptyBucket());
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }

  private emptyBucket(): Bucket {
    this.epochs += 1;
    return { epoch: String(this.epochs), expiresAt: Date.now() + this.ttlSeconds * 1000, entries: new Map() };
  }
}
