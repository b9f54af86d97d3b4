import assert from "node:assert/strict";
import { ConfigError, LOCAL_JWT_SECRET, loadConfig } from "../../service/src/config";

describe("configuration", () => {
  it("has the documented defaults", () => {
    const config = loadConfig({});
    assert.equal(config.port, 8000);
    assert.equal(config.appEnv, "local");
    assert.equal(config.logLevel, "info");
    assert.equal(config.databaseUrl, undefined);
    assert.deepEqual(config.dbPool, { min: 0, max: 10 });
    assert.equal(config.redisUrl, undefined);
    assert.deepEqual(config.cache, { prefix: "fp:", ttlSeconds: 300 });
    assert.equal(config.rateLimitPerMinute, 100);
    assert.equal(config.jwtSecret, LOCAL_JWT_SECRET);
    assert.equal(config.jwtSecretIsLocalDefault, true);
    assert.deepEqual(config.model, { refitIntervalMs: 360 * 60_000, refitDebounceMs: 30_000, pollIntervalMs: 60_000 });
    assert.equal(config.shutdownGraceMs, 20_000);
    assert.match(config.embeddedDataDir, /service\/\.data\/pglite$/);
  });

  it("reads every variable", () => {
    const config = loadConfig({
      PORT: "9000",
      APP_ENV: "prod",
      LOG_LEVEL: "warn",
      DATABASE_URL: "postgres://app:pw@db:5432/football",
      DB_POOL_MIN: "2",
      DB_POOL_MAX: "20",
      REDIS_URL: "redis://:pw@redis:6379/0",
      CACHE_PREFIX: "fp-prod:",
      CACHE_TTL_SECONDS: "60",
      RATE_LIMIT_PER_MINUTE: "500",
      JWT_SECRET: "s".repeat(40),
      MODEL_REFIT_INTERVAL_MINUTES: "60",
      MODEL_REFIT_DEBOUNCE_SECONDS: "5",
      MODEL_POLL_INTERVAL_SECONDS: "10",
      SHUTDOWN_GRACE_SECONDS: "15",
      EMBEDDED_DATA_DIR: "/tmp/pglite",
    });
    assert.equal(config.port, 9000);
    assert.equal(config.appEnv, "prod");
    assert.deepEqual(config.dbPool, { min: 2, max: 20 });
    assert.equal(config.jwtSecretIsLocalDefault, false);
    assert.deepEqual(config.model, { refitIntervalMs: 3_600_000, refitDebounceMs: 5_000, pollIntervalMs: 10_000 });
    assert.equal(config.embeddedDataDir, "/tmp/pglite");
  });

  it("gives the worker a default port of its own, so it runs beside the service; PORT wins for both", () => {
    assert.equal(loadConfig({}, "serve").port, 8000);
    assert.equal(loadConfig({}, "worker").port, 8001);
    assert.equal(loadConfig({ PORT: "8000" }, "worker").port, 8000);
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
  });

  it("requires a JWT secret of at least 32 characters outside local", () => {
    rejects({ APP_ENV: "staging" }, "JWT_SECRET", /required when APP_ENV is staging/);
    rejects({ APP_ENV: "prod", JWT_SECRET: "short" }, "JWT_SECRET", /at least 32/);
  });

  it("names every bad variable at once", () => {
    assert.throws(() => loadConfig({ PORT: "x", LOG_LEVEL: "loud" }), /PORT: .*LOG_LEVEL: /);
  });
});
