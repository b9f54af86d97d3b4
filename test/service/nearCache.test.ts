import assert from "node:assert/strict";
import Redis from "ioredis";
import { type Cache, type CacheLookup, asText, cacheAside } from "../../service/src/cache/cache";
import { RedisInvalidations } from "../../service/src/cache/invalidations";
import { MemoryCache } from "../../service/src/cache/memoryCache";
import { NearCache } from "../../service/src/cache/nearCache";
import { RedisCache, invalidationChannel } from "../../service/src/cache/redisCache";
import { Metrics } from "../../service/src/metrics";
import { ManualInvalidations } from "../support/invalidations";
import { Interruptible, eventually } from "../support/net";
import { REDIS_URL, uniqueRedisPrefix } from "../support/redisKeys";
import { silentLogger } from "../support/service";

const BUCKET = "predictions";
const OPTIONS = { buckets: [BUCKET], maxEntries: 100, ttlMs: 60_000 };

/** A shared cache that counts the lookups reaching it. */
function counting(shared: Cache): Cache & { lookups: number } {
  const counted = {
    lookups: 0,
    get(bucket: string, key: string) {
      counted.lookups += 1;
      return shared.get(bucket, key);
    },
    set: (bucket: string, key: string, value: string, seen: CacheLookup) => shared.set(bucket, key, value, seen),
    invalidate: (buckets: readonly string[]) => shared.invalidate(buckets),
    close: () => shared.close(),
  };
  return counted;
}


const AS_TEXT = { decode: asText };

const store = async (cache: Cache, key: string, value: string) =>
  cache.set(BUCKET, key, value, await cache.get(BUCKET, key));

describe("near cache", () => {
  describe("in front of Redis, across processes", () => {
    const clients: Redis[] = [];
    const caches: NearCache[] = [];

    afterEach(async () => {
      await Promise.all(caches.splice(0).map((cache) => cache.close()));
      for (const client of clients.splice(0)) client.disconnect();
    });

    /** One process's view: its own command and subscriber connections, as the service opens them. */
    async function replica(prefix: string, subscriberUrl = REDIS_URL) {
      const client = new Redis(REDIS_URL);
      clients.push(client);
      const shared = counting(new RedisCache(client, { prefix, ttlSeconds: 60 }, new Metrics(), silentLogger));
      const subscriber = new Redis(subscriberUrl, { retryStrategy: () => 50 });
      subscriber.on("error", () => undefined);
      const invalidations = new RedisInvalidations(subscriber, invalidationChannel(prefix), silentLogger);
      const cache = new NearCache(shared, invalidations, OPTIONS);
      caches.push(cache);
      await eventually(async () => (invalidations.live ? true : undefined));
      return { cache, shared, invalidations };
    }

    it("answers repeated and concurrent lookups from memory", async () => {
      const { cache, shared } = await replica(uniqueRedisPrefix());
      await store(cache, "k", "v");
      const concurrent = await Promise.all(Array.from({ length: 10 }, () => cache.get(BUCKET, "k")));
      assert.deepEqual(
        concurrent.map((lookup) => lookup.value),
        Array(10).fill("v"),
      );
      const lookupsAfterCopy = shared.lookups;
      assert.equal(lookupsAfterCopy, 2, "one lookup to store, one shared by the ten concurrent gets");
      for (let i = 0; i < 10; i++) assert.equal((await cache.get(BUCKET, "k")).value, "v");
      assert.equal(shared.lookups, lookupsAfterCopy);
    });

    it("leaves other buckets to the shared cache", async () => {
      const { cache, shared } = await replica(uniqueRedisPrefix());
      await cache.set("reads", "k", "v", await cache.get("reads", "k"));
      await cache.get("reads", "k");
      await cache.get("reads", "k");
      assert.equal(shared.lookups, 3);
    });

    it("drops its copies when another process resets the bucket", async () => {
      const prefix = uniqueRedisPrefix();
      const [first, second] = [await replica(prefix), await replica(prefix)];
      await store(first.cache, "k", "v");
      assert.equal((await first.cache.get(BUCKET, "k")).value, "v");
      await second.cache.invalidate([BUCKET]);
      await eventually(async () => ((await first.cache.get(BUCKET, "k")).value === undefined ? true : undefined), 2_000, 5);
    });

    it("serves no copy while its invalidation feed is cut, and none made before the cut afterwards", async function cut() {
      this.timeout(10_000);
      const prefix = uniqueRedisPrefix();
      const proxy = new Interruptible("127.0.0.1", 6379);
      await proxy.open();
      try {
        const first = await replica(prefix, `redis://127.0.0.1:${proxy.port}/0`);
        const second = await replica(prefix);
        await store(first.cache, "k", "v");
        await first.cache.get(BUCKET, "k");
        await proxy.cut();
        await eventually(async () => (first.invalidations.live ? undefined : true));
        await second.cache.invalidate([BUCKET]);
        const lookups = first.shared.lookups;
        assert.equal((await first.cache.get(BUCKET, "k")).value, undefined, "the copy went with the feed");
        assert.equal(first.shared.lookups, lookups + 1);

        await store(second.cache, "k", "v2");
        await proxy.open();
        await eventually(async () => (first.invalidations.live ? true : undefined));
        assert.equal((await first.cache.get(BUCKET, "k")).value, "v2");
      } finally {
        await proxy.cut();
      }
    });
  });

  describe("lookups racing resets", () => {
    it("keeps no copy from a lookup that overlapped a reset, and shares no lookup across it", async () => {
      let release: (lookup: CacheLookup) => void = () => undefined;
      const slow = counting({
        get: () => new Promise<CacheLookup>((resolve) => (release = resolve)),
        set: async () => undefined,
        invalidate: async () => undefined,
        close: async () => undefined,
      });
      const invalidations = new ManualInvalidations();
      const cache = new NearCache(slow, invalidations, OPTIONS);
      const before = cache.get(BUCKET, "k");
      const releaseBefore = release;
      invalidations.emit("invalidated", [BUCKET]);
      const after = cache.get(BUCKET, "k");
      assert.equal(slow.lookups, 2, "the request after the reset looked up afresh");
      releaseBefore({ value: "old", epoch: "1" });
      assert.equal((await before).value, "old");
      release({ value: "new", epoch: "2" });
      assert.equal((await after).value, "new");
      assert.equal((await cache.get(BUCKET, "k")).value, "new");
      assert.equal(slow.lookups, 2, "only the lookup after the reset left a copy");
    });

    it("serves nothing from memory while the feed is not live", async () => {
      const shared = counting(new MemoryCache(60));
      const invalidations = new ManualInvalidations();
      const cache = new NearCache(shared, invalidations, OPTIONS);
      await store(cache, "k", "v");
      await cache.get(BUCKET, "k");
      invalidations.live = false;
      invalidations.emit("missed");
      const lookups = shared.lookups;
      await cache.get(BUCKET, "k");
      await cache.get(BUCKET, "k");
      assert.equal(shared.lookups, lookups + 2);
    });
  });

  describe("cache-aside over shared lookups", () => {
    it("loads once for requests that shared a missed lookup, and again after an invalidation", async () => {
      const cache = new NearCache(new MemoryCache(60), new ManualInvalidations(), OPTIONS);
      const metrics = new Metrics();
      let loads = 0;
      const load = async () => {
        loads += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return `value ${loads}`;
      };
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => cacheAside(cache, metrics, "predictions", BUCKET, "k", load, AS_TEXT)),
      );
      assert.equal(loads, 1);
      assert.deepEqual(
        answers.map((answer) => [answer.value, answer.hit]),
        Array(5).fill(["value 1", false]),
      );
      assert.deepEqual(await cacheAside(cache, metrics, "predictions", BUCKET, "k", load, AS_TEXT), { value: "value 1", hit: true });

      await cache.invalidate([BUCKET]);
      assert.deepEqual(await cacheAside(cache, metrics, "predictions", BUCKET, "k", load, AS_TEXT), { value: "value 2", hit: false });
      assert.equal(loads, 2);
    });

    it("decodes a hot entry once per copy: hits on one copy share its decoded form, a new copy decodes again", async () => {
      const cache = new NearCache(new MemoryCache(60), new ManualInvalidations(), OPTIONS);
      const metrics = new Metrics();
      let decodes = 0;
      const options = {
        decode: (value: string) => {
          decodes += 1;
          return Buffer.from(value);
        },
      };
      const ask = () => cacheAside(cache, metrics, "predictions", BUCKET, "k", async () => "body", options);
      const miss = await ask();
      const hits = [await ask(), await ask(), await ask()];
      assert.equal(miss.hit, false);
      assert.deepEqual(hits.map((hit) => [hit.hit, hit.value.toString()]), Array(3).fill([true, "body"]));
      assert.equal(decodes, 2, "one for the load, one for the copy every hit then shares");
      assert.equal(hits[0].value, hits[2].value);

      await cache.invalidate([BUCKET]);
      await store(cache, "k", "body");
      await ask();
      assert.equal(decodes, 3);
    });

    it("gives a request that loaded the value decodeLoaded's form, and hits decode's", async () => {
      const cache = new NearCache(new MemoryCache(60), new ManualInvalidations(), OPTIONS);
      const options = { decode: (value: string): Buffer | string => Buffer.from(value), decodeLoaded: (value: string) => value };
      const ask = () => cacheAside(cache, new Metrics(), "predictions", BUCKET, "k", async () => "body", options);
      const [first, second] = await Promise.all([ask(), ask()]);
      assert.deepEqual([first, second], Array(2).fill({ value: "body", hit: false }), "each request that missed");
      const hit = await ask();
      assert.equal(hit.hit, true);
      assert.ok(Buffer.isBuffer(hit.value));
    });
  });
});
