/** Alert thresholds that differ between environments; every ratio is a fraction (0.01 = 1%). */
export interface AlertThresholds {
  /** 5xx responses over all API responses. */
  errorRatio: number;
  latencyP95Seconds: number;
  /** Oldest model an API pod may serve: the refit interval plus the time a refit may take. */
  modelMaxAgeSeconds: number;
  /** Longest gap since the last successful backup: the backup schedule plus its slack. */
  backupMaxAgeSeconds: number;
  pvcUsageRatio: number;
  /** PostgreSQL connections over max_connections. */
  postgresConnectionSaturation: number;
  replicationLagSeconds: number;
  /** Newest base backup in the object store, at most (with continuous backups). */
  baseBackupMaxAgeSeconds: number;
  longTransactionSeconds: number;
  /** Redis used memory over maxmemory. */
  redisMemoryRatio: number;
  /** Cache hits over lookups, per cache, below which the cache has stopped doing its job. */
  cacheHitRatioMin: number;
  /** Failed predictions over all prediction attempts. */
  predictionFailureRatio: number;
  cpuLimitRatio: number;
  memoryLimitRatio: number;
  /** Longest a league may go without a successful import while its season runs: a few missed CronJob runs. */
  importMaxAgeSeconds: number;
}

export interface ObservabilitySettings {
  /** Stack name (`dev`, `staging`, `prod`...); every alert carries it as the `environment` label. */
  environment: string;
  /**
   * The stack's namespace. The cluster's one Prometheus holds every environment's series, so every selector of
   * the rules and dashboards names it, and every alert carries it as the `namespace` label the operator-generated
   * Alertmanager route of this environment matches on.
   */
  namespace: string;
  /** The ServiceMonitors' and PodMonitors' scrape interval. */
  scrapeInterval: string;
  /** The PrometheusRule groups' evaluation interval. */
  evaluationInterval: string;
  /** The CloudNativePG Cluster's name (its instances' pods are `<cluster>-<serial>`). */
  postgresCluster: string;
  /** How many instances it runs: replication alerts need more than one, the health alert counts them. */
  postgresInstances: number;
  /** Whether WAL is archived and base backups taken to object storage (`backups.s3`). */
  continuousBackups: boolean;
  /**
   * The PersistentVolumeClaims whose filling the volume alerts watch through kubelet's
   * `kubelet_volume_stats_*`, as regexes over `persistentvolumeclaim`.
   */
  volumeClaims: { postgres: string; redis: string; backups: string };
  thresholds: AlertThresholds;
}

export const defaultThresholds: AlertThresholds = {
  errorRatio: 0.01,
  latencyP95Seconds: 0.5,
  // MODEL_REFIT_INTERVAL_MINUTES defaults to 6 hours; half an hour more covers a slow refit and its rollout.
  modelMaxAgeSeconds: 6.5 * 3600,
  // A daily backup plus two hours for a slow or retried run.
  backupMaxAgeSeconds: 26 * 3600,
  pvcUsageRatio: 0.85,
  postgresConnectionSaturation: 0.8,
  replicationLagSeconds: 60,
  // A daily base backup plus two hours for a slow or retried one.
  baseBackupMaxAgeSeconds: 26 * 3600,
  longTransactionSeconds: 300,
  redisMemoryRatio: 0.9,
  cacheHitRatioMin: 0.5,
  predictionFailureRatio: 0.05,
  cpuLimitRatio: 0.9,
  memoryLimitRatio: 0.9,
  // The import runs every 15 to 30 minutes; three hours is six missed runs, or a source down all evening.
  importMaxAgeSeconds: 3 * 3600,
};

/**
 * The `job` label of each source of series; rules and dashboards select on them (with the stack's namespace, as the
 * cluster's one Prometheus holds every environment's series), so they are defined once.
 */
export const jobs = {
  /** The service's pods (api, worker, web), as their monitor names the job. */
  service: "football-prediction",
  postgresExporter: "postgres-exporter",
  /** CloudNativePG's instance managers: the `cnpg_*` metrics and the Barman Cloud plugin's. */
  cloudnativePg: "cloudnative-pg",
  /** The Pooler's PgBouncer exporters. */
  pgbouncer: "pgbouncer",
  redisExporter: "redis-exporter",
  /**
   * The platform's kube-state-metrics (kube-prometheus-stack). Its ServiceMonitor honours the series' labels, so
   * each carries the `namespace` of the object it describes, not kube-state-metrics' own.
   */
  kubeStateMetrics: "kube-state-metrics",
  /**
   * The platform's kubelet ServiceMonitor: kubelet's own metrics (`kubelet_volume_stats_*`) under metrics_path
   * `/metrics`, cAdvisor's (`container_*`) under `/metrics/cadvisor`, both under this one job.
   */
  kubelet: "kubelet",
  /**
   * Not a scrape job: the job label the backup commands push to the platform's Pushgateway under, beside a
   * `namespace` grouping label; its ServiceMonitor honours both.
   */
  backup: "backup",
  /** Likewise for the import CronJob's `import_*` metrics. */
  importer: "import",
} as const;

/**
 * The numbers of the ports Prometheus scrapes pods on, which the NetworkPolicies open to the cluster's Prometheus;
 * the monitors select the same ports by name (`metricsPortNames`).
 */
export const metricsPorts = {
  /** The service's ops port (OPS_PORT), apart from the API's: nothing outside the cluster routes to it. */
  service: 8001,
  postgresExporter: 9187,
  /** The CloudNativePG instance manager's exporter, in every instance pod. */
  cloudnativePg: 9187,
  /** PgBouncer's exporter, in every Pooler pod. */
  pgbouncer: 9127,
  redisExporter: 9121,
} as const;

/**
 * The container port names the PodMonitors select on (the operator keeps a pod's target only on the port of that
 * name), so one pod yields one target. The service's containers name their ops port so; CloudNativePG names both
 * of its exporters' ports `metrics`, and so do the exporters' Deployments.
 */
export const metricsPortNames = {
  service: "ops",
  postgresExporter: "metrics",
  cloudnativePg: "metrics",
  pgbouncer: "metrics",
  redisExporter: "metrics",
} as const satisfies Partial<Record<keyof typeof metricsPorts, string>>;

export const RUNBOOK_BASE_URL = "https://github.com/football-prediction/football-prediction/blob/main/docs/runbooks.md";

/**
 * The uid of the Prometheus datasource kube-prometheus-stack provisions in Grafana (`grafana.sidecar.datasources.uid`):
 * every dashboard panel names it, so panels never depend on a default datasource.
 */
export const PROMETHEUS_DATASOURCE_UID = "prometheus";
