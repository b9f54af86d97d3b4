import type { Config } from "../config";
import { createOpsApp } from "../http/app";
import { Readiness } from "../http/readiness";
import type { Logger } from "../logger";
import { Metrics } from "../metrics";
import { FixtureService } from "../predictions/fixtureService";
import { ModelRegistry } from "../predictions/modelRegistry";
import { PredictionPrecompute } from "../predictions/precompute";
import { PredictionService } from "../predictions/predictionService";
import { configuredRefitScheduler } from "../predictions/refitScheduler";
import { poolStats } from "../storage/db";
import { openDatabase } from "./database";
import { closeGracefully, listen, portOf } from "./httpServer";
import { configuredImportSchedule } from "./importing";
import { openSharedState } from "./sharedState";

/** Fits read a whole league's history; they may take longer than any API statement. */
const WORKER_DATABASE_TIMEOUTS = { acquireTimeoutMs: 5_000, statementTimeoutMs: 60_000 } as const;

export interface RunningWorker {
  opsPort: number;
  shutdown(): Promise<void>;
}

/**
 * The `worker` command: the refit loop, the fixture predictions it stores and warms in the cache the API reads
 * (and the import schedule, if configured), with /health, /ready and /metrics on OPS_PORT (it serves no API).
 */
export async function startWorker(config: Config, logger: Logger): Promise<RunningWorker> {
  const metrics = new Metrics();
  const database = await openDatabase(config, logger, WORKER_DATABASE_TIMEOUTS);
  const { db } = database;
  metrics.attachPool(() => poolStats(db));
  const shared = openSharedState(config, logger, metrics);
  const registry = new ModelRegistry();
  metrics.attachModels(() => registry.all());
  const { cache, signals } = shared;
  const precompute = new PredictionPrecompute(
    {
      db,
      registry,
      signals,
      predictions: new PredictionService(db, cache, registry, metrics),
      fixtures: new FixtureService(db, cache, registry, metrics),
      metrics,
      logger,
    },
    config.model.pollIntervalMs,
  );
  const scheduler = configuredRefitScheduler(config, { db, registry, signals, metrics, logger, precompute });
  // The worker is what produces models, so it is ready without one; database and migrations still count.
  const readiness = new Readiness(db, undefined, metrics, logger);
  await readiness.start();
  const server = await listen(createOpsApp({ logger, metrics, readiness }), config.opsPort);
  logger.info({ opsPort: portOf(server), storage: database.kind }, "worker running");
  await scheduler.start();
  precompute.start();
  const imports = configuredImportSchedule(config, { db, cache, signals, metrics, logger });
  imports?.start();
  return {
    opsPort: portOf(server),
    async shutdown() {
      readiness.beginShutdown();
      await Promise.all([scheduler.stop(), imports?.stop()]);
      await precompute.stop();
      await closeGracefully(server, config.shutdownGraceMs);
      await readiness.stop();
      await shared.close();
      await database.close();
      logger.info("worker shut down");
    },
  };
}
