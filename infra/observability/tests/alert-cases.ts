import { jobs, type ObservabilitySettings } from "../settings";
import { cloudnativePgCases } from "./cnpg-cases";
import { kubernetesCases } from "./kubernetes-cases";
import {
  above,
  counter,
  database,
  fire,
  flat,
  labelsOf,
  OTHER_NAMESPACE,
  quiet,
  series,
  type AlertCase,
  type Labels,
} from "./scenarios";

/**
 * Unit tests for every alert rule, in `promtool test rules` form (promtool.ts renders them). Each alert has
 * scenarios that must fire and scenarios that must not: values just on the safe side of the threshold, and
 * (through `pendingAt`) a condition that holds for less than the rule's `for`. Series are derived from the
 * settings' thresholds, so every stack's rules are tested with its own numbers.
 */

/** The scenarios of alerts that fire on a gauge being 0 (1 is healthy) for longer than `for`. */
function zeroMeansDown(metric: string, labels: Labels, expect: Labels, forMinutes: number): AlertCase {
  const evalAt = `${forMinutes + 5}m`;
  return {
    fires: [fire("reports 0", [series(metric, labels, flat(0))], `${forMinutes - 1}m`, evalAt, expect)],
    quiet: [quiet("reports 1", [series(metric, labels, flat(1))], evalAt)],
  };
}

/** An exporter's target down, or none discovered in this namespace while another environment's is up. */
function exporterDown(labels: Labels, pod: string): AlertCase {
  const up = (value: number) => series("up", { ...labels, pod }, flat(value));
  const elsewhereUp = series("up", { ...labels, namespace: OTHER_NAMESPACE, pod }, flat(1));
  return {
    fires: [
      fire("target down", [up(0)], "4m", "10m", { pod }),
      fire("no target discovered here, another environment's up", [elsewhereUp], "4m", "10m", { job: labels.job }),
    ],
    quiet: [quiet("target up", [up(1)], "10m")],
  };
}

function serviceCases(s: ObservabilitySettings): Record<string, AlertCase> {
  const t = s.thresholds;
  const { svc: svcLabels, worker: workerLabels, web: webLabels } = labelsOf(s);
  const route = "/api/v1/predictions";
  const requests = (status: string, perMinute: number, path = route) =>
    series("http_requests_total", { ...svcLabels, method: "GET", route: path, status }, counter(perMinute));
  const errorShare = (ratio: number) => [requests("200", 1000 * (1 - ratio)), requests("500", 1000 * ratio)];
  const buckets = (cumulative: number[]) => {
    const limit = t.latencyP95Seconds;
    return [String(limit / 2), String(limit), String(limit * 2), "+Inf"].map((le, i) =>
      series("http_request_duration_seconds_bucket", { ...svcLabels, method: "GET", route, status: "200", le }, counter(cumulative[i])),
    );
  };
  const failures = (perMinute: number) =>
    series("prediction_failures_total", { ...svcLabels, league: "E0", reason: "model_not_ready" }, counter(perMinute));
  const predictions = (failureRatio: number) => [
    series("predictions_total", { ...svcLabels, league: "E0", source: "model" }, counter(100 * (1 - failureRatio))),
    failures(100 * failureRatio),
  ];
  const ready = (pod: string, value: number) => series("service_ready", { ...svcLabels, pod }, flat(value));
  const page = (pod: string, value: number) => series("up", { ...webLabels, pod }, flat(value));
  const cache = (hitRatio: number) => [
    series("cache_hits_total", { ...svcLabels, cache: "predictions" }, counter(100 * hitRatio)),
    series("cache_misses_total", { ...svcLabels, cache: "predictions" }, counter(100 * (1 - hitRatio))),
  ];
  const modelAge = (values: string) => [series("model_age_seconds", { ...svcLabels, league: "E0" }, values)];
  const maxAge = t.modelMaxAgeSeconds;
  const circuit = (value: number) => [series("cache_circuit_open", svcLabels, flat(value))];
  return {
    ServiceDown: {
      fires: [
        fire("no pod ready", [ready("api-a", 0), ready("api-b", 0)], "1m", "5m"),
        fire("no API pod scraped at all", [series("up", workerLabels, flat(1))], "1m", "5m"),
      ],
      quiet: [quiet("one of two pods ready", [ready("api-a", 0), ready("api-b", 1)], "10m")],
    },
    PageDown: {
      fires: [
        fire("every page pod down", [page("web-a", 0), page("web-b", 0)], "1m", "5m"),
        fire("no page pod scraped at all", [series("up", workerLabels, flat(1))], "1m", "5m"),
      ],
      quiet: [quiet("one of two page pods up", [page("web-a", 0), page("web-b", 1)], "10m")],
    },
    ServiceTargetDown: zeroMeansDown("up", workerLabels, { pod: "worker-a", component: "worker" }, 5),
    ServiceReadinessFailing: zeroMeansDown("service_ready", svcLabels, { pod: "api-a" }, 5),
    ServiceDatabaseUnreachable: {
      ...zeroMeansDown("database_up", workerLabels, { pod: "worker-a", component: "worker" }, 2),
      quiet: [
        quiet("reports 1", [series("database_up", workerLabels, flat(1))], "7m"),
        quiet("only the page's pods, which never connect, report 0", [series("database_up", webLabels, flat(0))], "7m"),
      ],
    },
    HighErrorRatio: {
      fires: [fire("twice the threshold", errorShare(t.errorRatio * 2), "4m", "10m")],
      quiet: [
        quiet("just under the threshold", errorShare(t.errorRatio * 0.9), "20m"),
        quiet("only /ready fails", [...errorShare(0), requests("503", 1000, "/ready")], "20m"),
      ],
    },
    HighLatencyP95: {
      // p95 interpolates to 1.75 × threshold in the first case and 0.95 × threshold in the second.
      fires: [fire("p95 above", buckets([50, 80, 100, 100]), "4m", "10m")],
      quiet: [quiet("p95 just under", buckets([50, 100, 100, 100]), "20m")],
    },
    PredictionFailures: {
      fires: [
        fire("twice the threshold", predictions(t.predictionFailureRatio * 2), "4m", "10m"),
        fire("every prediction fails", [failures(10)], "4m", "10m"),
      ],
      quiet: [quiet("just under the threshold", predictions(t.predictionFailureRatio * 0.9), "20m")],
    },
    ModelStale: {
      fires: [fire("model keeps ageing", modelAge(`${maxAge + 60}+60x30`), "9m", "15m", { league: "E0" })],
      quiet: [quiet("just younger than the limit", modelAge(flat(maxAge - 60)), "20m")],
    },
    CacheHitRatioCollapse: {
      fires: [fire("half the minimum", cache(t.cacheHitRatioMin / 2), "14m", "20m", { cache: "predictions" })],
      quiet: [quiet("just above the minimum", cache(Math.min(1, t.cacheHitRatioMin * 1.1)), "30m")],
    },
    CacheCircuitOpen: {
      fires: [fire("open", circuit(1), "4m", "10m")],
      quiet: [quiet("closed", circuit(0), "10m")],
    },
  };
}

function postgresCases(s: ObservabilitySettings): Record<string, AlertCase> {
  const t = s.thresholds;
  const { pg: pgLabels } = labelsOf(s);
  const maxConnections = 100;
  const activity = (state: string, count: number) =>
    series("pg_stat_activity_count", { ...pgLabels, datname: database, state }, flat(count));
  const connections = (total: number) => [
    activity("active", total / 2),
    activity("idle", total / 2),
    series("pg_settings_max_connections", pgLabels, flat(maxConnections)),
  ];
  const transaction = (values: string) => [
    series("pg_stat_activity_max_tx_duration", { ...pgLabels, datname: database, state: "idle in transaction" }, values),
  ];
  const saturated = connections(maxConnections * above(t.postgresConnectionSaturation));
  return {
    PostgresExporterDown: exporterDown(pgLabels, "postgres-exporter-a"),
    PostgresDown: zeroMeansDown("pg_up", pgLabels, { pod: "postgresql-0" }, 1),
    PostgresConnectionSaturation: {
      fires: [fire("above", saturated, "4m", "10m", { pod: "postgresql-0" })],
      quiet: [quiet("one connection under", connections(maxConnections * t.postgresConnectionSaturation - 1), "20m")],
    },
    PostgresLongTransaction: {
      fires: [
        fire("transaction keeps running", transaction(`${t.longTransactionSeconds + 60}+60x30`), "0m", "5m", {
          pod: "postgresql-0",
          datname: database,
        }),
      ],
      quiet: [quiet("just under", transaction(flat(t.longTransactionSeconds - 1)), "20m")],
    },
  };
}

function redisCases(s: ObservabilitySettings): Record<string, AlertCase> {
  const t = s.thresholds;
  const { redis: redisLabels } = labelsOf(s);
  const maxmemory = 64 * 1024 * 1024;
  const memory = (used: number, max: number) => [
    series("redis_memory_used_bytes", redisLabels, flat(Math.round(used))),
    series("redis_memory_max_bytes", redisLabels, flat(max)),
  ];
  const evictions = (perMinute: number) => [series("redis_evicted_keys_total", redisLabels, counter(perMinute))];
  return {
    RedisExporterDown: exporterDown(redisLabels, "redis-exporter-a"),
    RedisDown: zeroMeansDown("redis_up", redisLabels, { pod: "redis-0" }, 1),
    RedisMemoryNearMax: {
      fires: [fire("above", memory(maxmemory * above(t.redisMemoryRatio), maxmemory), "9m", "15m", { pod: "redis-0" })],
      quiet: [
        quiet("just under", memory(maxmemory * t.redisMemoryRatio * 0.99, maxmemory), "30m"),
        quiet("no maxmemory set", memory(maxmemory, 0), "30m"),
      ],
    },
    RedisEvictions: {
      fires: [fire("evicting", evictions(5), "9m", "15m", { pod: "redis-0" })],
      quiet: [quiet("no evictions", evictions(0), "30m")],
    },
  };
}

function backupCases(s: ObservabilitySettings): Record<string, AlertCase> {
  const maxAge = s.thresholds.backupMaxAgeSeconds;
  const { backup: backupLabels } = labelsOf(s);
  // About a hundred evaluation steps up to the day-long `for`, whatever the backup schedule.
  const step = Math.max(1, Math.ceil(maxAge / 60 / 100));
  const maxAgeSteps = maxAge / 60 / step;
  const afterMaxAge = `${(Math.ceil(maxAgeSteps) + 1) * step}m`;
  const beforeMaxAge = `${(Math.floor(maxAgeSteps) - 1) * step}m`;
  const successAt = (values: string) => [series("backup_last_success_timestamp_seconds", backupLabels, values)];
  // Success timestamps before the epoch put the last backup far enough in the past from the first minute.
  const lastSuccess = (secondsAgoAtStart: number) => successAt(flat(-secondsAgoAtStart));
  const verify = (value: number) => [series("backup_verify_success", backupLabels, flat(value))];
  return {
    BackupTooOld: {
      fires: [fire("older than allowed", lastSuccess(maxAge + 600), "10m", "20m", { database })],
      // At 20m the backup is 10 minutes younger than the limit.
      quiet: [quiet("just younger than allowed", lastSuccess(maxAge - 1800), "20m")],
    },
    BackupMetricsAbsent: {
      stepMinutes: step,
      fires: [
        fire(
          "nothing ever pushed about this namespace, another environment's backups pushed",
          [series("backup_last_success_timestamp_seconds", { ...backupLabels, namespace: OTHER_NAMESPACE }, flat(0, Math.ceil(maxAgeSteps) + 3))],
          beforeMaxAge,
          afterMaxAge,
          { job: jobs.backup },
        ),
      ],
      quiet: [quiet("a backup reported all along", successAt(flat(0, Math.ceil(maxAgeSteps) + 3)), afterMaxAge)],
    },
    BackupVerificationFailed: {
      fires: [fire("verification failed", verify(0), "0m", "5m", { database })],
      quiet: [quiet("verification passed", verify(1), "10m")],
    },
  };
}

function importCases(s: ObservabilitySettings): Record<string, AlertCase> {
  const maxAge = s.thresholds.importMaxAgeSeconds;
  const { importer: league } = labelsOf(s);
  // Success timestamps before the epoch put the last import far enough in the past from the first minute.
  const lastSuccess = (secondsAgoAtStart: number) => series("import_last_success_timestamp_seconds", league, flat(-secondsAgoAtStart));
  const inSeason = (value: number) => series("import_season_active", league, flat(value));
  const quarantined = (value: number) => [series("import_quarantined_records", league, flat(value))];
  return {
    ImportStale: {
      fires: [fire("no success for longer than allowed, in season", [lastSuccess(maxAge + 600), inSeason(1)], "14m", "20m", { league: "E0" })],
      quiet: [
        // At 30m the last success is 10 minutes younger than the limit.
        quiet("imported just within the limit", [lastSuccess(maxAge - 2400), inSeason(1)], "30m"),
        quiet("stale but out of season", [lastSuccess(maxAge * 10), inSeason(0)], "30m"),
      ],
    },
    ImportRowsQuarantined: {
      fires: [fire("records held back", quarantined(3), "29m", "35m", { league: "E0" })],
      quiet: [quiet("nothing held back", quarantined(0), "60m")],
    },
  };
}

export function alertCases(s: ObservabilitySettings): Record<string, AlertCase> {
  return {
    ...serviceCases(s),
    ...kubernetesCases(s),
    ...postgresCases(s),
    ...cloudnativePgCases(s),
    ...redisCases(s),
    ...backupCases(s),
    ...importCases(s),
  };
}
