import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import Redis from "ioredis";
import { clientAddressOf } from "../../service/src/http/clientAddress";
import { rawExchange } from "../support/load";
import { REDIS_URL, deleteKeys, uniqueRedisPrefix } from "../support/redisKeys";
import { RedisServer } from "../support/redisServer";
import { type ErrorBody, type TestService, servicesPerTest } from "../support/service";

describe("rate limiting", () => {
  const start = servicesPerTest().start;

  const statuses = async (api: TestService, path: string, count: number, port: "api" | "ops" = "api") => {
    const codes: number[] = [];
    for (let i = 0; i < count; i++) codes.push((await (port === "api" ? api.get(path) : api.ops(path))).status);
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
    assert.match(await (await api.ops("/metrics")).text(), /rate_limited_requests_total 1/);
    // The router serves an absolute-form target's path; the limit counts it as the API request it is.
    const absolute = await rawExchange(
      api.service.port,
      [{ data: "GET http://evil.example/api/v1/ping HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" }],
      5_000,
    );
    assert.equal(absolute.status, 429);
    // The page beside the API is not limited (200, or 503 where web/dist is not built).
    assert.ok([200, 503].includes((await api.get("/")).status));
  });

  it("counts the connection's peer when no proxy is trusted, IPv4 clients of a dual-stack listener as IPv4", () => {
    const addressOf = clientAddressOf([]);
    const peer = (remoteAddress: string | undefined, forwarded?: string) =>
      addressOf({ socket: { remoteAddress }, headers: forwarded === undefined ? {} : { "x-forwarded-for": forwarded } } as unknown as IncomingMessage);
    assert.equal(peer("192.0.2.7"), "192.0.2.7");
    assert.equal(peer("::ffff:192.0.2.7"), "192.0.2.7");
    assert.equal(peer("2001:db8::2"), "2001:db8::2");
    assert.equal(peer("::ffff:c000:207"), "192.0.2.7", "the mapped form written in hex is the same client");
    assert.equal(peer(undefined), "", "a socket that closed has no peer left");
    assert.equal(peer("192.0.2.7", "198.51.100.1"), "192.0.2.7", "a header from an untrusted peer never counts");
  });

  it("never limits the probes and the metrics scrape", async () => {
    const api = await start({ RATE_LIMIT_PER_MINUTE: "2" });
    await statuses(api, "/api/v1/ping", 3);
    assert.deepEqual(await statuses(api, "/health", 5, "ops"), [200, 200, 200, 200, 200]);
    assert.equal((await api.ops("/ready")).status, 200);
    assert.equal((await api.ops("/metrics")).status, 200);
  });

  it("keys clients by the address the ingress forwards", async () => {
    // The test reaches the service from 127.0.0.1, which plays the ingress here.
    const api = await start({ RATE_LIMIT_PER_MINUTE: "2", APP_ENV: "staging", TRUSTED_PROXIES: "127.0.0.1" });
    const from = (address: string) => api.get("/api/v1/ping", { headers: { "X-Forwarded-For": address } });
    assert.deepEqual([(await from("203.0.113.1")).status, (await from("203.0.113.1")).status], [200, 200]);
    assert.equal((await from("203.0.113.1")).status, 429);
    assert.equal((await from("203.0.113.2")).status, 200);
  });

  describe("trusted proxies (finding 1)", () => {
    const forwarded = (api: TestService, xff: string) => api.get("/api/v1/ping", { headers: { "X-Forwarded-For": xff } });

    it("ignores X-Forwarded-For from an untrusted peer: the 21st of 25 spoofed requests gets 429", async () => {
      const api = await start({ RATE_LIMIT_PER_MINUTE: "20", APP_ENV: "prod" });
      const codes: number[] = [];
      for (let i = 1; i <= 25; i++) codes.push((await forwarded(api, `10.0.0.${i}`)).status);
      assert.deepEqual(codes, [...Array<number>(20).fill(200), ...Array<number>(5).fill(429)]);
    });

    it("walks X-Forwarded-For from the right past trusted hops; what the client wrote itself never counts", async () => {
      const api = await start({ RATE_LIMIT_PER_MINUTE: "2", TRUSTED_PROXIES: "127.0.0.0/8, 10.1.0.0/16" });
      // Client 198.51.100.9 behind two proxies (10.1.2.3 trusted, then this peer): the entries left of it are its own.
      for (let i = 0; i < 2; i++) assert.equal((await forwarded(api, `10.0.0.${i}, 198.51.100.9, 10.1.2.3`)).status, 200);
      assert.equal((await forwarded(api, "evil, 198.51.100.9, 10.1.2.3")).status, 429);
      assert.equal((await forwarded(api, "198.51.100.9")).status, 429, "the same client through one proxy");
      assert.equal((await forwarded(api, "198.51.100.10, 10.1.2.3")).status, 200, "another client");
    });

    it("keys on IP addresses only: IPv4-mapped IPv6 unwrapped, IPv6 by /64, anything else never a bucket", async () => {
      const prefix = uniqueRedisPrefix();
      const api = await start({ RATE_LIMIT_PER_MINUTE: "3", TRUSTED_PROXIES: "127.0.0.1", REDIS_URL, CACHE_PREFIX: prefix });
      const cases = [
        "evil-not-an-ip",
        "x".repeat(3_000),
        "999.1.1.1",
        "1.2.3.4:80",
        "::ffff:192.0.2.7",
        "192.0.2.7",
        "2001:db8:aa:bb:1::1",
        "2001:db8:aa:bb:ffff::2",
      ];
      for (const xff of cases) await forwarded(api, xff);
      const redis = new Redis(REDIS_URL);
      try {
        const keys = (await redis.keys(`${prefix}ratelimit*`)).map((key) => key.slice(`${prefix}ratelimit:`.length));
        assert.deepEqual(keys.sort(), ["127.0.0.1", "192.0.2.7", "2001:db8:aa:bb::/64"]);
        assert.equal(await redis.get(`${prefix}ratelimit:192.0.2.7`), "2", "mapped and plain IPv4 are one client");
      } finally {
        redis.disconnect();
      }
    });
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

  it("keeps its counters in RATE_LIMIT_REDIS_URL's Redis, where cache pressure cannot evict them (finding 4)", async () => {
    const counters = await RedisServer.start();
    const prefix = uniqueRedisPrefix();
    const env = { RATE_LIMIT_PER_MINUTE: "3", REDIS_URL, CACHE_PREFIX: prefix, RATE_LIMIT_REDIS_URL: counters.url };
    const redis = new Redis(counters.url);
    try {
      const [api, replica] = [await start(env), await start(env)];
      assert.deepEqual(await statuses(api, "/api/v1/leagues", 3), [200, 200, 200]);
      // The cache's Redis loses every key of this service, as an eviction under memory pressure would do; the
      // replica has no lease of its own, so only the shared counter can refuse the client.
      await deleteKeys(REDIS_URL, prefix);
      assert.equal((await replica.get("/api/v1/leagues")).status, 429);
      assert.deepEqual(await redis.keys(`${prefix}ratelimit*`), [`${prefix}ratelimit:127.0.0.1`]);
    } finally {
      redis.disconnect();
      await counters.destroy();
    }
  });

  it("admits exactly the limit to a burst of concurrent requests", async () => {
    const api = await start({ RATE_LIMIT_PER_MINUTE: "200", REDIS_URL, CACHE_PREFIX: uniqueRedisPrefix() });
    const codes = await Promise.all(Array.from({ length: 250 }, async () => (await api.get("/api/v1/ping")).status));
    assert.equal(codes.filter((code) => code === 200).length, 200);
    assert.equal(codes.filter((code) => code === 429).length, 50);
  });
});
