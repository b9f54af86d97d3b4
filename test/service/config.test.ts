import assert from "node:assert/strict";
import { ConfigError, LOCAL_JWT_SECRET, loadConfig } from "../../service/src/config";

const pick = ({ port, opsPort }: { port: number; opsPort: number }) => ({ port, opsPort });

describe("configuration", () => {
  it("has the documented defaults", () => {
    const config = loadConfig({});
    assert.equal(config.port, 8000);
    assert.equal(config.opsPort, 8001);
    assert.equal(config.appEnv, "local");
    assert.equal(config.logLevel, "info");
    assert.equal(config.databaseUrl, undefined);
    assert.deepEqual(config.dbPool, { min: 0, max: 10 });
    assert.equal(config.redisUrl, undefined);
    assert.deepEqual(config.cache, { prefix: "fp:", ttlSeconds: 300 });
    assert.deepEqual(config.rateLimit, { perMinute: 100, redisUrl: undefined });
    assert.deepEqual(config.trustedProxies, [], "no proxy is trusted unless named");
    assert.equal(config.jwtSecret, LOCAL_JWT_SECRET);
    assert.equal(config.jwtSecretIsLocalDefault, true);
    assert.deepEqual(config.model, { refitIntervalMs: 360 * 60_000, refitDebounceMs: 30_000, pollIntervalMs: 60_000 });
    assert.equal(config.shutdownGraceMs, 20_000);
    assert.match(config.embeddedDataDir, /service\/\.data\/pglite$/);
  });

  it("reads every variable", () => {
    const config = loadConfig({
      PORT: "9000",
      OPS_PORT: "9001",
      APP_ENV: "prod",
      LOG_LEVEL: "warn",
      DATABASE_URL: "postgres://app:pw@db:5432/football",
      DB_POOL_MIN: "2",
      DB_POOL_MAX: "20",
      REDIS_URL: "redis://:pw@redis:6379/0",
      CACHE_PREFIX: "fp-prod:",
      CACHE_TTL_SECONDS: "60",
      RATE_LIMIT_PER_MINUTE: "500",
      RATE_LIMIT_REDIS_URL: "redis://:pw@redis-rate-limits:6379/0",
      TRUSTED_PROXIES: "10.244.0.0/16, 192.0.2.1,fd00:10:244::/56",
      JWT_SECRET: "s".repeat(40),
      MODEL_REFIT_INTERVAL_MINUTES: "60",
      MODEL_REFIT_DEBOUNCE_SECONDS: "5",
      MODEL_POLL_INTERVAL_SECONDS: "10",
      SHUTDOWN_GRACE_SECONDS: "15",
      EMBEDDED_DATA_DIR: "/tmp/pglite",
    });
    assert.equal(config.port, 9000);
    assert.equal(config.opsPort, 9001);
    assert.equal(config.appEnv, "prod");
    assert.deepEqual(config.rateLimit, { perMinute: 500, redisUrl: "redis://:pw@redis-rate-limits:6379/0" });
    assert.deepEqual(config.trustedProxies, ["10.244.0.0/16", "192.0.2.1/32", "fd00:10:244::/56"]);
    assert.deepEqual(config.dbPool, { min: 2, max: 20 });
    assert.equal(config.jwtSecretIsLocalDefault, false);
    assert.deepEqual(config.model, { refitIntervalMs: 3_600_000, refitDebounceMs: 5_000, pollIntervalMs: 10_000 });
    assert.equal(config.embeddedDataDir, "/tmp/pglite");
  });

  it("gives the worker a default ops port of its own, so it runs beside the service; PORT and OPS_PORT win", () => {
    assert.deepEqual(pick(loadConfig({}, { command: "serve" })), { port: 8000, opsPort: 8001 });
    // The worker serves only its ops port, which must not collide with the service's beside it.
    assert.equal(loadConfig({}, { command: "worker" }).opsPort, 8002);
    assert.equal(loadConfig({ OPS_PORT: "9002" }, { command: "worker" }).opsPort, 9002);
    // PORT moved onto the default ops port: the ops port steps aside rather than colliding.
    assert.deepEqual(pick(loadConfig({ PORT: "8001" })), { port: 8001, opsPort: 8000 });
  });

  it("reads a relative EMBEDDED_DATA_DIR from where the user ran npm (INIT_CWD), not from service/", () => {
    assert.equal(loadConfig({ EMBEDDED_DATA_DIR: "data/pg", INIT_CWD: "/home/me/football" }).embeddedDataDir, "/home/me/football/data/pg");
    assert.equal(loadConfig({ EMBEDDED_DATA_DIR: "/var/pg", INIT_CWD: "/home/me/football" }).embeddedDataDir, "/var/pg");
  });

  it("treats blank variables as unset", () => {
    assert.equal(loadConfig({ PORT: "", REDIS_URL: " " }).port, 8000);
  });

  const rejects = (env: Record<string, string>, variable: string, problem?: RegExp) => {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, new RegExp(`\\b${variable}: `));
        if (problem !== undefined) assert.match(error.message, problem);
        return true;
      },
    );
  };

  it("stops with a message naming each bad variable", () => {
    rejects({ PORT: "eighty" }, "PORT");
    rejects({ PORT: "70000" }, "PORT");
    rejects({ APP_ENV: "production" }, "APP_ENV");
    rejects({ LOG_LEVEL: "verbose" }, "LOG_LEVEL");
    rejects({ DATABASE_URL: "mysql://db/x" }, "DATABASE_URL", /postgres:\/\//);
    rejects({ REDIS_URL: "not a url" }, "REDIS_URL");
    rejects({ DB_POOL_MIN: "5", DB_POOL_MAX: "2" }, "DB_POOL_MIN");
    rejects({ CACHE_TTL_SECONDS: "0" }, "CACHE_TTL_SECONDS");
    rejects({ CACHE_PREFIX: "has space" }, "CACHE_PREFIX");
    rejects({ RATE_LIMIT_PER_MINUTE: "-1" }, "RATE_LIMIT_PER_MINUTE");
    rejects({ MODEL_POLL_INTERVAL_SECONDS: "0" }, "MODEL_POLL_INTERVAL_SECONDS");
    rejects({ OPS_PORT: "8000" }, "OPS_PORT", /must differ from PORT/);
    rejects({ RATE_LIMIT_REDIS_URL: "http://redis" }, "RATE_LIMIT_REDIS_URL");
  });

  it("refuses trusted proxies that are not IP addresses or CIDR ranges, naming them (finding 1)", () => {
    for (const entry of ["10.0.0.0/33", "10.0.0/8", "ingress", "0x0a000000/8", "10.0.0.0/8/1", "fd00::/129", "*", "10/8"]) {
      rejects({ TRUSTED_PROXIES: `127.0.0.1,${entry}` }, "TRUSTED_PROXIES", new RegExp(`"${entry.replace(/[*/]/g, "\\$&")}" is not an IP address or CIDR range`));
    }
  });

  it("requires a JWT secret of at least 32 characters outside local", () => {
    rejects({ APP_ENV: "staging" }, "JWT_SECRET", /required when APP_ENV is staging/);
    rejects({ APP_ENV: "prod", JWT_SECRET: "short" }, "JWT_SECRET", /at least 32/);
  });

  it("names every bad variable at once", () => {
    assert.throws(() => loadConfig({ PORT: "x", LOG_LEVEL: "loud" }), /PORT: .*LOG_LEVEL: /);
  });
});
