/**
 * What the cluster's Prometheus scrapes in one stack, as the specs of `monitoring.coreos.com/v1` PodMonitors: the
 * service's pods, the exporters, CloudNativePG's instances and the Pooler's PgBouncers. Every target is a pod port
 * no Service carries (the ops port is on no colour Service; CloudNativePG's exporters on none of its Services), so
 * all are PodMonitors. The operator turns each into a scrape job (operatorConfig/scrape.ts shows how), and the
 * relabelings here give the series the `job`, `component` and `version` labels the rules and dashboards select on.
 */
import { CLUSTER_LABEL } from "../components/database/names";
import { workloads, type Workload } from "../labels";
import { jobs, metricsPortNames, type ObservabilitySettings } from "./settings";

/** `monitoring.coreos.com/v1` RelabelConfig, as the CRD spells it. */
export interface RelabelConfig {
  sourceLabels?: string[];
  separator?: string;
  targetLabel?: string;
  regex?: string;
  replacement?: string;
  action?: "replace" | "keep" | "drop" | "labelmap" | "labeldrop" | "labelkeep" | "hashmod";
}

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

export interface PodMetricsEndpoint {
  /** The container port's name. */
  port: string;
  path: string;
  interval: string;
  relabelings: RelabelConfig[];
}

export interface PodMonitorSpec {
  selector: { matchLabels: Record<string, string>; matchExpressions?: LabelSelectorRequirement[] };
  namespaceSelector: { matchNames: string[] };
  podMetricsEndpoints: PodMetricsEndpoint[];
}

export interface Monitor {
  kind: "PodMonitor";
  /** The object's name in the stack's namespace. */
  name: string;
  spec: PodMonitorSpec;
}

/** CloudNativePG's role label: `instance` on the Cluster's PostgreSQL pods, `pooler` on a Pooler's PgBouncers. */
const POD_ROLE_LABEL = "cnpg.io/podRole";

const NAME_LABEL = "app.kubernetes.io/name";
const COMPONENT_LABEL = "app.kubernetes.io/component";
const VERSION_LABEL = "app.kubernetes.io/version";

/** A label name as Prometheus makes it from a Kubernetes one: every character outside `[A-Za-z0-9_]` becomes `_`. */
const sanitizedLabel = (label: string) => label.replace(/[^A-Za-z0-9_]/g, "_");

/** Kubernetes pod discovery's meta label holding a pod label's value. */
export function podLabelMeta(label: string): string {
  return `__meta_kubernetes_pod_label_${sanitizedLabel(label)}`;
}

/** Kubernetes pod discovery's meta label saying a pod carries the label (`true`). */
export function podLabelPresentMeta(label: string): string {
  return `__meta_kubernetes_pod_labelpresent_${sanitizedLabel(label)}`;
}

/**
 * The job the rules select on instead of the operator's `<namespace>/<monitor>`, and the pod's component and
 * version as `component` and `version` (the rules tell the API's pods from the worker's by `component`; an empty
 * pod label leaves the target label out).
 */
function targetLabels(job: string): RelabelConfig[] {
  return [
    { targetLabel: "job", replacement: job, action: "replace" },
    { sourceLabels: [podLabelMeta(COMPONENT_LABEL)], targetLabel: "component", action: "replace" },
    { sourceLabels: [podLabelMeta(VERSION_LABEL)], targetLabel: "version", action: "replace" },
  ];
}

function podMonitor(
  s: ObservabilitySettings,
  job: string,
  port: string,
  selector: PodMonitorSpec["selector"],
): Monitor {
  return {
    kind: "PodMonitor",
    name: job,
    spec: {
      selector,
      namespaceSelector: { matchNames: [s.namespace] },
      // The operator drops Succeeded and Failed pods itself (the endpoint's filterRunning defaults to true).
      podMetricsEndpoints: [{ port, path: "/metrics", interval: s.scrapeInterval, relabelings: targetLabels(job) }],
    },
  };
}

function workloadSelector(workload: Workload): PodMonitorSpec["selector"] {
  return { matchLabels: { [NAME_LABEL]: workload.name, [COMPONENT_LABEL]: workload.component } };
}

export function monitors(s: ObservabilitySettings): Monitor[] {
  const servicePods = [workloads.api, workloads.worker, workloads.web];
  return [
    // The image's run-to-completion pods (migrations, backups, imports) carry the same name and report through
    // the Pushgateway; the components keep the job to the serving pods, as the rules' `component` matchers expect.
    podMonitor(s, jobs.service, metricsPortNames.service, {
      matchLabels: { [NAME_LABEL]: workloads.api.name },
      matchExpressions: [{ key: COMPONENT_LABEL, operator: "In", values: servicePods.map((w) => w.component) }],
    }),
    podMonitor(s, jobs.postgresExporter, metricsPortNames.postgresExporter, workloadSelector(workloads.postgresExporter)),
    podMonitor(s, jobs.redisExporter, metricsPortNames.redisExporter, workloadSelector(workloads.redisExporter)),
    // CloudNativePG's documented PodMonitor selects `cnpg.io/cluster` alone; the Pooler's pods carry that label
    // and a port named `metrics` too, so the role keeps them out of this job (docs/src/monitoring.md in
    // cloudnative-pg/cloudnative-pg, "Monitoring with the Prometheus operator").
    podMonitor(s, jobs.cloudnativePg, metricsPortNames.cloudnativePg, {
      matchLabels: { [CLUSTER_LABEL]: s.postgresCluster, [POD_ROLE_LABEL]: "instance" },
    }),
    // The operator's own Pooler PodMonitor selects `cnpg.io/poolerName` and this role; the Cluster's label covers
    // every Pooler of the Cluster without naming one.
    podMonitor(s, jobs.pgbouncer, metricsPortNames.pgbouncer, {
      matchLabels: { [CLUSTER_LABEL]: s.postgresCluster, [POD_ROLE_LABEL]: "pooler" },
    }),
  ];
}
