import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../support/processes";

/**
 * Every metric the rules and dashboards may query: the service's and the backups' (read from
 * docs/service-interface.md, the contract), prom-client's defaults that the document allows (read from the
 * installed prom-client), and the metrics of the exporters and of the platform's monitoring relied on, each as
 * named in its source.
 */
export const exporterMetrics: Record<string, readonly string[]> = {
  // Synthesised by Prometheus for every target.
  prometheus: ["up"],
  // prometheus-community/postgres_exporter: pg_up from the exporter itself, the rest from the default collectors
  // stat_activity, settings, database and stat_database.
  "postgres-exporter": [
    "pg_up",
    "pg_stat_activity_count",
    "pg_stat_activity_max_tx_duration",
    "pg_settings_max_connections",
    "pg_database_size_bytes",
    "pg_stat_database_xact_commit",
    "pg_stat_database_xact_rollback",
    "pg_stat_database_deadlocks",
  ],
  // cloudnative-pg/cloudnative-pg: cnpg_collector_up from the instance manager's collector
  // (pkg/management/postgres/webserver/metricserver), the rest from the operator's default queries
  // (config/manager/default-monitoring.yaml: pg_replication, pg_stat_archiver), named cnpg_<query>_<column>; the
  // Barman Cloud plugin's backup timestamp, which the plugin adds to the instance's exporter (its docs,
  // "Observability").
  "cloudnative-pg": [
    "cnpg_collector_up",
    "cnpg_pg_replication_lag",
    "cnpg_pg_replication_in_recovery",
    "cnpg_pg_stat_archiver_archived_count",
    "cnpg_pg_stat_archiver_failed_count",
    "cnpg_pg_stat_archiver_last_archived_time",
    "cnpg_pg_stat_archiver_last_failed_time",
    "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp",
  ],
  // oliver006/redis_exporter: INFO fields mapped in exporter/exporter.go, plus redis_up and redis_db_keys.
  "redis-exporter": [
    "redis_up",
    "redis_memory_used_bytes",
    "redis_memory_max_bytes",
    "redis_evicted_keys_total",
    "redis_expired_keys_total",
    "redis_keyspace_hits_total",
    "redis_keyspace_misses_total",
    "redis_connected_clients",
    "redis_commands_processed_total",
    "redis_db_keys",
  ],
  // The platform's kube-state-metrics (v2 names, docs/metrics/workload/pod-metrics.md and
  // docs/metrics/workload/horizontalpodautoscaler-metrics.md of kubernetes/kube-state-metrics).
  "kube-state-metrics": [
    "kube_pod_container_status_restarts_total",
    "kube_pod_container_resource_limits",
    "kube_horizontalpodautoscaler_status_current_replicas",
    "kube_horizontalpodautoscaler_spec_max_replicas",
  ],
  // The kubelet's own /metrics: the volume statistics of kubernetes/kubernetes pkg/kubelet/metrics/metrics.go
  // (VolumeStats*Key under the kubelet subsystem).
  kubelet: [
    "kubelet_volume_stats_used_bytes",
    "kubelet_volume_stats_capacity_bytes",
    "kubelet_volume_stats_inodes_used",
    "kubelet_volume_stats_inodes",
  ],
  // cAdvisor in the kubelet (/metrics/cadvisor), google/cadvisor metrics/prometheus.go; both survive the
  // `cAdvisorMetricRelabelings` drops of kube-prometheus-stack's values.yaml.
  cadvisor: ["container_cpu_usage_seconds_total", "container_memory_working_set_bytes"],
};

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`## ${heading}\n`);
  if (start < 0) throw new Error(`docs/service-interface.md has no "## ${heading}" section`);
  const end = markdown.indexOf("\n## ", start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** prom-client's default metric names, from its sources, for the `process_*` and `nodejs_*` rows. */
function promClientDefaults(): string[] {
  const dir = path.join(REPO_ROOT, "node_modules", "prom-client", "lib", "metrics");
  const names = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".js"))) {
    for (const match of readFileSync(path.join(dir, file), "utf8").matchAll(/'((?:process|nodejs)_[a-z0-9_]+)'/g)) {
      names.add(match[1]);
    }
  }
  return [...names];
}

function wildcardMatcher(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/\*/g, "[a-z0-9_]*")}$`);
}

/** Metric names the service interface document promises, with histogram series suffixes. */
export function documentedMetrics(): Set<string> {
  const doc = section(readFileSync(path.join(REPO_ROOT, "docs", "service-interface.md"), "utf8"), "Metrics");
  const names = new Set<string>();
  for (const row of doc.split("\n").filter((line) => line.startsWith("| `"))) {
    const [, nameCell, typeCell] = row.split("|");
    for (const [, name] of nameCell.matchAll(/`([^`]+)`/g)) {
      if (name.includes("*")) {
        promClientDefaults().filter((n) => wildcardMatcher(name).test(n)).forEach((n) => names.add(n));
      } else if (typeCell.trim() === "histogram") {
        ["_bucket", "_sum", "_count"].forEach((suffix) => names.add(`${name}${suffix}`));
      } else {
        names.add(name);
      }
    }
  }
  for (const [, name] of doc.matchAll(/`(backup_[a-z0-9_]+)`/g)) names.add(name);
  return names;
}

export function allowedMetrics(): Set<string> {
  return new Set([...documentedMetrics(), ...Object.values(exporterMetrics).flat()]);
}
