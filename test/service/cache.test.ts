import assert from "node:assert/strict";
import Redis from "ioredis";
import { type Cache, MAX_ENTRIES_PER_BUCKET, STACK_WRITTEN_CHARS, wireBody } from "../../service/src/cache/cache";
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

  it("holds at most MAX_ENTRIES_PER_BUCKET entries in a bucket and still takes new ones (finding 4)", async function bound() {
    this.timeout(20_000);
    const keys = Array.from({ length: MAX_ENTRIES_PER_BUCKET + 200 }, (_, i) => `cursor-${i}`);
    // In small batches: a Redis store slower than the command timeout is skipped, as the cache contract allows.
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map(async (key) => cache.set("reads", key, "v", await cache.get("reads", key))));
    }
    const held: boolean[] = [];
    for (let i = 0; i < keys.length; i += 50) {
      held.push(...(await Promise.all(keys.slice(i, i + 50).map(async (key) => (await cache.get("reads", key)).value !== undefined))));
    }
    const count = held.filter(Boolean).length;
    assert.ok(count <= MAX_ENTRIES_PER_BUCKET && count > MAX_ENTRIES_PER_BUCKET * 0.9, `${count} entries held`);
    await cache.set("reads", "after", "v", await cache.get("reads", "after"));
    assert.equal((await cache.get("reads", "after")).value, "v", "a full bucket still takes new entries");
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

    it("keeps a full bucket's hash at the bound, its epoch included (finding 4)", async () => {
      const client = new Redis(REDIS_URL);
      clients.push(client);
      const prefix = uniqueRedisPrefix();
      const cache = new RedisCache(client, { prefix, ttlSeconds: 30 }, new Metrics(), silentLogger);
      const seen = await cache.get("reads", "k");
      await cache.set("reads", "k", "v", seen);
      const epoch = await client.hget(`${prefix}reads`, "@epoch");
      for (let i = 0; i < MAX_ENTRIES_PER_BUCKET + 500; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, async (_, j) => cache.set("reads", `k${i + j}`, "v", await cache.get("reads", `k${i + j}`))),
        );
      }
      const entries = (await client.hlen(`${prefix}reads`)) - 1;
      assert.ok(entries <= MAX_ENTRIES_PER_BUCKET && entries > MAX_ENTRIES_PER_BUCKET * 0.9, `${entries} entries`);
      assert.equal(await client.hget(`${prefix}reads`, "@epoch"), epoch);
    });
  });
});

describe("wireBody", () => {
  it("keeps an answer Node writes from the stack as the text itself", () => {
    const text = JSON.stringify({ team: "Bayern München", grid: "x".repeat(STACK_WRITTEN_CHARS - 60) });
    assert.ok(text.length < STACK_WRITTEN_CHARS);
    assert.equal(wireBody(text), text);
  });

  it("encodes a longer one once, as UTF-8, in a Buffer of its own", () => {
    const text = JSON.stringify({ team: "Bayern München", grid: "x".repeat(STACK_WRITTEN_CHARS) });
    const body = wireBody(text);
    assert.ok(Buffer.isBuffer(body));
    assert.equal(body.toString("utf8"), text);
    assert.equal(body.length, Buffer.byteLength(text), "no spare bytes");
    assert.equal(body.byteOffset, 0, "not a slice of the shared pool");
    assert.equal(body.buffer.byteLength, body.length);
  });
});
