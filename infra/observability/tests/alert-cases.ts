import { parse, stringify } from "yaml";
import { alertGroups, renderAlertRules, runbookUrl, type AlertRule } from "../rules";
import { jobs, type ObservabilitySettings } from "../settings";
import { cloudnativePgCases } from "./cnpg-cases";

/**
 * Unit tests for every alert rule, in `promtool test rules` form. Each alert has scenarios that must fire and
 * scenarios that must not: values just on the safe side of the threshold, and (through `pendingAt`) a
 * condition that holds for less than the rule's `for`. Series are derived from the settings' thresholds, so
 * every stack's rules are tested with its own numbers.
 */

export interface InputSeries {
  series: string;
  values: string;
}

export interface FiringScenario {
  name: string;
  series: InputSeries[];
  /** When the alert must be firing. */
  evalAt: string;
  /** The alert's labels besides alertname, severity and subsystem. */
  labels: Record<string, string>;
  /** A time when the condition already holds but `for` has not passed, so the alert must not fire yet. */
  pendingAt: string;
}

export interface QuietScenario {
  name: string;
  series: InputSeries[];
  evalAt: string;
}

export interface AlertCase {
  fires: FiringScenario[];
  quiet: QuietScenario[];
  /**
   * Minutes between samples and between rule evaluations (default 1). promtool evaluates the rule at every
   * step up to the last eval time, so alerts whose `for` lasts days use a coarser step; their eval times
   * must then be multiples of it.
   */
  stepMinutes?: number;
}

/** Label selector text, e.g. `{job="x",pod="y"}`. */
function selector(labels: Record<string, string>): string {
  return `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",")}}`;
}

export function series(metric: string, labels: Record<string, string>, values: string): InputSeries {
  return { series: `${metric}${selector(labels)}`, values };
}

/** A gauge holding one value for `samples` samples (a minute apart unless the case sets stepMinutes). */
export function flat(value: number, samples = 60): string {
  return `${value}+0x${samples}`;
}

/** A counter growing by `perMinute` each one-minute sample. */
function counter(perMinute: number, samples = 60): string {
  return `0+${perMinute}x${samples}`;
}

type Labels = Record<string, string>;

/** An alert that must be pending (not firing) at `pendingAt` and firing with `labels` at `evalAt`. */
export function fire(name: string, input: InputSeries[], pendingAt: string, evalAt: string, labels: Labels = {}): FiringScenario {
  return { name, series: input, pendingAt, evalAt, labels };
}

export function quiet(name: string, input: InputSeries[], evalAt: string): QuietScenario {
  return { name, series: input, evalAt };
}

/** A value halfway between the threshold and 1, for ratios that must fire. */
function above(ratio: number): number {
  return ratio + (1 - ratio) / 2;
}

const svcLabels = { job: jobs.service, component: "api", pod: "api-a" };
const workerLabels = { ...svcLabels, component: "worker", pod: "worker-a" };
const pgLabels = { job: jobs.postgresExporter, pod: "postgresql-0" };
const redisLabels = { job: jobs.redisExporter, pod: "redis-0" };
const database = "football_prediction";
const backupLabels = { job: jobs.backup, database };

/** The scenarios of alerts that fire on a gauge being 0 (1 is healthy) for longer than `for`. */
function zeroMeansDown(metric: string, labels: Labels, expect: Labels, forMinutes: number): AlertCase {
  const evalAt = `${forMinutes + 5}m`;
  return {
    fires: [fire("reports 0", [series(metric, labels, flat(0))], `${forMinutes - 1}m`, evalAt, expect)],
    quiet: [quiet("reports 1", [series(metric, labels, flat(1))], evalAt)],
  };
}

function exporterDown(job: string, pod: string): AlertCase {
  const up = (value: number) => series("up", { job, pod }, flat(value));
  return {
    fires: [
      fire("target down", [up(0)], "4m", "10m", { pod }),
      fire("no target discovered", [series("up", { job: jobs.prometheus }, flat(1))], "4m", "10m", { job }),
    ],
    quiet: [quiet("target up", [up(1)], "10m")],
  };
}

function serviceCases(s: ObservabilitySettings): Record<string, AlertCase> {
  const t = s.thresholds;
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
  const page = (pod: string, value: number) => series("up", { ...svcLabels, component: "web", pod }, flat(value));
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
        quiet("only the page's pods, which never connect, report 0", [series("database_up", { ...svcLabels, component: "web", pod: "web-a" }, flat(0))], "7m"),
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

function kubernetesCases(s: ObservabilitySettings): Record<string, AlertCase> {
  const t = s.thresholds;
  const ns = s.namespace;
  const pod = { namespace: ns, pod: "api-a", container: "api" };
  const expect = { pod: "api-a", container: "api" };
  const ksm = (metric: string, labels: Labels, values: string) => series(metric, { job: jobs.kubeStateMetrics, ...labels }, values);
  const restarts = (values: string) => [ksm("kube_pod_container_status_restarts_total", pod, values)];
  const hpaName = "api-blue";
  const hpaMax = 6;
  const hpa = (replicas: number, name = hpaName, max = hpaMax) => [
    ksm("kube_horizontalpodautoscaler_status_current_replicas", { namespace: ns, horizontalpodautoscaler: name }, flat(replicas)),
    ksm("kube_horizontalpodautoscaler_spec_max_replicas", { namespace: ns, horizontalpodautoscaler: name }, flat(max)),
  ];
  // The process reports with its scrape target's labels; kube-state-metrics names the pod and container.
  const exporterPod = "postgres-exporter-a";
  const processLabels: Record<string, Labels> = {
    [svcLabels.pod]: { ...svcLabels, namespace: ns },
    [exporterPod]: { ...pgLabels, pod: exporterPod, namespace: ns, component: "metrics-exporter" },
  };
  const limit = (podName: string, resource: string, unit: string, value: number) =>
    ksm("kube_pod_container_resource_limits", { namespace: ns, pod: podName, container: "main", resource, unit }, flat(value));
  const cpuLimit = 0.5;
  const cpu = (podName: string, ratio: number, limitOf = podName) => [
    series("process_cpu_seconds_total", processLabels[podName], counter(60 * cpuLimit * ratio)),
    limit(limitOf, "cpu", "core", cpuLimit),
  ];
  const memoryLimit = 512 * 1024 * 1024;
  const memory = (podName: string, ratio: number, limitOf = podName) => [
    series("process_resident_memory_bytes", processLabels[podName], flat(Math.round(memoryLimit * ratio))),
    limit(limitOf, "memory", "byte", memoryLimit),
  ];
  const claimSize = 10 * 1024 ** 3;
  const claim = (name: string) =>
    ksm("kube_persistentvolumeclaim_resource_requests_storage_bytes", { namespace: ns, persistentvolumeclaim: name }, flat(claimSize));
  // The claims are a pattern (`<cluster>-[0-9]+`): the first instance's data claim matches it.
  const postgresData = `${s.postgresCluster}-1`;
  // Two databases on the server; each reports its own size.
  const databases = (ratio: number) =>
    ["football_prediction", "postgres"].map((datname, i) =>
      series("pg_database_size_bytes", { ...pgLabels, datname }, flat(Math.round(claimSize * ratio * (i === 0 ? 0.9 : 0.1)))),
    );
  const postgresVolume = (ratio: number) => [...databases(ratio), claim(postgresData)];
  const redisVolume = (ratio: number) => [
    series("redis_aof_current_size_bytes", redisLabels, flat(Math.round(claimSize * ratio))),
    claim(s.volumeClaims.redis),
  ];
  const backupVolume = (ratio: number) => [
    series("backup_size_bytes", backupLabels, flat(Math.round((claimSize * ratio) / s.backupsOnVolume))),
    claim(s.volumeClaims.backups),
  ];
  const tsdb = (ratio: number) => [
    series("prometheus_tsdb_storage_blocks_bytes", { job: jobs.prometheus }, flat(Math.round(claimSize * ratio))),
    claim(s.volumeClaims.prometheus),
  ];
  const pvcUsage = t.pvcUsageRatio;
  return {
    KubeStateMetricsDown: exporterDown(jobs.kubeStateMetrics, "kube-state-metrics-a"),
    PodRestarting: {
      // A restart every 4 minutes passes 2 per 15 minutes at minute 9.
      fires: [fire("crash loop", restarts("0+0.25x60"), "12m", "20m", expect)],
      quiet: [quiet("two restarts", restarts("0 0 0 0 0 1 1 1 1 1 2+0x50"), "30m")],
    },
    HpaAtMaximum: {
      fires: [
        fire("at maximum", hpa(hpaMax), "14m", "20m", { horizontalpodautoscaler: hpaName }),
        fire("one at its own, lower maximum", [...hpa(hpaMax - 1), ...hpa(2, "web-blue", 2)], "14m", "20m", { horizontalpodautoscaler: "web-blue" }),
      ],
      quiet: [quiet("one below maximum", [...hpa(hpaMax - 1), ...hpa(1, "web-blue", 2)], "30m")],
    },
    ContainerCpuNearLimit: {
      fires: [
        fire("the service above", cpu(svcLabels.pod, above(t.cpuLimitRatio)), "14m", "20m", { pod: svcLabels.pod }),
        fire("an exporter above", cpu(exporterPod, above(t.cpuLimitRatio)), "14m", "20m", { pod: exporterPod }),
      ],
      quiet: [
        quiet("just under", cpu(svcLabels.pod, t.cpuLimitRatio * 0.95), "30m"),
        quiet("the limit of another pod", cpu(svcLabels.pod, above(t.cpuLimitRatio), exporterPod), "30m"),
      ],
    },
    ContainerMemoryNearLimit: {
      fires: [
        fire("the service above", memory(svcLabels.pod, above(t.memoryLimitRatio)), "14m", "20m", { pod: svcLabels.pod }),
        fire("an exporter above", memory(exporterPod, above(t.memoryLimitRatio)), "14m", "20m", { pod: exporterPod }),
      ],
      quiet: [
        quiet("just under", memory(svcLabels.pod, t.memoryLimitRatio * 0.99), "30m"),
        quiet("the limit of another pod", memory(svcLabels.pod, above(t.memoryLimitRatio), exporterPod), "30m"),
      ],
    },
    PersistentVolumeFilling: {
      fires: [
        fire("the databases above", postgresVolume(above(pvcUsage)), "9m", "15m", { persistentvolumeclaim: postgresData }),
        fire("the append-only file above", redisVolume(above(pvcUsage)), "9m", "15m", { persistentvolumeclaim: s.volumeClaims.redis }),
        fire("the kept backups above", backupVolume(above(pvcUsage)), "9m", "15m", { persistentvolumeclaim: s.volumeClaims.backups }),
        fire("the Prometheus database above", tsdb(above(pvcUsage)), "9m", "15m", { persistentvolumeclaim: s.volumeClaims.prometheus }),
      ],
      quiet: [
        quiet("the databases just under", postgresVolume(pvcUsage * 0.99), "30m"),
        quiet("the append-only file just under", redisVolume(pvcUsage * 0.99), "30m"),
        quiet("the kept backups just under", backupVolume(pvcUsage * 0.99), "30m"),
        quiet("the Prometheus database just under", tsdb(pvcUsage * 0.99), "30m"),
        quiet("nothing reports what the volume holds", [claim(postgresData)], "30m"),
      ],
    },
  };
}

function postgresCases(s: ObservabilitySettings): Record<string, AlertCase> {
  const t = s.thresholds;
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
    PostgresExporterDown: exporterDown(jobs.postgresExporter, "postgres-exporter-a"),
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
  const maxmemory = 64 * 1024 * 1024;
  const memory = (used: number, max: number) => [
    series("redis_memory_used_bytes", redisLabels, flat(Math.round(used))),
    series("redis_memory_max_bytes", redisLabels, flat(max)),
  ];
  const evictions = (perMinute: number) => [series("redis_evicted_keys_total", redisLabels, counter(perMinute))];
  return {
    RedisExporterDown: exporterDown(jobs.redisExporter, "redis-exporter-a"),
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
      fires: [fire("nothing ever pushed", [series("up", { job: jobs.pushgateway }, flat(1))], beforeMaxAge, afterMaxAge, { job: jobs.backup })],
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
  const league = { job: jobs.importer, league: "E0" };
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

/** Fills in `{{ $labels.x }}` the way Prometheus will, so expected annotations are exact. */
function expandLabels(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, name: string) => {
    const value = labels[name];
    if (value === undefined) throw new Error(`template refers to label ${name}, which the alert does not carry`);
    return value;
  });
}

function expectedAlert(rule: AlertRule, labels: Record<string, string>) {
  return {
    exp_labels: { ...labels, severity: rule.severity, subsystem: rule.subsystem },
    exp_annotations: {
      summary: expandLabels(rule.summary, labels),
      description: expandLabels(rule.description, labels),
      runbook_url: runbookUrl(rule.alert),
    },
  };
}

function firingTest(rule: AlertRule, scenario: FiringScenario, interval: string) {
  return {
    name: `${rule.alert} fires: ${scenario.name}`,
    interval,
    input_series: scenario.series,
    alert_rule_test: [
      { eval_time: scenario.pendingAt, alertname: rule.alert, exp_alerts: [] },
      { eval_time: scenario.evalAt, alertname: rule.alert, exp_alerts: [expectedAlert(rule, scenario.labels)] },
    ],
    // Proves the condition already held at pendingAt, so the empty expectation above is about `for`.
    promql_expr_test: [
      {
        expr: `count(ALERTS{alertname="${rule.alert}",alertstate="pending"})`,
        eval_time: scenario.pendingAt,
        exp_samples: [{ labels: "{}", value: 1 }],
      },
    ],
  };
}

function quietTest(rule: AlertRule, scenario: QuietScenario, interval: string) {
  return {
    name: `${rule.alert} stays quiet: ${scenario.name}`,
    interval,
    input_series: scenario.series,
    alert_rule_test: [{ eval_time: scenario.evalAt, alertname: rule.alert, exp_alerts: [] }],
  };
}

interface RenderedGroup {
  name: string;
  rules: { alert: string }[];
}

/**
 * One rule of the rendered rules file in a file of its own: promtool evaluates every rule of its rules files at
 * every step of every test, so testing each alert against just its own rule keeps the suite fast.
 */
function singleRuleFile(rendered: RenderedGroup[], alert: string): string {
  for (const group of rendered) {
    const rule = group.rules.find((r) => r.alert === alert);
    if (rule !== undefined) return stringify({ groups: [{ ...group, rules: [rule] }] }, { lineWidth: 0 });
  }
  throw new Error(`alert ${alert} is not in the rendered rules`);
}

/**
 * The `promtool test rules` files (file name → content): per alert, `<Alert>.test.yml` and the rule it tests,
 * `<Alert>.rules.yml`, cut from renderAlertRules' output so the rule under test is exactly the deployed one.
 */
export function renderAlertRuleTests(s: ObservabilitySettings): Record<string, string> {
  const cases = alertCases(s);
  const rendered = (parse(renderAlertRules(s)) as { groups: RenderedGroup[] }).groups;
  const files: Record<string, string> = {};
  for (const rule of alertGroups(s).flatMap((group) => group.rules)) {
    const c = cases[rule.alert];
    if (c === undefined) throw new Error(`alert ${rule.alert} has no test cases`);
    const rulesFile = `${rule.alert}.rules.yml`;
    const step = `${c.stepMinutes ?? 1}m`;
    files[rulesFile] = singleRuleFile(rendered, rule.alert);
    files[`${rule.alert}.test.yml`] = stringify(
      {
        rule_files: [rulesFile],
        evaluation_interval: step,
        tests: [...c.fires.map((f) => firingTest(rule, f, step)), ...c.quiet.map((q) => quietTest(rule, q, step))],
      },
      { lineWidth: 0 },
    );
  }
  return files;
}
