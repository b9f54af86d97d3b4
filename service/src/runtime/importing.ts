import { type Cache, FIXTURES_BUCKET, PREDICTIONS_BUCKET, READS_BUCKET } from "../cache/cache";
import type { Config } from "../config";
import { DEFAULT_FETCH_POLICY, Fetcher } from "../importer/fetcher";
import { Importer, type ImporterDeps } from "../importer/importer";
import { type Clock, systemClock } from "../importer/types";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import type { SignalBus } from "../predictions/signals";
import type { Database } from "../storage/db";

export interface ImporterWiring {
  db: Database;
  cache: Cache;
  signals: SignalBus;
  metrics: Metrics;
  logger: Logger;
  clock?: Clock;
}

/**
 * The importer as configured by the IMPORT_* variables: requests under IMPORT_TIMEOUT_SECONDS and IMPORT_RETRIES,
 * request failures counted in `import_request_errors_total`, and each commit announced (announcingCommits; the
 * refit request itself is already in the database).
 */
export function configuredImporter(config: Config, wiring: ImporterWiring): Importer {
  const { metrics, logger, cache, signals } = wiring;
  const fetcher = new Fetcher(
    { ...DEFAULT_FETCH_POLICY, timeoutMs: config.importer.timeoutMs, retries: config.importer.retries },
    { logger, onFailure: (reason, source) => metrics.importRequestErrors.inc({ source, reason }) },
  );
  return new Importer(config.importer, {
    db: wiring.db,
    metrics,
    logger,
    clock: wiring.clock ?? systemClock,
    fetcher,
    afterCommit: announcingCommits(cache, signals),
  });
}

/**
 * What follows a commit that wrote a league's matches, whoever wrote them (the importer, `seed`): the cached reads,
 * predictions and fixture lists are dropped in every process, and the worker is nudged to store the predictions of
 * added or re-dated fixtures and, when the commit queued a refit, to refit now rather than at its next poll.
 */
export function announcingCommits(cache: Cache, signals: SignalBus): NonNullable<ImporterDeps["afterCommit"]> {
  return async (league, refitRequested) => {
    await cache.invalidate([READS_BUCKET, PREDICTIONS_BUCKET, FIXTURES_BUCKET]);
    await signals.publish("fixtures-changed", league);
    if (refitRequested) await signals.publish("refit-requested", league);
  };
}

/**
 * The worker's own import schedule, when IMPORT_INTERVAL_MINUTES is set (the stacks leave it 0 and run the
 * `import` CronJob instead): one run at start, then one per interval, never two at once.
 */
export class ImportSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly importer: Importer,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.importer.refreshState().catch(() => undefined);
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  private tick(): void {
    if (this.running !== undefined) return;
    this.running = this.importer
      .run({ triggeredBy: "worker" })
      .then(
        () => undefined,
        (error: Error) => this.logger.error({ err: error }, "scheduled import failed"),
      )
      .finally(() => {
        this.running = undefined;
      });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}

/** The schedule, when the configuration asks for one. */
export function configuredImportSchedule(config: Config, wiring: ImporterWiring): ImportSchedule | undefined {
  if (config.importer.intervalMs <= 0 || config.importer.leagues.length === 0) return undefined;
  return new ImportSchedule(configuredImporter(config, wiring), config.importer.intervalMs, wiring.logger);
}
