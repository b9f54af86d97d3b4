import { jobs, type ObservabilitySettings } from "./settings";

/**
 * Label matchers shared by the alert rules and the dashboards, so both always select the same series. The
 * cluster's one Prometheus holds every environment's series, so each matcher names the stack's namespace.
 */
export interface Selectors {
  /** Every pod of the service (api, worker, web). */
  svc: string;
  api: string;
  /** The page's pods (the `web` command), scraped under the service's job. */
  web: string;
  /** The service's pods that hold a database pool; the page's report `database_up 0` as they never connect. */
  databaseClients: string;
  /**
   * API requests from clients: probes and scrapes are left out, or their steady trickle of fast 200s (and
   * /ready's 503s during an outage, which readiness alerts already report) would skew latency and error ratios.
   */
  apiTraffic: string;
  pg: string;
  redis: string;
  /** CloudNativePG's instances (one target per instance pod). */
  cnpg: string;
  /** What the backup commands pushed to the Pushgateway. */
  backup: string;
  /** What the import CronJob pushed to the Pushgateway. */
  importer: string;
  /** kube-state-metrics' series about this namespace's objects. */
  kubeState: string;
  /** kubelet's own metrics about this namespace's volumes (`kubelet_volume_stats_*`). */
  kubeletVolumes: string;
  /**
   * cAdvisor's series of this namespace's containers. `container!=""` leaves out the pod-level cgroup, which
   * would otherwise be counted beside its containers.
   */
  containers: string;
}

/**
 * The `metrics_path` label kube-prometheus-stack's kubelet ServiceMonitor sets on each of its endpoints, all under
 * job "kubelet" (prometheus-community/helm-charts, charts/kube-prometheus-stack/values.yaml: `kubelet.serviceMonitor`
 * `relabelings` and `cAdvisorRelabelings`; its rules select `job="kubelet", metrics_path="/metrics/cadvisor"` too).
 */
const kubeletMetricsPaths = { kubelet: "/metrics", cadvisor: "/metrics/cadvisor" } as const;

export function selectorsFor(s: ObservabilitySettings): Selectors {
  // Namespaces are DNS labels: nothing in them needs escaping in a label value.
  const scoped = (matchers: string) => `${matchers},namespace="${s.namespace}"`;
  const job = (name: string) => scoped(`job="${name}"`);
  const svc = job(jobs.service);
  const api = `${svc},component="api"`;
  return {
    svc,
    api,
    web: `${svc},component="web"`,
    databaseClients: `${svc},component=~"api|worker"`,
    apiTraffic: `${api},route!~"/health|/ready|/metrics"`,
    pg: job(jobs.postgresExporter),
    redis: job(jobs.redisExporter),
    cnpg: job(jobs.cloudnativePg),
    backup: job(jobs.backup),
    importer: job(jobs.importer),
    kubeState: job(jobs.kubeStateMetrics),
    kubeletVolumes: scoped(`job="${jobs.kubelet}",metrics_path="${kubeletMetricsPaths.kubelet}"`),
    containers: scoped(`job="${jobs.kubelet}",metrics_path="${kubeletMetricsPaths.cadvisor}",container!=""`),
  };
}
