import { randomUUID } from "node:crypto";
import CircuitBreaker from "opossum";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import { type Cache, type CacheLookup, MAX_ENTRIES_PER_BUCKET } from "./cache";
import { REDIS_COMMAND_TIMEOUT_MS, type RedisClient } from "./redis";

/** The hash field holding a bucket's epoch; cache keys are built by the service and never take this form. */
const EPOCH_FIELD = "@epoch";

/**
 * Stores an entry unless the bucket was reset since the lookup. A full bucket (ARGV[6] entries besides the epoch)
 * first drops a random entry: a hash keeps no order to find the oldest by, and random eviction keeps hot keys
 * with the same odds as any other under a flood of one-off keys.
 */
const SET_IF_EPOCH_UNCHANGED = `
local current = redis.call('HGET', KEYS[1], '${EPOCH_FIELD}')
if (current or '') ~= ARGV[3] then return 0 end
if not current then
  redis.call('HSET', KEYS[1], '${EPOCH_FIELD}', ARGV[5])
  redis.call('EXPIRE', KEYS[1], ARGV[4])
end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) > tonumber(ARGV[6]) then
  for _, field in ipairs(redis.call('HRANDFIELD', KEYS[1], 2)) do
    if field ~= '${EPOCH_FIELD}' then
      redis.call('HDEL', KEYS[1], field)
      break
    end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

/** Resets the buckets and, in the same step, tells every process keeping copies of them (see NearCache). */
const RESET_BUCKETS = `
for _, key in ipairs(KEYS) do
  redis.call('DEL', key)
  redis.call('HSET', key, '${EPOCH_FIELD}', ARGV[1])
  redis.call('EXPIRE', key, ARGV[2])
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return #KEYS`;

/** Where bucket resets are announced: the message is the JSON array of the reset buckets' names. */
export const invalidationChannel = (prefix: string) => `${prefix}cache-invalidated`;

interface CacheScripts {
  cacheSetIfEpoch(
    key: string,
    field: string,
    value: string,
    seenEpoch: string,
    ttlSeconds: number,
    newEpoch: string,
    maxEntries: number,
  ): Promise<number>;
  cacheResetBuckets(...keysThenArgs: Array<string | number>): Promise<number>;
}

type Operation = "get" | "set" | "invalidate";

/** A new object each time: lookups are told apart by identity (see cacheAside). */
const miss = (): CacheLookup => ({ value: undefined, epoch: null });

/**
 * Buckets are Redis hashes under the configured prefix. Every command goes through a circuit breaker: while
 * Redis fails or is slow, lookups miss and stores are skipped without waiting, and a trial command after the
 * reset timeout closes the circuit again once Redis answers.
 */
export class RedisCache implements Cache {
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  private readonly scripts: CacheScripts;
  private readonly unfinishedInvalidations = new Set<string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly options: { prefix: string; ttlSeconds: number },
    private readonly metrics: Metrics,
    logger: Logger,
  ) {
    redis.defineCommand("cacheSetIfEpoch", { numberOfKeys: 1, lua: SET_IF_EPOCH_UNCHANGED });
    redis.defineCommand("cacheResetBuckets", { lua: RESET_BUCKETS });
    this.scripts = redis as unknown as CacheScripts;
    this.breaker = new CircuitBreaker((command: () => Promise<unknown>) => command(), {
      timeout: REDIS_COMMAND_TIMEOUT_MS + 50,
      errorThresholdPercentage: 50,
      volumeThreshold: 5,
      resetTimeout: 2_000,
      rollingCountTimeout: 10_000,
    });
    this.breaker.on("open", () => {
      metrics.cacheCircuitOpen.set(1);
      logger.warn("redis circuit opened: serving without the cache");
    });
    this.breaker.on("close", () => {
      metrics.cacheCircuitOpen.set(0);
      logger.info("redis circuit closed: cache back in use");
    });
    metrics.cacheCircuitOpen.set(0);
  }

  /** False while the circuit is open, so other Redis users (the rate limiter) can skip Redis too. */
  get available(): boolean {
    return !this.breaker.opened && this.redis.status === "ready";
  }

  private key(bucket: string): string {
    return `${this.options.prefix}${bucket}`;
  }

  private async run<T>(operation: Operation, command: () => Promise<T>): Promise<T | undefined> {
    // What fire() would do while the circuit is open, without the error (and its stack trace) it builds to say so:
    // with Redis gone, that was most of the cost of a request.
    if (this.breaker.opened) {
      this.metrics.cacheErrors.inc({ operation });
      return undefined;
    }
    try {
      return (await this.breaker.fire(command)) as T;
    } catch {
      this.metrics.cacheErrors.inc({ operation });
      return undefined;
    }
  }

  async get(bucket: string, key: string): Promise<CacheLookup> {
    if (this.unfinishedInvalidations.size > 0 && !(await this.finishInvalidations())) return miss();
    const reply = await this.run("get", () => this.redis.hmget(this.key(bucket), key, EPOCH_FIELD));
    if (reply === undefined) return miss();
    const [value, epoch] = reply;
    return { value: value ?? undefined, epoch: epoch ?? null };
  }

  async set(bucket: string, key: string, value: string, seen: CacheLookup): Promise<void> {
    if (this.unfinishedInvalidations.size > 0) return;
    const { ttlSeconds } = this.options;
    await this.run("set", () =>
      this.scripts.cacheSetIfEpoch(
        this.key(bucket),
        key,
        value,
        seen.epoch ?? "",
        ttlSeconds,
        randomUUID(),
        MAX_ENTRIES_PER_BUCKET,
      ),
    );
  }

  async invalidate(buckets: readonly string[]): Promise<void> {
    for (const bucket of buckets) this.unfinishedInvalidations.add(bucket);
    await this.finishInvalidations();
  }

  /**
   * An invalidation that Redis missed is kept and retried before the cache is used again; until then the
   * cache is bypassed, so entries older than a write are never served once Redis returns.
   */
  private async finishInvalidations(): Promise<boolean> {
    const buckets = [...this.unfinishedInvalidations];
    if (buckets.length === 0) return true;
    const keys = buckets.map((bucket) => this.key(bucket));
    const { prefix, ttlSeconds } = this.options;
    const done = await this.run("invalidate", () =>
      this.scripts.cacheResetBuckets(
        keys.length,
        ...keys,
        randomUUID(),
        ttlSeconds,
        invalidationChannel(prefix),
        JSON.stringify(buckets),
      ),
    );
    if (done === undefined) return false;
    for (const bucket of buckets) this.unfinishedInvalidations.delete(bucket);
    return true;
  }

  async close(): Promise<void> {
    this.breaker.shutdown();
  }
}
