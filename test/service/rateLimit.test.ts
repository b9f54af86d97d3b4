import assert from "node:assert/strict";
import Redis from "ioredis";
import { REDIS_URL, uniqueRedisPrefix } from "../support/redisKeys";
import { type ErrorBody, type TestService, servicesPerTest } from "../support/service";

describe("rate limiting", () => {
  const start = servicesPerTest().start;

  const statuses = async (api: TestService, path: string, count: number) => {
    const codes: number[] = [];
    for (let i = 0; i < count; i++) codes.push((await api.get(path)).status);
    return codes;
  };

  it("answers 429 with Retry-After once a client exceeds its per-minute budget (in memory)", async () => {
    const api = await start({ RATE_LIMIT_PER_MINUTE: "5" });
    assert.deepEqual(await statuses(api, "/api/v1/ping", 5), [200, 200, 200, 200, 200]);
    const refused = await api.get("/api/v1/ping");
    assert.equal(refused.status, 429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    const body = (await refused.json()) as ErrorBody;
    assert.equal(body.error.code, "rate_limited");
    assert.match(body.error.message, /5 requests per minute/);
    assert.match(await (await api.get("/metrics")).text(), /rate_limited_requests_total 1/);
  });

  it("never limits the probes and the metrics scrape", async () => {
    const api = await start({ RATE_LIMIT_PER_MINUTE: "2" });
    await statuses(api, "/api/v1/ping", 3);
    assert.deepEqual(await statuses(api, "/health", 5), [200, 200, 200, 200, 200]);
    assert.equal((await api.get("/ready")).status, 200);
    assert.equal((await api.get("/metrics")).status, 200);
  });

  it("keys clients by the address the ingress forwards", async () => {
    const api = await start({ RATE_LIMIT_PER_MINUTE: "2", APP_ENV: "staging" });
    const from = (address: string) => api.get("/api/v1/ping", { headers: { "X-Forwarded-For": address } });
    assert.deepEqual([(await from("203.0.113.1")).status, (await from("203.0.113.1")).status], [200, 200]);
    assert.equal((await from("203.0.113.1")).status, 429);
    assert.equal((await from("203.0.113.2")).status, 200);
  });

  it("counts a client across replicas through Redis", async () => {
    const env = { RATE_LIMIT_PER_MINUTE: "6", REDIS_URL, CACHE_PREFIX: uniqueRedisPrefix() };
    const [first, second] = [await start(env), await start(env)];
    await first.get("/api/v1/ping");
    assert.deepEqual(await statuses(first, "/api/v1/ping", 2), [200, 200]);
    assert.deepEqual(await statuses(second, "/api/v1/ping", 3), [200, 200, 200]);
    assert.equal((await second.get("/api/v1/ping")).status, 429);
    assert.equal((await first.get("/api/v1/ping")).status, 429);
  });

  it("takes a busy client's points in leases and never admits more than the limit across replicas", async () => {
    // 300 a minute: leases of 3 points, so each replica may hold up to 2 points the other cannot use.
    const prefix = uniqueRedisPrefix();
    const env = { RATE_LIMIT_PER_MINUTE: "300", REDIS_URL, CACHE_PREFIX: prefix };
    const replicas = [await start(env), await start(env)];
    assert.equal((await replicas[0].get("/api/v1/ping")).status, 200);
    const redis = new Redis(REDIS_URL);
    try {
      const [counter] = await redis.keys(`${prefix}ratelimit*`);
      assert.equal(await redis.get(counter), "3", "one request took a lease of 3 points");
    } finally {
      redis.disconnect();
    }
    const codes = [200];
    for (let i = 1; i < 320; i++) codes.push((await replicas[i % 2].get("/api/v1/ping")).status);
    const admitted = codes.filter((code) => code === 200).length;
    assert.ok(admitted <= 300 && admitted >= 296, `${admitted} admitted`);
    assert.deepEqual(new Set(codes.filter((code) => code !== 200)), new Set([429]));
  });

  it("admits exactly the limit to a burst of concurrent requests", async () => {
    const api = await start({ RATE_LIMIT_PER_MINUTE: "200", REDIS_URL, CACHE_PREFIX: uniqueRedisPrefix() });
    const codes = await Promise.all(Array.from({ length: 250 }, async () => (await api.get("/api/v1/ping")).status));
    assert.equal(codes.filter((code) => code === 200).length, 200);
    assert.equal(codes.filter((code) => code === 429).length, 50);
  });
});
