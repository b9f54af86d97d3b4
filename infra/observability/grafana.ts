import { dashboardJson, q, stat, timeseries, type DashboardSpec } from "./panels";
import { LAST_BACKUP_METRIC } from "./cnpgRules";
import { cpuOfLimit, memoryOfLimit, volumeInodeUsage, volumeUsage } from "./queries";
import { selectorsFor } from "./selectors";
import type { ObservabilitySettings } from "./settings";

/**
 * The stack's Grafana dashboards. The cluster's Grafana (kube-prometheus-stack) provisions the Prometheus
 * datasource and loads each dashboard from a ConfigMap through its sidecar; every query names the stack's
 * namespace, since that Prometheus holds every environment's series.
 */

function quantile(q: number, selector: string, by = ""): string {
  return `histogram_quantile(${q}, sum by (le${by}) (rate(http_request_duration_seconds_bucket{${selector}}[5m])))`;
}

function kubernetesSection(s: ObservabilitySettings): DashboardSpec["sections"][number] {
  const { kubeState } = selectorsFor(s);
  return {
    title: "Pods",
    panels: [
      timeseries("CPU used / limit", "percentunit", [q(cpuOfLimit(s), "{{pod}} {{container}}")], {
        alertAbove: s.thresholds.cpuLimitRatio,
      }),
      timeseries("Memory working set / limit", "percentunit", [q(memoryOfLimit(s), "{{pod}} {{container}}")], {
        alertAbove: s.thresholds.memoryLimitRatio,
      }),
      timeseries("Container restarts (1h)", "short", [
        q(`sum by (pod) (increase(kube_pod_container_status_restarts_total{${kubeState}}[1h]))`, "{{pod}}"),
      ]),
      timeseries("HPA replicas", "short", [
        q(`kube_horizontalpodautoscaler_status_current_replicas{${kubeState}}`, "{{horizontalpodautoscaler}} current"),
        q(`kube_horizontalpodautoscaler_spec_max_replicas{${kubeState}}`, "{{horizontalpodautoscaler}} max"),
      ]),
    ],
  };
}

function serviceDashboard(s: ObservabilitySettings): DashboardSpec {
  const t = s.thresholds;
  const { api, apiTraffic, svc } = selectorsFor(s);
  const errorRatio = (by: string) =>
    `sum${by} (rate(http_requests_total{${apiTraffic},status=~"5.."}[5m])) / sum${by} (rate(http_requests_total{${apiTraffic}}[5m]))`;
  const cacheRate = (metric: string) => `sum by (cache) (rate(${metric}{${svc}}[5m]))`;
  return {
    uid: "fp-service",
    title: `Football prediction: service (${s.environment})`,
    tags: ["football-prediction", s.environment],
    sections: [
      {
        title: "Overview",
        panels: [
          stat("Ready API pods", "short", `sum(service_ready{${api}})`, { alertBelow: 1 }),
          // Readiness ignores the database, so a pod cut off from it shows here (and in ServiceDatabaseUnreachable).
          stat("Pods not reaching PostgreSQL", "short", `count(database_up{${svc}} == 0) or vector(0)`, { alertAbove: 0 }),
          stat("Requests / s", "reqps", `sum(rate(http_requests_total{${api}}[5m]))`),
          stat("5xx ratio", "percentunit", errorRatio(""), { alertAbove: t.errorRatio }),
          stat("p95 latency", "s", quantile(0.95, apiTraffic), { alertAbove: t.latencyP95Seconds }),
        ],
      },
      {
        title: "HTTP",
        panels: [
          timeseries("Request rate by route and status", "reqps", [
            q(`sum by (route, status) (rate(http_requests_total{${api}}[5m]))`, "{{route}} {{status}}"),
          ]),
          timeseries("5xx ratio by route", "percentunit", [q(errorRatio(" by (route)"), "{{route}}")], {
            alertAbove: t.errorRatio,
          }),
          timeseries("Latency percentiles", "s", [
            q(quantile(0.5, apiTraffic), "p50"),
            q(quantile(0.95, apiTraffic), "p95"),
            q(quantile(0.99, apiTraffic), "p99"),
          ], { alertAbove: t.latencyP95Seconds }),
          timeseries("p95 latency by route", "s", [q(quantile(0.95, api, ", route"), "{{route}}")]),
          timeseries("Rate-limited requests / s", "reqps", [q(`sum(rate(rate_limited_requests_total{${svc}}[5m]))`, "429")]),
        ],
      },
      {
        title: "Predictions and model",
        panels: [
          timeseries("Predictions / s by league and source", "ops", [
            q(`sum by (league, source) (rate(predictions_total{${svc}}[5m]))`, "{{league}} {{source}}"),
          ]),
          timeseries("Prediction failures / s by reason", "ops", [
            q(`sum by (league, reason) (rate(prediction_failures_total{${svc}}[5m]))`, "{{league}} {{reason}}"),
          ]),
          timeseries("Model age", "s", [q(`max by (league) (model_age_seconds{${svc}})`, "{{league}}")], {
            alertAbove: t.modelMaxAgeSeconds,
          }),
          timeseries("Model fit duration p95", "s", [
            q(
              `histogram_quantile(0.95, sum by (le, league) (rate(model_fit_duration_seconds_bucket{${svc}}[1h])))`,
              "{{league}}",
            ),
          ]),
        ],
      },
      {
        title: "Cache and database pool",
        panels: [
          timeseries("Cache hit ratio", "percentunit", [
            q(`${cacheRate("cache_hits_total")} / (${cacheRate("cache_hits_total")} + ${cacheRate("cache_misses_total")})`, "{{cache}}"),
          ], { alertBelow: t.cacheHitRatioMin }),
          timeseries("Cache errors / s and circuit breaker", "short", [
            q(`sum by (operation) (rate(cache_errors_total{${svc}}[5m]))`, "errors {{operation}}"),
            q(`max(cache_circuit_open{${svc}})`, "circuit open"),
          ]),
          // A pod whose copy of the matches is gone (0) answers uncached predictions from PostgreSQL meanwhile.
          timeseries("Match catalogue per pod and its drops / s", "short", [
            q(`min by (pod) (match_catalogue_matches{${api}})`, "matches {{pod}}"),
            q(`sum by (reason) (rate(match_catalogue_drops_total{${api}}[5m]))`, "drops {{reason}}"),
          ]),
          timeseries("Database pool connections", "short", [
            q(`sum by (state) (db_pool_connections{${svc}})`, "{{state}}"),
            q(`sum(db_pool_max_connections{${svc}})`, "max"),
          ]),
          timeseries("Event loop lag p99", "s", [
            q(`max by (pod) (nodejs_eventloop_lag_p99_seconds{${svc}})`, "lag {{pod}}"),
          ]),
          timeseries("Resident memory", "bytes", [q(`sum by (pod) (process_resident_memory_bytes{${svc}})`, "{{pod}}")]),
        ],
      },
      importSection(s),
      kubernetesSection(s),
    ],
  };
}

/** What the import CronJob pushes after every run (job `import`): ages and counts read from the database. */
function importSection(s: ObservabilitySettings): DashboardSpec["sections"][number] {
  const { importer } = selectorsFor(s);
  const age = `time() - max by (league) (import_last_success_timestamp_seconds{${importer}})`;
  return {
    title: "Imports",
    panels: [
      stat("Oldest last import", "s", `max(${age})`, { alertAbove: s.thresholds.importMaxAgeSeconds }),
      stat("Quarantined records", "short", `sum(import_quarantined_records{${importer}})`, { alertAbove: 1 }),
      stat("Overdue fixtures", "short", `sum(import_overdue_fixtures{${importer}})`),
      stat("Leagues in season", "short", `sum(import_season_active{${importer}})`),
      timeseries("Age of the last successful import", "s", [q(age, "{{league}}")], { alertAbove: s.thresholds.importMaxAgeSeconds }),
      timeseries("Records of the last run by outcome", "short", [
        q(`sum by (league, outcome) (import_rows_total{${importer}})`, "{{league}} {{outcome}}"),
      ]),
      timeseries("Quarantined and overdue by league", "short", [
        q(`max by (league) (import_quarantined_records{${importer}})`, "quarantined {{league}}"),
        q(`max by (league) (import_overdue_fixtures{${importer}})`, "overdue {{league}}"),
      ]),
      timeseries("Source request errors of the last run", "short", [
        q(`sum by (source, reason) (import_request_errors_total{${importer}})`, "{{source}} {{reason}}"),
      ]),
    ],
  };
}

/** The CloudNativePG Cluster as its alerts (cnpgRules.ts) see it: instances, primary, replication, archive, backups. */
function cloudnativePgSection(s: ObservabilitySettings): DashboardSpec["sections"][number] {
  const t = s.thresholds;
  const { cnpg } = selectorsFor(s);
  const replication =
    s.postgresInstances > 1
      ? [
          timeseries("Replication lag", "s", [q(`max by (pod) (cnpg_pg_replication_lag{${cnpg}})`, "{{pod}}")], {
            alertAbove: t.replicationLagSeconds,
          }),
          timeseries("Primary (0) and replicas (1)", "short", [q(`max by (pod) (cnpg_pg_replication_in_recovery{${cnpg}})`, "{{pod}}")]),
        ]
      : [];
  const backups = s.continuousBackups
    ? [
        stat("Newest base backup age", "s", `time() - max(${LAST_BACKUP_METRIC}{${cnpg}})`, { alertAbove: t.baseBackupMaxAgeSeconds }),
        timeseries("WAL archived and failed / s", "ops", [
          q(`sum by (pod) (rate(cnpg_pg_stat_archiver_archived_count{${cnpg}}[5m]))`, "archived {{pod}}"),
          q(`sum by (pod) (rate(cnpg_pg_stat_archiver_failed_count{${cnpg}}[5m]))`, "failed {{pod}}"),
        ]),
      ]
    : [];
  return {
    title: `CloudNativePG cluster ${s.postgresCluster}`,
    panels: [
      stat("Instances up", "short", `count(cnpg_collector_up{${cnpg}} == 1) or vector(0)`, { alertBelow: s.postgresInstances }),
      ...backups,
      ...replication,
    ],
  };
}

/** How full the watched volumes are, in bytes and in inodes, as the volume alerts see them. */
function volumePanels(s: ObservabilitySettings) {
  const limit = { alertAbove: s.thresholds.pvcUsageRatio };
  return [
    timeseries("Volume usage", "percentunit", [q(volumeUsage(s), "{{persistentvolumeclaim}}")], limit),
    timeseries("Volume inodes used", "percentunit", [q(volumeInodeUsage(s), "{{persistentvolumeclaim}}")], limit),
  ];
}

function datastoresDashboard(s: ObservabilitySettings): DashboardSpec {
  const t = s.thresholds;
  const { pg, redis } = selectorsFor(s);
  const keyspace = (metric: string) => `sum(rate(${metric}{${redis}}[5m]))`;
  return {
    uid: "fp-datastores",
    title: `Football prediction: PostgreSQL and Redis (${s.environment})`,
    tags: ["football-prediction", s.environment],
    sections: [
      {
        title: "PostgreSQL",
        panels: [
          stat("PostgreSQL up", "short", `min(pg_up{${pg}})`, { alertBelow: 1 }),
          stat(
            "Connections used",
            "percentunit",
            `max(sum by (pod) (pg_stat_activity_count{${pg}}) / max by (pod) (pg_settings_max_connections{${pg}}))`,
            { alertAbove: t.postgresConnectionSaturation },
          ),
          stat("Database size", "bytes", `sum(pg_database_size_bytes{${pg}})`),
          stat("Longest transaction", "s", `max(pg_stat_activity_max_tx_duration{${pg}})`, {
            alertAbove: t.longTransactionSeconds,
          }),
          timeseries("Connections by state", "short", [
            q(`sum by (state) (pg_stat_activity_count{${pg}})`, "{{state}}"),
            q(`max(pg_settings_max_connections{${pg}})`, "max_connections"),
          ]),
          timeseries("Longest transaction by database", "s", [
            q(`max by (datname) (pg_stat_activity_max_tx_duration{${pg}})`, "{{datname}}"),
          ], { alertAbove: t.longTransactionSeconds }),
          timeseries("Commits and rollbacks / s", "ops", [
            q(`sum by (datname) (rate(pg_stat_database_xact_commit{${pg}}[5m]))`, "commit {{datname}}"),
            q(`sum by (datname) (rate(pg_stat_database_xact_rollback{${pg}}[5m]))`, "rollback {{datname}}"),
          ]),
          timeseries("Deadlocks / s", "ops", [q(`sum by (datname) (rate(pg_stat_database_deadlocks{${pg}}[5m]))`, "{{datname}}")]),
        ],
      },
      cloudnativePgSection(s),
      {
        title: "Redis",
        panels: [
          stat("Redis up", "short", `min(redis_up{${redis}})`, { alertBelow: 1 }),
          stat(
            "Memory used / maxmemory",
            "percentunit",
            `max(redis_memory_used_bytes{${redis}} / (redis_memory_max_bytes{${redis}} > 0))`,
            { alertAbove: t.redisMemoryRatio },
          ),
          stat("Connected clients", "short", `sum(redis_connected_clients{${redis}})`),
          stat("Keys", "short", `sum(redis_db_keys{${redis}})`),
          timeseries("Memory", "bytes", [
            q(`sum(redis_memory_used_bytes{${redis}})`, "used"),
            q(`max(redis_memory_max_bytes{${redis}})`, "maxmemory"),
          ]),
          timeseries("Evicted and expired keys / s", "ops", [
            q(keyspace("redis_evicted_keys_total"), "evicted"),
            q(keyspace("redis_expired_keys_total"), "expired"),
          ]),
          timeseries("Keyspace hit ratio", "percentunit", [
            q(
              `${keyspace("redis_keyspace_hits_total")} / (${keyspace("redis_keyspace_hits_total")} + ${keyspace("redis_keyspace_misses_total")})`,
              "hit ratio",
            ),
          ]),
          timeseries("Commands / s", "ops", [q(keyspace("redis_commands_processed_total"), "commands")]),
        ],
      },
      {
        title: "Volumes",
        panels: volumePanels(s),
      },
    ],
  };
}

function backupsDashboard(s: ObservabilitySettings): DashboardSpec {
  const t = s.thresholds;
  const { backup } = selectorsFor(s);
  const age = `time() - max by (database) (backup_last_success_timestamp_seconds{${backup}})`;
  return {
    uid: "fp-backups",
    title: `Football prediction: backups (${s.environment})`,
    tags: ["football-prediction", s.environment],
    sections: [
      {
        title: "Backups",
        panels: [
          stat("Age of the last backup", "s", `max(${age})`, { alertAbove: t.backupMaxAgeSeconds }),
          stat("Last verification", "short", `min(backup_verify_success{${backup}})`, { alertBelow: 1 }),
          stat(
            "Age of the last verification",
            "s",
            `time() - min(backup_verify_last_run_timestamp_seconds{${backup}})`,
          ),
          stat("Last backup size", "bytes", `sum(backup_size_bytes{${backup}})`),
          timeseries("Age of the last backup", "s", [q(age, "{{database}}")], { alertAbove: t.backupMaxAgeSeconds }),
          timeseries("Verification result", "short", [q(`min by (database) (backup_verify_success{${backup}})`, "{{database}}")], {
            alertBelow: 1,
          }),
          timeseries("Backup size", "bytes", [q(`max by (database) (backup_size_bytes{${backup}})`, "{{database}}")]),
          timeseries("Backup duration", "s", [q(`max by (database) (backup_duration_seconds{${backup}})`, "{{database}}")]),
          ...volumePanels(s),
        ],
      },
    ],
  };
}

/** File name → dashboard JSON: each becomes a ConfigMap the Grafana sidecar loads. */
export function renderGrafanaDashboards(s: ObservabilitySettings): Record<string, string> {
  return {
    "football-prediction-service.json": dashboardJson(serviceDashboard(s)),
    "football-prediction-datastores.json": dashboardJson(datastoresDashboard(s)),
    "football-prediction-backups.json": dashboardJson(backupsDashboard(s)),
  };
}
