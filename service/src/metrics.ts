import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { HotCounter, HotHistogram } from "./hotMetrics";

/** What the `db_pool_*` gauges report when scraped. */
export interface PoolStats {
  used: number;
  free: number;
  pending: number;
  max: number;
}

/** One model in use, for the `model_*` gauges. */
export interface ModelInUse {
  league: string;
  fittedAt: Date;
}

export type CacheKind = "predictions" | "reads" | "fixtures";

/** One imported league's state, for the `import_*` gauges; refreshed from the database after every import. */
export interface ImportState {
  league: string;
  /** Null when the league has never imported successfully (the gauge then reads 0, which is always stale). */
  lastSuccessAt: Date | null;
  lastRunAt: Date | null;
  quarantined: number;
  overdue: number;
  /** True between a week before the season's first fixture and the day after its last. */
  inSeason: boolean;
}

const IMPORT_METRICS = [
  "import_rows_fetched_total",
  "import_rows_total",
  "import_runs_total",
  "import_request_errors_total",
  "import_last_success_timestamp_seconds",
  "import_last_run_timestamp_seconds",
  "import_quarantined_records",
  "import_overdue_fixtures",
  "import_season_active",
];

/**
 * The service's one metrics registry; names and labels follow docs/service-interface.md. Gauges that describe
 * other components read them through sources attached at start-up, so scraping costs the hot path nothing; the
 * metrics every request updates are hot ones (hotMetrics.ts), whose updates take their label values in
 * labelNames order.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new HotCounter({
    name: "http_requests_total",
    help: "HTTP requests answered",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new HotHistogram({
    name: "http_request_duration_seconds",
    help: "Time from receiving a request to sending its response (probes and the scrape are not timed)",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly predictions = new HotCounter({
    name: "predictions_total",
    help: "Predictions served, by where they came from",
    labelNames: ["league", "source"] as const,
    registers: [this.registry],
  });

  readonly predictionFailures = new Counter({
    name: "prediction_failures_total",
    help: "Prediction requests that could not be answered",
    labelNames: ["league", "reason"] as const,
    registers: [this.registry],
  });

  readonly cacheHits = new HotCounter({
    name: "cache_hits_total",
    help: "Cache lookups that found a value",
    labelNames: ["cache"] as const,
    registers: [this.registry],
  });

  readonly cacheMisses = new HotCounter({
    name: "cache_misses_total",
    help: "Cache lookups that found nothing or could not ask the cache",
    labelNames: ["cache"] as const,
    registers: [this.registry],
  });

  readonly cacheErrors = new Counter({
    name: "cache_errors_total",
    help: "Cache operations that failed or were skipped by the open circuit",
    labelNames: ["operation"] as const,
    registers: [this.registry],
  });

  readonly cacheCircuitOpen = new Gauge({
    name: "cache_circuit_open",
    help: "1 while the Redis circuit breaker is open",
    registers: [this.registry],
  });

  readonly catalogueMatches = new Gauge({
    name: "match_catalogue_matches",
    help: "Matches in the API process's copy of every match; 0 while it holds none (requests then read the database)",
    registers: [this.registry],
  });

  readonly catalogueLoads = new Counter({
    name: "match_catalogue_loads_total",
    help: "Loads of the copy of every match: loaded, discarded (a reset or a lost feed overlapped it) or failed",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly catalogueDrops = new Counter({
    name: "match_catalogue_drops_total",
    help: "Copies of every match dropped: on a reset of a bucket match writes reset, or on losing the announcements",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });

  readonly modelFitDuration = new Histogram({
    name: "model_fit_duration_seconds",
    help: "Time to fit one league's model",
    labelNames: ["league"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly precomputedPredictions = new Counter({
    name: "prediction_precompute_total",
    help: "Fixture predictions computed and stored ahead of requests, by league",
    labelNames: ["league"] as const,
    registers: [this.registry],
  });

  readonly precomputeDuration = new Histogram({
    name: "prediction_precompute_duration_seconds",
    help: "Time to store one league's fixture predictions and warm the cache",
    labelNames: ["league"] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: "rate_limited_requests_total",
    help: "Requests refused with 429",
    registers: [this.registry],
  });

  readonly serviceReady = new Gauge({
    name: "service_ready",
    help: "1 while /ready answers 200",
    registers: [this.registry],
  });

  readonly databaseUp = new Gauge({
    name: "database_up",
    help: "1 while this process reaches PostgreSQL (probed every second); readiness does not depend on it",
    registers: [this.registry],
  });

  readonly importRowsFetched = new Counter({
    name: "import_rows_fetched_total",
    help: "Records fetched from a source",
    labelNames: ["league", "source"] as const,
    registers: [this.registry],
  });

  readonly importRows = new Counter({
    name: "import_rows_total",
    help: "Fetched records by what the import did with them (inserted, updated, unchanged, quarantined)",
    labelNames: ["league", "source", "outcome"] as const,
    registers: [this.registry],
  });

  readonly importRuns = new Counter({
    name: "import_runs_total",
    help: "Imports of a league by outcome (succeeded, rejected by the gate, failed to fetch or parse)",
    labelNames: ["league", "source", "status"] as const,
    registers: [this.registry],
  });

  readonly importRequestErrors = new Counter({
    name: "import_request_errors_total",
    help: "Failed requests to a source, retried or not",
    labelNames: ["source", "reason"] as const,
    registers: [this.registry],
  });

  private poolStats: () => PoolStats | undefined = () => undefined;
  private importStates: () => ImportState[] = () => [];
  private modelsInUse: () => ModelInUse[] = () => [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.importGauges();
    // The catalogue's series exist from the start, so a first drop or failed load shows as a rate, not a new series.
    for (const reason of ["reset", "feed-lost"]) this.catalogueDrops.inc({ reason }, 0);
    for (const outcome of ["loaded", "discarded", "failed"]) this.catalogueLoads.inc({ outcome }, 0);
    const readPool = () => this.poolStats();
    new Gauge({
      name: "db_pool_connections",
      help: "Database pool connections by state",
      labelNames: ["state"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const stats = readPool();
        if (stats === undefined) return;
        this.set({ state: "used" }, stats.used);
        this.set({ state: "free" }, stats.free);
        this.set({ state: "pending" }, stats.pending);
      },
    });
    new Gauge({
      name: "db_pool_max_connections",
      help: "Upper bound of the database pool",
      registers: [this.registry],
      collect() {
        this.set(readPool()?.max ?? 0);
      },
    });
    const readModels = () => this.modelsInUse();
    new Gauge({
      name: "model_fitted_timestamp_seconds",
      help: "When the model in use was fitted",
      labelNames: ["league"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const model of readModels()) this.set({ league: model.league }, model.fittedAt.getTime() / 1000);
      },
    });
    new Gauge({
      name: "model_age_seconds",
      help: "Now minus when the model in use was fitted",
      labelNames: ["league"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const model of readModels()) this.set({ league: model.league }, (now - model.fittedAt.getTime()) / 1000);
      },
    });
  }

  attachImports(source: () => ImportState[]): void {
    this.importStates = source;
  }

  /** The `import_*` series as Prometheus text, for the `import` command to push. */
  async importMetricsText(): Promise<string> {
    const texts = await Promise.all(IMPORT_METRICS.map((name) => this.registry.getSingleMetricAsString(name)));
    return `${texts.filter((text) => text !== "").join("\n")}\n`;
  }

  attachPool(source: () => PoolStats | undefined): void {
    this.poolStats = source;
  }

  attachModels(source: () => ModelInUse[]): void {
    this.modelsInUse = source;
  }

  private importGauges(): void {
    const readImports = () => this.importStates();
    const gauge = (name: string, help: string, value: (state: ImportState) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["league"] as const,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const state of readImports()) this.set({ league: state.league }, value(state));
        },
      });
    const seconds = (at: Date | null) => (at === null ? 0 : at.getTime() / 1000);
    gauge("import_last_success_timestamp_seconds", "When the league last imported successfully (0: never)", (s) =>
      seconds(s.lastSuccessAt),
    );
    gauge("import_last_run_timestamp_seconds", "When the league's last import finished, whatever its outcome", (s) =>
      seconds(s.lastRunAt),
    );
    gauge("import_quarantined_records", "Records waiting in the quarantine for an operator", (s) => s.quarantined);
    gauge("import_overdue_fixtures", "Fixtures whose date has passed without a result", (s) => s.overdue);
    gauge("import_season_active", "1 while the league's season runs, when imports are expected", (s) => (s.inSeason ? 1 : 0));
  }
}
