import { stringify } from "yaml";
import { jobs, mountPaths, prometheusService, type ObservabilitySettings } from "./settings";

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Ports the pods declare; a pod target is kept only on its metrics port so one pod yields one target. */
const ports = { service: 8000, postgresExporter: 9187, redisExporter: 9121, ingressNginx: 10254, kubeStateMetrics: 8080 };

/**
 * The only kubelet and cAdvisor series kept: both endpoints expose thousands of series per node, and the rules
 * and dashboards need these few. Exported so the tests can check nothing else is queried.
 */
export const keptKubeletMetrics = [
  "kubelet_volume_stats_used_bytes",
  "kubelet_volume_stats_capacity_bytes",
  "kubelet_volume_stats_available_bytes",
] as const;
export const keptCadvisorMetrics = [
  "container_cpu_usage_seconds_total",
  "container_cpu_cfs_throttled_periods_total",
  "container_cpu_cfs_periods_total",
  "container_memory_working_set_bytes",
] as const;

interface UrlTarget {
  scheme: string;
  target: string;
  pathPrefix: string;
}

function urlTarget(url: string): UrlTarget {
  const parsed = new URL(url);
  const scheme = parsed.protocol.replace(/:$/, "");
  const port = parsed.port || (scheme === "https" ? "443" : "80");
  return { scheme, target: `${parsed.hostname}:${port}`, pathPrefix: parsed.pathname.replace(/\/$/, "") };
}

interface PodJob {
  job: string;
  /** Omitted for cluster add-ons that run wherever the cluster put them. */
  namespace?: string;
  name: string;
  /** Regex over `app.kubernetes.io/component`; omitted when the name alone identifies the pods. */
  component?: string;
  port: number;
  /** Off for pods whose own series carry `namespace`/`pod` labels that describe something else. */
  podLabels: boolean;
}

function podScrapeJob(p: PodJob): Record<string, unknown> {
  const selector = p.component === undefined
    ? { source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], regex: p.name }
    : {
        source_labels: [
          "__meta_kubernetes_pod_label_app_kubernetes_io_name",
          "__meta_kubernetes_pod_label_app_kubernetes_io_component",
        ],
        // Grouped, or an alternation in the component would swallow the name: "name;api|worker".
        regex: `${p.name};(${p.component})`,
      };
  const podLabels = [
    { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
    { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
    { source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_component"], target_label: "component" },
    { source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_version"], target_label: "version" },
  ];
  return {
    job_name: p.job,
    kubernetes_sd_configs: [
      p.namespace === undefined ? { role: "pod" } : { role: "pod", namespaces: { names: [p.namespace] } },
    ],
    relabel_configs: [
      { ...selector, action: "keep" },
      { source_labels: ["__meta_kubernetes_pod_container_port_number"], regex: String(p.port), action: "keep" },
      // Evicted and completed pods keep their object (and their old IP) around; scraping them only yields
      // down targets, or another pod's metrics once the IP is reused.
      { source_labels: ["__meta_kubernetes_pod_phase"], regex: "Succeeded|Failed", action: "drop" },
      ...(p.podLabels ? podLabels : []),
    ],
  };
}

/** Drops series about other namespaces from endpoints that report on the whole cluster. */
function onlyNamespace(namespace: string, allowClusterWide = false): Record<string, unknown> {
  // Namespaces are DNS labels, so the name needs no regex escaping.
  return { source_labels: ["namespace"], regex: allowClusterWide ? `|${namespace}` : namespace, action: "keep" };
}

function onlyMetrics(names: readonly string[]): Record<string, unknown> {
  return { source_labels: ["__name__"], regex: names.join("|"), action: "keep" };
}

/** kubelet endpoints, reached through the API server proxy so Prometheus needs no route to the nodes. */
function kubeletJob(job: string, metricsPath: string, keep: readonly string[], namespace: string) {
  return {
    job_name: job,
    scheme: "https",
    authorization: { credentials_file: `${SERVICE_ACCOUNT_DIR}/token` },
    tls_config: { ca_file: `${SERVICE_ACCOUNT_DIR}/ca.crt` },
    kubernetes_sd_configs: [{ role: "node" }],
    relabel_configs: [
      { target_label: "__address__", replacement: "kubernetes.default.svc:443" },
      {
        source_labels: ["__meta_kubernetes_node_name"],
        regex: "(.+)",
        target_label: "__metrics_path__",
        replacement: `/api/v1/nodes/$1/proxy${metricsPath}`,
      },
      { source_labels: ["__meta_kubernetes_node_name"], target_label: "node" },
    ],
    metric_relabel_configs: [onlyMetrics(keep), onlyNamespace(namespace)],
  };
}

function kubeStateMetricsJob(namespace: string) {
  // kube-state-metrics runs wherever the cluster put it, so it is discovered in every namespace; only the
  // series about this stack's namespace are kept.
  return {
    ...podScrapeJob({ job: jobs.kubeStateMetrics, name: "kube-state-metrics", port: ports.kubeStateMetrics, podLabels: false }),
    metric_relabel_configs: [onlyNamespace(namespace)],
  };
}

function pushgatewayJob(url: string) {
  const { scheme, target, pathPrefix } = urlTarget(url);
  return {
    job_name: jobs.pushgateway,
    // Keeps the job="backup" and database labels the backup commands pushed, instead of the Pushgateway's own.
    honor_labels: true,
    scheme,
    metrics_path: `${pathPrefix}/metrics`,
    static_configs: [{ targets: [target] }],
  };
}

function alertingConfig(url: string) {
  const { scheme, target, pathPrefix } = urlTarget(url);
  return {
    alertmanagers: [{ scheme, path_prefix: pathPrefix || "/", static_configs: [{ targets: [target] }] }],
  };
}

function scrapeConfigs(s: ObservabilitySettings): Record<string, unknown>[] {
  const ns = s.namespace;
  return [
    { job_name: jobs.prometheus, static_configs: [{ targets: [`localhost:${prometheusService.port}`] }] },
    podScrapeJob({
      job: jobs.service,
      namespace: ns,
      name: "football-prediction",
      component: "api|worker",
      port: ports.service,
      podLabels: true,
    }),
    podScrapeJob({
      job: jobs.postgresExporter,
      namespace: ns,
      name: "postgres-exporter",
      port: ports.postgresExporter,
      podLabels: true,
    }),
    podScrapeJob({ job: jobs.redisExporter, namespace: ns, name: "redis-exporter", port: ports.redisExporter, podLabels: true }),
    {
      ...podScrapeJob({
        job: jobs.ingressNginx,
        namespace: "ingress-nginx",
        name: "ingress-nginx",
        component: "controller",
        port: ports.ingressNginx,
        podLabels: false,
      }),
      // The shared controller reports every namespace's ingresses; its own series have no namespace label.
      metric_relabel_configs: [onlyNamespace(ns, true)],
    },
    pushgatewayJob(s.pushgatewayUrl),
    kubeStateMetricsJob(ns),
    kubeletJob(jobs.kubelet, "/metrics", keptKubeletMetrics, ns),
    kubeletJob(jobs.cadvisor, "/metrics/cadvisor", keptCadvisorMetrics, ns),
  ];
}

export function renderPrometheusConfig(s: ObservabilitySettings): string {
  return stringify({
    global: {
      scrape_interval: s.scrapeInterval,
      evaluation_interval: s.evaluationInterval,
      external_labels: { environment: s.environment },
    },
    rule_files: [`${mountPaths.prometheusRulesDir}/*.yml`],
    alerting: alertingConfig(s.alertmanagerUrl),
    scrape_configs: scrapeConfigs(s),
  });
}
