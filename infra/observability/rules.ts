import { stringify } from "yaml";
import { humanSeconds, percent, promDuration, runbookUrl, type AlertGroup, type AlertRule, type Subsystem } from "./alertFormat";
import { cloudnativePgRules } from "./cnpgRules";
import { kubernetesRules } from "./kubernetesRules";
import { selectorsFor, type Selectors } from "./selectors";
import type { AlertThresholds, ObservabilitySettings } from "./settings";

export type { AlertGroup, AlertRule, Severity, Subsystem } from "./alertFormat";
export { runbookUrl } from "./alertFormat";

function serviceRules(t: AlertThresholds, sel: Selectors): AlertRule[] {
  const { api, apiTraffic, databaseClients, svc, web } = sel;
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

function cacheRules(t: AlertThresholds, { svc }: Selectors): AlertRule[] {
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

/** Alerts when an exporter pod is down or no exporter is discovered at all, which would silence its other rules. */
function exporterDownRule(alert: string, selector: string, subsystem: Subsystem, what: string): AlertRule {
  return {
    alert,
    expr: `(max by (pod) (up{${selector}}) == 0) or absent(up{${selector}})`,
    for: "5m",
    severity: "warning",
    subsystem,
    summary: `The ${what} exporter is not scraped`,
    description: `Prometheus has had no metrics from the ${what} exporter for 5 minutes, so the ${what} alerts cannot fire.`,
  };
}

function postgresRules(t: AlertThresholds, { pg }: Selectors): AlertRule[] {
  return [
    exporterDownRule("PostgresExporterDown", pg, "postgres", "PostgreSQL"),
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

function redisRules(t: AlertThresholds, { redis }: Selectors): AlertRule[] {
  return [
    exporterDownRule("RedisExporterDown", redis, "redis", "Redis"),
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

function backupRules(t: AlertThresholds, { backup }: Selectors): AlertRule[] {
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
        "cannot reach the Pushgateway, or push without this namespace's grouping label, or the Pushgateway lost its state.",
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
function importRules(t: AlertThresholds, { importer }: Selectors): AlertRule[] {
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
  const sel = selectorsFor(s);
  return [
    { name: "football-prediction.service", rules: [...serviceRules(t, sel), ...cacheRules(t, sel)] },
    { name: "football-prediction.kubernetes", rules: kubernetesRules(s) },
    { name: "football-prediction.postgres", rules: [...postgresRules(t, sel), ...cloudnativePgRules(s)] },
    { name: "football-prediction.redis", rules: redisRules(t, sel) },
    { name: "football-prediction.backup", rules: backupRules(t, sel) },
    { name: "football-prediction.import", rules: importRules(t, sel) },
  ];
}

/** One rule of a PrometheusRule's group, as Prometheus reads it. */
export interface RuleDocument {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** One group of a PrometheusRule's `spec.groups`. */
export interface RuleGroupDocument {
  name: string;
  interval: string;
  rules: RuleDocument[];
}

/**
 * The labels every alert of the stack carries. Aggregations drop the series' `namespace`, and the Alertmanager
 * route the operator generates from this stack's AlertmanagerConfig matches `namespace="<ns>"`, so the rule sets
 * it; `environment` names the stack in notifications.
 */
export function alertLabels(s: ObservabilitySettings): Record<string, string> {
  return { namespace: s.namespace, environment: s.environment };
}

function ruleDocument(rule: AlertRule, s: ObservabilitySettings): RuleDocument {
  return {
    alert: rule.alert,
    expr: rule.expr,
    for: rule.for,
    labels: { severity: rule.severity, subsystem: rule.subsystem, ...alertLabels(s) },
    annotations: { summary: rule.summary, description: rule.description, runbook_url: runbookUrl(rule.alert) },
  };
}

/** The `spec` of the stack's PrometheusRule: every alert group, evaluated every `evaluationInterval`. */
export function prometheusRuleSpec(s: ObservabilitySettings): { groups: RuleGroupDocument[] } {
  return {
    groups: alertGroups(s).map((group) => ({
      name: group.name,
      interval: s.evaluationInterval,
      rules: group.rules.map((rule) => ruleDocument(rule, s)),
    })),
  };
}

/** The same groups as a Prometheus rules file, for promtool. */
export function renderAlertRules(s: ObservabilitySettings): string {
  return stringify(prometheusRuleSpec(s), { lineWidth: 0 });
}
