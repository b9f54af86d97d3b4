import { predictMatch } from "../domain/dixonColes";
import { type Clock, systemClock } from "../importer/types";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import type { Database } from "../storage/db";
import { upcomingMatches } from "../storage/repositories/fixtures";
import { predictionsOfVersions, recordPredictions } from "../storage/repositories/predictions";
import type { FixtureService } from "./fixtureService";
import type { ModelRegistry } from "./modelRegistry";
import type { PredictionService } from "./predictionService";
import type { SignalBus } from "./signals";

/** Rows per INSERT: a season's fixtures (380 in the Premier League) would make one statement of thousands of values. */
const BATCH_SIZE = 100;

/** Why a league's forecasts are refreshed; a poll only warms the cache when it had something to store. */
export type PrecomputeReason = "refit" | "start" | "fixtures" | "poll";

export interface PrecomputeDeps {
  db: Database;
  registry: ModelRegistry;
  signals: SignalBus;
  predictions: PredictionService;
  fixtures: FixtureService;
  metrics: Metrics;
  logger: Logger;
  clock?: Clock;
}

/**
 * The worker's side of "reads never write": every scheduled match still to kick off gets the current model's
 * prediction stored (in batches, once per model version and match) and its answers put in the cache, so neither
 * GET /fixtures nor GET /predictions/:id waits for a prediction. It runs after each refit (before the new version
 * is announced), at start, when fixtures are added or re-dated (the `fixtures-changed` signal) and on the poll
 * interval (for a signal lost while Redis was down). Passes run one at a time; a failure is logged, never thrown.
 */
export class PredictionPrecompute {
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly deps: PrecomputeDeps,
    private readonly pollIntervalMs: number,
  ) {}

  /** Refreshes every league with a model now, then on signals and the poll. */
  start(): void {
    this.deps.signals.subscribe("fixtures-changed", (league) => void this.refresh(league, "fixtures"));
    this.refreshAll("start");
    this.timer = setInterval(() => this.refreshAll("poll"), this.pollIntervalMs);
  }

  /** Stores the league's missing forecasts under its current model and warms the cache; queued behind other passes. */
  refresh(league: string, reason: PrecomputeReason): Promise<void> {
    if (this.stopped) return this.queue;
    this.queue = this.queue.then(() =>
      this.pass(league, reason).catch((error: Error) =>
        this.deps.logger.error({ league, reason, err: error }, "fixture predictions not precomputed"),
      ),
    );
    return this.queue;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.queue;
  }

  private refreshAll(reason: PrecomputeReason): void {
    for (const model of this.deps.registry.all()) void this.refresh(model.league, reason);
  }

  private async pass(league: string, reason: PrecomputeReason): Promise<void> {
    const { db, registry, metrics, logger } = this.deps;
    const model = registry.get(league);
    if (model === undefined) return;
    const started = Date.now();
    const matches = await upcomingMatches(db, league, (this.deps.clock ?? systemClock)());
    const stored = await predictionsOfVersions(db, [model.version], matches.map((match) => match.id));
    const fixtures = matches.map((match) => ({
      match,
      prediction: stored.get(match.id) ?? predictMatch(model.parameters, match.homeTeam.name, match.awayTeam.name),
    }));
    const missing = fixtures.filter(({ match }) => !stored.has(match.id));
    for (let start = 0; start < missing.length; start += BATCH_SIZE) {
      const batch = missing.slice(start, start + BATCH_SIZE).map(({ match, prediction }) => ({
        modelVersion: model.version,
        matchId: match.id,
        league,
        homeTeamId: match.homeTeam.id,
        awayTeamId: match.awayTeam.id,
        prediction,
      }));
      await recordPredictions(db, batch);
    }
    metrics.precomputedPredictions.inc({ league }, missing.length);
    const warm = reason !== "poll" || missing.length > 0;
    if (warm) {
      await this.deps.predictions.warm(model, fixtures);
      await this.deps.fixtures.warm([league]);
    }
    // A poll that found everything stored did nothing worth a measurement or a line.
    if (!warm) return;
    const ms = Date.now() - started;
    metrics.precomputeDuration.observe({ league }, ms / 1000);
    logger.info(
      { league, version: model.version, reason, upcoming: matches.length, stored: missing.length, ms },
      "fixture predictions precomputed",
    );
  }
}
