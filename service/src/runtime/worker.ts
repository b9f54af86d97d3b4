import type { Config } from "../config";
import { createOpsApp } from "../http/app";
import { Readiness } from "../http/readiness";
import type { Logger } from "../logger";
import { Metrics } from "../metrics";
import { ModelRegistry } from "../predictions/modelRegistry";
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
 * The `worker` command: the refit loop (and the import schedule, if configured), with /health, /ready and /metrics
 * on OPS_PORT (it serves no API).
 */
export async function startWorker(config: Config, logger: Logger): Promise<RunningWorker> {
  const metrics = new Metrics();
  const database = await openDatabase(config, logger, WORKER_DATABASE_TIMEOUTS);
  const { db } = database;
  metrics.attachPool(() => poolStats(db));
  const shared = openSharedState(config, logger, metrics);
  const registry = new ModelRegistry();
  metrics.attachModels(() => registry.all());
  const scheduler = configuredRefitScheduler(config, { db, registry, signals: shared.signals, metrics, logger });
  // The worker is what produces models, so it is ready without one; database and migrations still count.
  const readiness = new Readiness(db, undefined, metrics, logger);
  await readiness.start();
  const server = await listen(await createOpsApp({ logger, metrics, readiness }), config.opsPort);
  logger.info({ opsPort: portOf(server), storage: database.kind }, "worker running");
  await scheduler.start();
  const imports = configuredImportSchedule(config, { db, cache: shared.cache, signals: shared.signals, metrics, logger });
  imports?.start();
  return {
    opsPort: portOf(server),
    async shutdown() {
      readiness.beginShutdown();
      await Promise.all([scheduler.stop(), imports?.stop()]);
      await closeGracefully(server, config.shutdownGraceMs);
      await readiness.stop();
      await shared.close();
      await database.close();
      logger.info("worker shut down");
    },
  };
}
