import { stringify } from "yaml";
import { jobs, metricsPorts, mountPaths, prometheusService, type ObservabilitySettings } from "./settings";

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
  namespace: string;
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
        // Grouped, or an alternation in the component would swallow the name: "name;api|worker|web".
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
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [p.namespace] } }],
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

/**
 * Keeps, from the shared ingress controller, its own series (no namespace label) and those about this namespace's
 * ingresses; it reports every namespace's.
 */
function keepOwnAndNamespace(namespace: string): Record<string, unknown> {
  // Namespaces are DNS labels, so the name needs no regex escaping.
  return { source_labels: ["namespace"], regex: `|${namespace}`, action: "keep" };
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
      component: "api|worker|web",
      port: metricsPorts.service,
      podLabels: true,
    }),
    podScrapeJob({
      job: jobs.postgresExporter,
      namespace: ns,
      name: "postgres-exporter",
      port: metricsPorts.postgresExporter,
      podLabels: true,
    }),
    // CloudNativePG's instances and the Pooler's PgBouncers, by the labels the Cluster and Pooler give their pods.
    podScrapeJob({
      job: jobs.cloudnativePg,
      namespace: ns,
      name: "postgresql",
      component: "database",
      port: metricsPorts.cloudnativePg,
      podLabels: true,
    }),
    podScrapeJob({ job: jobs.pgbouncer, namespace: ns, name: "pgbouncer", component: "database-pooler", port: metricsPorts.pgbouncer, podLabels: true }),
    podScrapeJob({ job: jobs.redisExporter, namespace: ns, name: "redis-exporter", port: metricsPorts.redisExporter, podLabels: true }),
    {
      ...podScrapeJob({
        job: jobs.ingressNginx,
        namespace: s.ingressControllerNamespace,
        name: "ingress-nginx",
        component: "controller",
        port: metricsPorts.ingressController,
        podLabels: false,
      }),
      metric_relabel_configs: [keepOwnAndNamespace(ns)],
    },
    pushgatewayJob(s.pushgatewayUrl),
    // The stack's own kube-state-metrics reports on this namespace alone; its series name the pods they describe.
    podScrapeJob({
      job: jobs.kubeStateMetrics,
      namespace: ns,
      name: "kube-state-metrics",
      port: metricsPorts.kubeStateMetrics,
      podLabels: false,
    }),
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
