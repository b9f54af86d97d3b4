import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

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

export type CacheKind = "predictions" | "reads";

/**
 * The service's one metrics registry; names and labels follow docs/service-interface.md. Gauges that describe
 * other components read them through sources attached at start-up, so scraping costs the hot path nothing.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time from receiving a request to sending its response",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly predictions = new Counter({
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

  readonly cacheHits = new Counter({
    name: "cache_hits_total",
    help: "Cache lookups that found a value",
    labelNames: ["cache"] as const,
    registers: [this.registry],
  });

  readonly cacheMisses = new Counter({
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

  readonly modelFitDuration = new Histogram({
    name: "model_fit_duration_seconds",
    help: "Time to fit one league's model",
    labelNames: ["league"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
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

  private poolStats: () => PoolStats | undefined = () => undefined;
  private modelsInUse: () => ModelInUse[] = () => [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
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

  attachPool(source: () => PoolStats | undefined): void {
    this.poolStats = source;
  }

  attachModels(source: () => ModelInUse[]): void {
    this.modelsInUse = source;
  }
}
