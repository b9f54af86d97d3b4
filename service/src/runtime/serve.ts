import type { Server } from "node:http";
import { BacktestRecords } from "../backtest/records";
import { type Cache, FIXTURES_BUCKET, PREDICTIONS_BUCKET, READS_BUCKET } from "../cache/cache";
import { RedisInvalidations } from "../cache/invalidations";
import { NearCache } from "../cache/nearCache";
import { type RedisClient, closeRedisClient, createRedisClient } from "../cache/redis";
import { invalidationChannel } from "../cache/redisCache";
import { CatalogReads } from "../catalog/catalogReads";
import { CatalogWrites } from "../catalog/catalogWrites";
import type { Config } from "../config";
import { createApp, createOpsApp } from "../http/app";
import { rateLimit } from "../http/middleware/rateLimit";
import { Readiness } from "../http/readiness";
import type { StatusInfo } from "../http/routes/api";
import { type Clock, systemClock } from "../importer/types";
import type { Logger } from "../logger";
import { Metrics } from "../metrics";
import { FixtureService } from "../predictions/fixtureService";
import { MatchCatalogue } from "../predictions/matchCatalogue";
import { ModelPickup } from "../predictions/modelPickup";
import { ModelRegistry } from "../predictions/modelRegistry";
import { PredictionPrecompute } from "../predictions/precompute";
import { PredictionService } from "../predictions/predictionService";
import { type RefitScheduler, configuredRefitScheduler } from "../predictions/refitScheduler";
import { API_DATABASE_TIMEOUTS, type Database, poolStats } from "../storage/db";
import { SERVICE_VERSION } from "../version";
import { openDatabase } from "./database";
import { configuredImportSchedule } from "./importing";
import { closeGracefully, listen, portOf } from "./httpServer";
import { type SharedState, openSharedState } from "./sharedState";

/**
 * Time for load balancers to see /ready fail before the listener closes (at most a quarter of the grace
 * period); no load balancer runs locally.
 */
const READINESS_PROPAGATION_MS = 5_000;

export interface ServeOptions {
  /** Runs the refit worker in this process; by default only when APP_ENV is local. */
  withWorker?: boolean;
  /** Overrides the pause between readiness going 503 and the listener closing. */
  drainDelayMs?: number;
  /** Where the built page is (default web/dist). */
  webRoot?: string;
  /** What "now" is for forecasts (which matches have kicked off); tests move it. */
  clock?: Clock;
}

export interface RunningService {
  port: number;
  /** Where /health, /ready and /metrics answer. */
  opsPort: number;
  metrics: Metrics;
  registry: ModelRegistry;
  /** Present when the worker runs in-process. */
  scheduler: RefitScheduler | undefined;
  shutdown(): Promise<void>;
}

function statusInfo(
  config: Config,
  startedAt: Date,
  storage: StatusInfo["storage"],
  cache: StatusInfo["cache"],
): StatusInfo {
  return { version: SERVICE_VERSION, environment: config.appEnv, startedAt, storage, cache };
}

/**
 * A prediction is about 2 kB (a fixture list some dozens): this bounds the predictions' copies at about 10 MB, twice
 * that with the encoded form a copy keeps beside its text once it is hit (see cacheAside).
 */
const NEAR_CACHE_MAX_PREDICTIONS = 5_000;
const NEAR_CACHE_TTL_MS = 5_000;
/**
 * The match catalogue is loaded again at least this often (a few tens of milliseconds of the database's and the
 * process's time): the bound on a write that announces no reset: one made outside the service's commands (by hand,
 * or a database restored from a backup).
 */
const CATALOGUE_MAX_AGE_MS = 60_000;

/**
 * With Redis, each API process keeps copies of hot predictions in memory (NearCache) and of every match
 * (MatchCatalogue, so an uncached prediction is made without a database read), both kept current by the reset
 * announcements on a subscriber connection of its own; without Redis the cache is in memory already, and
 * predictions read their matches from the database.
 */
function openApiCache(
  config: Config,
  db: Database,
  shared: SharedState,
  logger: Logger,
  metrics: Metrics,
): { cache: Cache; catalogue?: MatchCatalogue; close(): Promise<void> } {
  if (config.redisUrl === undefined) return { cache: shared.cache, close: async () => undefined };
  const subscriber = createRedisClient(config.redisUrl, logger, "subscriber");
  const invalidations = new RedisInvalidations(subscriber, invalidationChannel(config.cache.prefix), logger);
  const cache = new NearCache(shared.cache, invalidations, {
    buckets: [PREDICTIONS_BUCKET, FIXTURES_BUCKET],
    maxEntries: NEAR_CACHE_MAX_PREDICTIONS,
    ttlMs: Math.min(NEAR_CACHE_TTL_MS, config.cache.ttlSeconds * 1000),
  });
  const catalogue = new MatchCatalogue(db, invalidations, logger, metrics, {
    buckets: [READS_BUCKET, PREDICTIONS_BUCKET, FIXTURES_BUCKET],
    maxAgeMs: Math.min(CATALOGUE_MAX_AGE_MS, config.cache.ttlSeconds * 1000),
  });
  catalogue.start();
  return {
    cache,
    catalogue,
    close: async () => {
      await catalogue.close();
      await cache.close();
    },
  };
}

interface RateLimitStore {
  redis: { client: RedisClient; available: () => boolean } | undefined;
  close(): Promise<void>;
}

/**
 * Where the rate-limit counters are shared: RATE_LIMIT_REDIS_URL when set (a Redis of their own, which no amount of
 * cached data can push them out of), otherwise the cache's connection; without Redis each process counts alone.
 */
function openRateLimitStore(config: Config, shared: SharedState, logger: Logger): RateLimitStore {
  if (config.rateLimit.redisUrl === undefined) return { redis: shared.redis, close: async () => undefined };
  const client = createRedisClient(config.rateLimit.redisUrl, logger.child({ for: "rate-limit" }), "commands");
  return {
    redis: { client, available: () => client.status === "ready" },
    close: () => closeRedisClient(client),
  };
}

export function defaultDrainDelayMs(config: Config): number {
  return config.appEnv === "local" ? 0 : Math.min(READINESS_PROPAGATION_MS, config.shutdownGraceMs / 4);
}

/**
 * The `serve` command: the HTTP API, model pickup and readiness checks, plus the refit worker when run
 * locally. Resolves once listening; the first fits happen in the background and /ready waits for them.
 */
export async function startService(
  config: Config,
  logger: Logger,
  options: ServeOptions = {},
): Promise<RunningService> {
  const startedAt = new Date();
  const metrics = new Metrics();
  const database = await openDatabase(config, logger, API_DATABASE_TIMEOUTS);
  const { db } = database;
  metrics.attachPool(() => poolStats(db));
  const shared = openSharedState(config, logger, metrics);
  const apiCache = openApiCache(config, db, shared, logger, metrics);
  const { cache } = apiCache;
  const rateLimitStore = openRateLimitStore(config, shared, logger);
  const registry = new ModelRegistry();
  metrics.attachModels(() => registry.all());

  const readiness = new Readiness(db, registry, metrics, logger);
  const pickup = new ModelPickup(db, registry, shared.signals, logger, config.model.pollIntervalMs);
  const clock = options.clock ?? systemClock;
  const predictions = new PredictionService(db, cache, registry, metrics, { clock, catalogue: apiCache.catalogue });
  const fixtures = new FixtureService(db, cache, registry, metrics, clock);
  const withWorker = options.withWorker ?? config.appEnv === "local";
  const precompute = withWorker
    ? new PredictionPrecompute(
        { db, registry, signals: shared.signals, predictions, fixtures, metrics, logger, clock },
        config.model.pollIntervalMs,
      )
    : undefined;
  const scheduler =
    precompute &&
    configuredRefitScheduler(config, { db, registry, signals: shared.signals, metrics, logger, precompute });
  const imports = withWorker
    ? configuredImportSchedule(config, { db, cache, signals: shared.signals, metrics, logger })
    : undefined;

  let draining = false;
  const app = await createApp({
    logger,
    metrics,
    reads: new CatalogReads(db, cache, metrics),
    writes: new CatalogWrites(db, cache, shared.signals),
    predictions,
    fixtures,
    registry,
    records: new BacktestRecords(db, registry, logger),
    jwtSecret: config.jwtSecret,
    rateLimit: rateLimit(metrics, {
      perMinute: config.rateLimit.perMinute,
      redis: rateLimitStore.redis && { ...rateLimitStore.redis, keyPrefix: config.cache.prefix },
    }),
    isDraining: () => draining,
    trustedProxies: config.trustedProxies,
    webRoot: options.webRoot ?? config.webRoot,
    status: statusInfo(config, startedAt, database.kind, shared.redis === undefined ? "memory" : "redis"),
  });

  const opsApp = createOpsApp({ logger, metrics, readiness });

  const closeDependencies = async () => {
    await rateLimitStore.close();
    await apiCache.close();
    await shared.close();
    await database.close();
  };
  await pickup.start();
  await readiness.start();
  const servers: Server[] = [];
  try {
    servers.push(await listen(opsApp, config.opsPort));
    servers.push(await listen(app, config.port));
  } catch (error) {
    await Promise.all(servers.map((server) => closeGracefully(server, 0)));
    await Promise.all([pickup.stop(), readiness.stop()]);
    await closeDependencies();
    throw error;
  }
  const [opsServer, server] = servers;
  logger.info(
    { port: portOf(server), opsPort: portOf(opsServer), worker: scheduler !== undefined, storage: database.kind },
    "serving",
  );
  void scheduler
    ?.start()
    .then(() => precompute?.start())
    .catch((error: Error) => logger.error({ err: error }, "worker failed to start"));
  imports?.start();

  const drainDelayMs = options.drainDelayMs ?? defaultDrainDelayMs(config);
  return {
    port: portOf(server),
    opsPort: portOf(opsServer),
    metrics,
    registry,
    scheduler,
    async shutdown() {
      readiness.beginShutdown();
      draining = true;
      logger.info({ drainDelayMs }, "shutting down: readiness is 503");
      await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
      await closeGracefully(server, Math.max(0, config.shutdownGraceMs - drainDelayMs));
      // Probes and the scrape keep their port until the API has drained.
      await closeGracefully(opsServer, 0);
      await Promise.all([scheduler?.stop(), imports?.stop(), pickup.stop(), readiness.stop()]);
      await precompute?.stop();
      await closeDependencies();
      logger.info("shut down");
    },
  };
}
