import { stringify } from "yaml";
import { humanSeconds, percent, promDuration, runbookUrl, type AlertGroup, type AlertRule, type Subsystem } from "./alertFormat";
import { cloudnativePgRules } from "./cnpgRules";
import { cpuOfLimit, memoryOfLimit, volumeUsage } from "./queries";
import { api, apiTraffic, backup, databaseClients, importer, kubeState, pg, redis, svc, web } from "./selectors";
import { jobs, type AlertThresholds, type ObservabilitySettings } from "./settings";

export type { AlertGroup, AlertRule, Severity, Subsystem } from "./alertFormat";
export { runbookUrl } from "./alertFormat";

function serviceRules(t: AlertThresholds): AlertRule[] {
  return [
    {
      alert: "ServiceDown",
      // service_ready disappears with the pod's scrape, so "no ready API pod" also covers "no API pod up".
      expr: `(sum(service_ready{${api}}) or vector(0)) == 0`,
      for: "2m",
      severity: "critical",
      subsystem: "api",
      summary: "No API pod is up and ready",
      description: "No API pod has been scraped and ready for 2 minutes: the prediction API is not serving.",
    },
    {
      alert: "PageDown",
      // `up` rather than readiness: the page's pods have no dependency whose loss would make them unready.
      expr: `(sum(up{${web}}) or vector(0)) == 0`,
      for: "2m",
      severity: "critical",
      subsystem: "api",
      summary: "No pod of the web page is up",
      description: "No pod serving the web page (the `web` command) has been scraped for 2 minutes: / answers 502/503.",
    },
    {
      alert: "ServiceTargetDown",
      expr: `max by (pod, component) (up{${svc}}) == 0`,
      for: "5m",
      severity: "warning",
      subsystem: "api",
      summary: "{{ $labels.component }} pod {{ $labels.pod }} cannot be scraped",
      description: "Prometheus has failed to scrape /metrics of {{ $labels.component }} pod {{ $labels.pod }} for 5 minutes.",
    },
    {
      alert: "ServiceReadinessFailing",
      expr: `min by (pod) (service_ready{${api}}) == 0`,
      for: "5m",
      severity: "warning",
      subsystem: "api",
      summary: "API pod {{ $labels.pod }} is not ready",
      description: "API pod {{ $labels.pod }} has reported not ready (migrations or model) for 5 minutes.",
    },
    {
      alert: "ServiceDatabaseUnreachable",
      // Readiness ignores the database (a failover must not empty the Service), so this is where a pod that
      // cannot reach it shows. Subsystem postgres: while PostgresDown pages, this warning is inhibited, and what
      // is left is the path from the pods to the database (NetworkPolicy, pooler, credentials).
      expr: `min by (pod, component) (database_up{${databaseClients}}) == 0`,
      for: "2m",
      severity: "warning",
      subsystem: "postgres",
      summary: "{{ $labels.component }} pod {{ $labels.pod }} cannot reach PostgreSQL",
      description:
        "{{ $labels.component }} pod {{ $labels.pod }} has not reached PostgreSQL for 2 minutes: it answers cached " +
        "reads and 503 for the rest.",
    },
    {
      alert: "HighErrorRatio",
      expr:
        `sum(rate(http_requests_total{${apiTraffic},status=~"5.."}[5m]))` +
        ` / sum(rate(http_requests_total{${apiTraffic}}[5m])) > ${t.errorRatio}`,
      for: "5m",
      severity: "critical",
      subsystem: "api",
      summary: "More than " + percent(t.errorRatio) + " of API requests fail with 5xx",
      description: `The share of 5xx responses has been above ${percent(t.errorRatio)} for 5 minutes.`,
    },
    {
      alert: "HighLatencyP95",
      expr:
        `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${apiTraffic}}[5m])))` +
        ` > ${t.latencyP95Seconds}`,
      for: "5m",
      severity: "warning",
      subsystem: "api",
      summary: `API p95 latency is above ${t.latencyP95Seconds * 1000} ms`,
      description: `The 95th percentile of API response times has been above ${t.latencyP95Seconds * 1000} ms for 5 minutes.`,
    },
    {
      alert: "PredictionFailures",
      // `or vector(0)`: when every prediction fails predictions_total may not exist at all.
      expr:
        `sum(rate(prediction_failures_total{${svc}}[5m]))` +
        ` / (sum(rate(prediction_failures_total{${svc}}[5m])) + (sum(rate(predictions_total{${svc}}[5m])) or vector(0)))` +
        ` > ${t.predictionFailureRatio}`,
      for: "5m",
      severity: "warning",
      subsystem: "api",
      summary: `More than ${percent(t.predictionFailureRatio)} of predictions fail`,
      description: `More than ${percent(t.predictionFailureRatio)} of prediction requests have failed for 5 minutes.`,
    },
    {
      alert: "ModelStale",
      expr: `max by (league) (model_age_seconds{${svc}}) > ${t.modelMaxAgeSeconds}`,
      for: "10m",
      severity: "warning",
      subsystem: "api",
      summary: "The {{ $labels.league }} model is older than its refit interval",
      description:
        `A pod serves a {{ $labels.league }} model fitted more than ${humanSeconds(t.modelMaxAgeSeconds)} ago: ` +
        "refits are failing or pods do not pick up new models.",
    },
  ];
}

function cacheRules(t: AlertThresholds): AlertRule[] {
  const lookups = (metric: string) => `sum by (cache) (rate(${metric}{${svc}}[15m]))`;
  return [
    {
      alert: "CacheHitRatioCollapse",
      expr:
        `${lookups("cache_hits_total")} / (${lookups("cache_hits_total")} + ${lookups("cache_misses_total")})` +
        ` < ${t.cacheHitRatioMin}`,
      for: "15m",
      severity: "warning",
      subsystem: "redis",
      summary: "The {{ $labels.cache }} cache hit ratio collapsed",
      description:
        `Fewer than ${percent(t.cacheHitRatioMin)} of {{ $labels.cache }} cache lookups have hit for 15 minutes; ` +
        "the database takes the load instead.",
    },
    {
      alert: "CacheCircuitOpen",
      expr: `max(cache_circuit_open{${svc}}) == 1`,
      for: "5m",
      severity: "warning",
      subsystem: "redis",
      summary: "The Redis circuit breaker is open",
      description: "At least one pod has bypassed Redis with an open circuit breaker for 5 minutes.",
    },
  ];
}

function kubernetesRules(s: ObservabilitySettings): AlertRule[] {
  const t = s.thresholds;
  return [
    exporterDownRule("KubeStateMetricsDown", jobs.kubeStateMetrics, "kubernetes", "kube-state-metrics"),
    {
      alert: "PodRestarting",
      expr: `sum by (pod, container) (increase(kube_pod_container_status_restarts_total{${kubeState}}[15m])) > 2`,
      for: "5m",
      severity: "warning",
      subsystem: "kubernetes",
      summary: "Container {{ $labels.container }} of {{ $labels.pod }} keeps restarting",
      description: "Container {{ $labels.container }} of pod {{ $labels.pod }} restarted more than twice in 15 minutes.",
    },
    {
      alert: "HpaAtMaximum",
      // Against each HPA's own maximum: the API's and the page's autoscalers have different ones.
      expr:
        `max by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas{${kubeState}})` +
        ` >= max by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas{${kubeState}})`,
      for: "15m",
      severity: "warning",
      subsystem: "kubernetes",
      summary: "HPA {{ $labels.horizontalpodautoscaler }} is at its maximum",
      description:
        "HPA {{ $labels.horizontalpodautoscaler }} has run its maximum number of replicas for 15 minutes; " +
        "more load will not be absorbed.",
    },
    {
      alert: "ContainerCpuNearLimit",
      expr: `${cpuOfLimit()} > ${t.cpuLimitRatio}`,
      for: "15m",
      severity: "warning",
      subsystem: "kubernetes",
      summary: "Pod {{ $labels.pod }} is near its CPU limit",
      description:
        `The process of pod {{ $labels.pod }} has used more than ${percent(t.cpuLimitRatio)} of the pod's CPU limit ` +
        "for 15 minutes and is being throttled.",
    },
    {
      alert: "ContainerMemoryNearLimit",
      expr: `${memoryOfLimit()} > ${t.memoryLimitRatio}`,
      for: "15m",
      severity: "warning",
      subsystem: "kubernetes",
      summary: "Pod {{ $labels.pod }} is near its memory limit",
      description:
        `The process of pod {{ $labels.pod }} has held more than ${percent(t.memoryLimitRatio)} of the pod's memory ` +
        "limit for 15 minutes and risks an OOM kill.",
    },
    {
      alert: "PersistentVolumeFilling",
      expr: `(${volumeUsage(s)}) > ${t.pvcUsageRatio}`,
      for: "10m",
      severity: "warning",
      subsystem: "kubernetes",
      summary: "Volume {{ $labels.persistentvolumeclaim }} is filling up",
      description:
        `What the workload on volume {{ $labels.persistentvolumeclaim }} reports storing has been more than ` +
        `${percent(t.pvcUsageRatio)} of the volume's size for 10 minutes.`,
    },
  ];
}

/** Alerts when an exporter pod is down or no exporter is discovered at all, which would silence its other rules. */
function exporterDownRule(alert: string, job: string, subsystem: Subsystem, what: string): AlertRule {
  return {
    alert,
    expr: `(max by (pod) (up{job="${job}"}) == 0) or absent(up{job="${job}"})`,
    for: "5m",
    severity: "warning",
    subsystem,
    summary: `The ${what} exporter is not scraped`,
    description: `Prometheus has had no metrics from the ${what} exporter for 5 minutes, so the ${what} alerts cannot fire.`,
  };
}

function postgresRules(s: ObservabilitySettings): AlertRule[] {
  const t = s.thresholds;
  return [
    exporterDownRule("PostgresExporterDown", jobs.postgresExporter, "postgres", "PostgreSQL"),
    {
      alert: "PostgresDown",
      expr: `max by (pod) (pg_up{${pg}}) == 0`,
      for: "1m",
      severity: "critical",
      subsystem: "postgres",
      summary: "PostgreSQL {{ $labels.pod }} is down",
      description: "The exporter beside {{ $labels.pod }} has not reached PostgreSQL for a minute.",
    },
    {
      alert: "PostgresConnectionSaturation",
      expr:
        `sum by (pod) (pg_stat_activity_count{${pg}}) / max by (pod) (pg_settings_max_connections{${pg}})` +
        ` > ${t.postgresConnectionSaturation}`,
      for: "5m",
      severity: "warning",
      subsystem: "postgres",
      summary: "PostgreSQL {{ $labels.pod }} is running out of connections",
      description:
        `More than ${percent(t.postgresConnectionSaturation)} of max_connections of {{ $labels.pod }} ` +
        "have been in use for 5 minutes.",
    },
    {
      alert: "PostgresLongTransaction",
      expr: `max by (pod, datname) (pg_stat_activity_max_tx_duration{${pg}}) > ${t.longTransactionSeconds}`,
      for: "1m",
      severity: "warning",
      subsystem: "postgres",
      summary: "A transaction on {{ $labels.datname }} has run too long",
      description:
        `A transaction on database {{ $labels.datname }} of {{ $labels.pod }} has been open for more than ` +
        `${humanSeconds(t.longTransactionSeconds)}; it holds locks and blocks vacuum.`,
    },
  ];
}

function redisRules(t: AlertThresholds): AlertRule[] {
  return [
    exporterDownRule("RedisExporterDown", jobs.redisExporter, "redis", "Redis"),
    {
      alert: "RedisDown",
      expr: `max by (pod) (redis_up{${redis}}) == 0`,
      for: "1m",
      severity: "critical",
      subsystem: "redis",
      summary: "Redis {{ $labels.pod }} is down",
      description: "The exporter beside {{ $labels.pod }} has not reached Redis for a minute; the API runs without its cache.",
    },
    {
      alert: "RedisMemoryNearMax",
      // `> 0` skips a Redis without maxmemory, whose ratio would otherwise be +Inf.
      expr:
        `max by (pod) (redis_memory_used_bytes{${redis}} / (redis_memory_max_bytes{${redis}} > 0))` +
        ` > ${t.redisMemoryRatio}`,
      for: "10m",
      severity: "warning",
      subsystem: "redis",
      summary: "Redis {{ $labels.pod }} is near maxmemory",
      description: `Redis {{ $labels.pod }} has used more than ${percent(t.redisMemoryRatio)} of maxmemory for 10 minutes.`,
    },
    {
      alert: "RedisEvictions",
      expr: `sum by (pod) (rate(redis_evicted_keys_total{${redis}}[5m])) > 0`,
      for: "10m",
      severity: "warning",
      subsystem: "redis",
      summary: "Redis {{ $labels.pod }} is evicting keys",
      description: "Redis {{ $labels.pod }} has evicted keys before their TTL for 10 minutes: the cache is too small.",
    },
  ];
}

function backupRules(t: AlertThresholds): AlertRule[] {
  const maxAge = humanSeconds(t.backupMaxAgeSeconds);
  return [
    {
      alert: "BackupTooOld",
      expr: `time() - max by (database) (backup_last_success_timestamp_seconds{${backup}}) > ${t.backupMaxAgeSeconds}`,
      for: "15m",
      severity: "critical",
      subsystem: "backup",
      summary: "No recent backup of {{ $labels.database }}",
      description: `The last successful backup of {{ $labels.database }} is more than ${maxAge} old.`,
    },
    {
      alert: "BackupMetricsAbsent",
      expr: `absent(backup_last_success_timestamp_seconds{${backup}})`,
      for: promDuration(t.backupMaxAgeSeconds),
      severity: "warning",
      subsystem: "backup",
      summary: "No backup has reported to the Pushgateway",
      description:
        `No backup job has pushed a success timestamp for ${maxAge}: backups never ran, ` +
        "cannot reach the Pushgateway, or the Pushgateway lost its state.",
    },
    {
      alert: "BackupVerificationFailed",
      expr: `min by (database) (backup_verify_success{${backup}}) == 0`,
      for: "1m",
      severity: "critical",
      subsystem: "backup",
      summary: "The latest backup of {{ $labels.database }} failed verification",
      description: "The last restore test of the {{ $labels.database }} backup failed: that backup may not restore.",
    },
  ];
}

/** The import CronJob pushes its state to the Pushgateway (job `import`), read back from the database on every run. */
function importRules(t: AlertThresholds): AlertRule[] {
  return [
    {
      alert: "ImportStale",
      // A league out of season imports nothing new and is allowed to; one never imported reads 0, so is stale.
      expr:
        `(time() - max by (league) (import_last_success_timestamp_seconds{${importer}})) > ${t.importMaxAgeSeconds}` +
        ` and on (league) max by (league) (import_season_active{${importer}}) == 1`,
      for: "15m",
      severity: "warning",
      subsystem: "import",
      summary: "Fixtures and results of {{ $labels.league }} are stale",
      description:
        `{{ $labels.league }} has not imported successfully for more than ${humanSeconds(t.importMaxAgeSeconds)} during ` +
        "its season: new results and re-dated fixtures are missing, and the model refits on old data.",
    },
    {
      alert: "ImportRowsQuarantined",
      expr: `max by (league) (import_quarantined_records{${importer}}) > 0`,
      for: "30m",
      severity: "warning",
      subsystem: "import",
      summary: "Records of {{ $labels.league }} wait in the import quarantine",
      description:
        "Records of {{ $labels.league }} failed the import's data-quality gate and were not written; " +
        "an operator has to accept or discard them (`quarantine list`).",
    },
  ];
}

export function alertGroups(s: ObservabilitySettings): AlertGroup[] {
  const t = s.thresholds;
  return [
    { name: "football-prediction.service", rules: [...serviceRules(t), ...cacheRules(t)] },
    { name: "football-prediction.kubernetes", rules: kubernetesRules(s) },
    { name: "football-prediction.postgres", rules: [...postgresRules(s), ...cloudnativePgRules(s)] },
    { name: "football-prediction.redis", rules: redisRules(t) },
    { name: "football-prediction.backup", rules: backupRules(t) },
    { name: "football-prediction.import", rules: importRules(t) },
  ];
}

function ruleDocument(rule: AlertRule): Record<string, unknown> {
  return {
    alert: rule.alert,
    expr: rule.expr,
    for: rule.for,
    labels: { severity: rule.severity, subsystem: rule.subsystem },
    annotations: { summary: rule.summary, description: rule.description, runbook_url: runbookUrl(rule.alert) },
  };
}

export function renderAlertRules(s: ObservabilitySettings): string {
  return stringify(
    { groups: alertGroups(s).map((group) => ({ name: group.name, rules: group.rules.map(ruleDocument) })) },
    { lineWidth: 0 },
  );
}
