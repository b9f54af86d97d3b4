import assert from "node:assert/strict";
import Redis from "ioredis";
import type { Cache } from "../../service/src/cache/cache";
import { MemoryCache } from "../../service/src/cache/memoryCache";
import { RedisCache } from "../../service/src/cache/redisCache";
import { Metrics } from "../../service/src/metrics";
import { REDIS_URL, uniqueRedisPrefix } from "../support/redisKeys";
import { silentLogger } from "../support/service";

function behavesAsACache(create: (ttlSeconds: number) => Cache) {
  let cache: Cache;

  beforeEach(() => {
    cache = create(60);
  });

  afterEach(() => cache.close());

  it("misses, then returns what was stored", async () => {
    const miss = await cache.get("reads", "k");
    assert.equal(miss.value, undefined);
    await cache.set("reads", "k", "v1", miss);
    assert.equal((await cache.get("reads", "k")).value, "v1");
  });

  it("drops a whole bucket on invalidation and leaves other buckets alone", async () => {
    await cache.set("reads", "a", "1", await cache.get("reads", "a"));
    await cache.set("predictions", "b", "2", await cache.get("predictions", "b"));
    await cache.invalidate(["reads"]);
    assert.equal((await cache.get("reads", "a")).value, undefined);
    assert.equal((await cache.get("predictions", "b")).value, "2");
  });

  it("refuses a value loaded before an invalidation (no stale write-back)", async () => {
    const seenBeforeWrite = await cache.get("reads", "k");
    await cache.invalidate(["reads"]);
    await cache.set("reads", "k", "stale", seenBeforeWrite);
    assert.equal((await cache.get("reads", "k")).value, undefined);
    const seenAfterWrite = await cache.get("reads", "k");
    await cache.set("reads", "k", "fresh", seenAfterWrite);
    assert.equal((await cache.get("reads", "k")).value, "fresh");
  });

  it("expires entries after the TTL", async function ttl() {
    this.timeout(5_000);
    const shortLived = create(1);
    try {
      await shortLived.set("reads", "k", "v", await shortLived.get("reads", "k"));
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      assert.equal((await shortLived.get("reads", "k")).value, undefined);
    } finally {
      await shortLived.close();
    }
  });
}

describe("caches", () => {
  describe("in-process", () => {
    behavesAsACache((ttl) => new MemoryCache(ttl));
  });

  describe("Redis", () => {
    const clients: Redis[] = [];

    after(() => {
      for (const client of clients) client.disconnect();
    });

    behavesAsACache((ttl) => {
      const client = new Redis(REDIS_URL, { enableOfflineQueue: true });
      clients.push(client);
      return new RedisCache(client, { prefix: uniqueRedisPrefix(), ttlSeconds: ttl }, new Metrics(), silentLogger);
    });

    it("keeps every key under the configured prefix, with a TTL", async () => {
      const client = new Redis(REDIS_URL);
      clients.push(client);
      const prefix = uniqueRedisPrefix();
      const cache = new RedisCache(client, { prefix, ttlSeconds: 30 }, new Metrics(), silentLogger);
      await cache.set("reads", "x", "1", await cache.get("reads", "x"));
      const ttl = await client.ttl(`${prefix}reads`);
      assert.ok(ttl > 0 && ttl <= 30, `ttl ${ttl}`);
      const keys = await client.keys(`${prefix}*`);
      assert.ok(keys.every((key) => key.startsWith(prefix)));
    });
  });
});
