import assert from "node:assert/strict";
import { PG_HOST, PG_PORT } from "../support/databases";
import { metricValue } from "../support/metrics";
import { Interruptible, eventually } from "../support/net";
import { uniqueRedisPrefix } from "../support/redisKeys";
import { type ErrorBody, servicesPerTest, writeToken } from "../support/service";

const PAIRING = "/api/v1/predictions?league=E0&home=Liverpool&away=Everton";

interface ReadyBody {
  status: string;
  degraded: string[];
  checks: Record<string, string>;
}

async function timed(request: () => Promise<Response>): Promise<{ response: Response; ms: number }> {
  const started = performance.now();
  const response = await request();
  return { response, ms: performance.now() - started };
}

describe("dependency failures", () => {
  const services = servicesPerTest();
  const start = services.start;

  describe("Redis unavailable", () => {
    it("keeps answering every endpoint from PostgreSQL, quickly, and opens the circuit", async () => {
      const api = await start({ REDIS_URL: "redis://127.0.0.1:1/0", CACHE_PREFIX: uniqueRedisPrefix() });
      for (let i = 0; i < 8; i++) {
        for (const path of [PAIRING, "/api/v1/leagues", "/api/v1/matches?league=E0&limit=5", "/api/v1/status"]) {
          const { response, ms } = await timed(() => api.get(path));
          assert.equal(response.status, 200, path);
          assert.ok(ms < 500, `${path} took ${ms} ms`);
        }
      }
      const created = await api.send(
        "POST",
        "/api/v1/matches",
        { league: "E0", season: "2026-2027", date: "2026-09-12", homeTeam: "Everton", awayTeam: "Fulham" },
        await writeToken(),
      );
      assert.equal(created.status, 201);
      const metrics = await (await api.ops("/metrics")).text();
      assert.ok(metricValue(metrics, 'cache_errors_total{operation="get"}') > 0);
      assert.equal(metricValue(metrics, "cache_circuit_open"), 1);
      assert.ok(metricValue(metrics, 'predictions_total{league="E0",source="model"}') >= 8);
    });

    it("goes back to the cache by itself once Redis returns", async function recovery() {
      this.timeout(30_000);
      const redis = new Interruptible("127.0.0.1", 6379);
      await redis.open();
      try {
        const api = await start({ REDIS_URL: `redis://127.0.0.1:${redis.port}/0`, CACHE_PREFIX: uniqueRedisPrefix() });
        await eventually(async () => ((await api.get(PAIRING)).status === 200 ? true : undefined));
        await redis.cut();
        for (let i = 0; i < 10; i++) assert.equal((await api.get(PAIRING)).status, 200);
        await redis.open();
        await eventually(async () => {
          await api.get(PAIRING);
          const metrics = await (await api.ops("/metrics")).text();
          return metricValue(metrics, "cache_circuit_open") === 0 &&
            metricValue(metrics, 'predictions_total{league="E0",source="cache"}') > 0
            ? true
            : undefined;
        }, 15_000, 200);
      } finally {
        await redis.cut();
      }
    });
  });

  describe("PostgreSQL stopped under a running service", () => {
    it("serves cached reads, fails uncached ones fast with 503, stays ready reporting the outage, and recovers", async function outage() {
      this.timeout(30_000);
      const postgres = new Interruptible(PG_HOST, PG_PORT);
      await postgres.open();
      try {
        const proxied = new URL(services.databaseUrl);
        proxied.port = String(postgres.port);
        const api = await start({ DATABASE_URL: proxied.toString() });
        assert.equal((await api.get(PAIRING)).status, 200);
        assert.equal((await api.get("/api/v1/leagues")).status, 200);
        assert.equal(metricValue(await (await api.ops("/metrics")).text(), "database_up"), 1);

        await postgres.cut();
        const cut = Date.now();
        const cached = await timed(() => api.get(PAIRING));
        assert.equal(cached.response.status, 200);
        assert.equal((await api.get("/api/v1/leagues")).status, 200);

        const uncached = await timed(() => api.get("/api/v1/matches?league=SP1&limit=3"));
        assert.equal(uncached.response.status, 503);
        assert.ok(uncached.ms < 1_000, `503 after ${uncached.ms} ms`);
        assert.equal(uncached.response.headers.get("retry-after"), "1");
        assert.equal(((await uncached.response.json()) as ErrorBody).error.code, "database_unavailable");

        const write = await api.send("POST", "/api/v1/models/refit", { league: "E0" }, await writeToken());
        assert.equal(write.status, 503);
        assert.equal((await api.ops("/health")).status, 200);

        // Still ready: the outage is reported in the body and by database_up, within two seconds.
        const degraded = await eventually(async () => {
          const response = await api.ops("/ready");
          assert.equal(response.status, 200, "/ready stays 200 while the database is away");
          const body = (await response.json()) as ReadyBody;
          return body.degraded.includes("database") ? body : undefined;
        });
        assert.ok(Date.now() - cut < 2_000, "readiness reported the outage within two seconds");
        assert.match(degraded.checks.database, /^unavailable since /);
        assert.equal(degraded.checks.migrations, "ok");
        assert.equal(metricValue(await (await api.ops("/metrics")).text(), "database_up"), 0);
        assert.equal(metricValue(await (await api.ops("/metrics")).text(), "service_ready"), 1);

        await postgres.open();
        const restored = Date.now();
        await eventually(async () => {
          const body = (await (await api.ops("/ready")).json()) as ReadyBody;
          return body.degraded.length === 0 && body.checks.database === "ok" ? true : undefined;
        });
        assert.equal((await api.get("/api/v1/matches?league=SP1&limit=3")).status, 200);
        assert.equal(metricValue(await (await api.ops("/metrics")).text(), "database_up"), 1);
        assert.ok(Date.now() - restored < 5_000, "recovered within five seconds");
      } finally {
        await postgres.cut();
      }
    });

    it("starts without a database, is not ready until it has seen the schema, and says why", async () => {
      const api = await start({ DATABASE_URL: "postgres://postgres@127.0.0.1:1/nothing" });
      assert.equal((await api.ops("/health")).status, 200);
      const ready = await api.ops("/ready");
      assert.equal(ready.status, 503);
      const body = (await ready.json()) as ErrorBody;
      assert.equal(body.error.code, "not_ready");
      assert.match(body.error.message, /migrations: .*database has not answered/);
      const details = body.error.details as { failing: string; degraded: string[]; checks: Record<string, string> };
      assert.equal(details.failing, "migrations");
      assert.deepEqual(details.degraded, ["database"]);
      assert.match(details.checks.database, /^unavailable since .*ECONNREFUSED/);
      const { response, ms } = await timed(() => api.get(PAIRING));
      assert.equal(response.status, 503);
      assert.ok(ms < 1_000);
    });
  });
});
