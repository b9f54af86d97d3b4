/**
 * The Prometheus `scrape_configs` the Prometheus Operator generates from the stack's PodMonitors, so the tests can
 * run promtool and a real Prometheus on what the cluster's Prometheus will run. Follows
 * prometheus-operator/prometheus-operator pkg/prometheus/promcfg.go of v0.93 (the release whose CRDs the platform
 * installs; the version read has `selectorMechanism` and `__tmp_disable_sharding`): generatePodMonitorConfig,
 * generateRunningFilter, generateRelabelConfig, generateK8SSDConfig and appendShardingRelabelingWithLabel.
 *
 * Modelled: what a kube-prometheus-stack Prometheus with the chart's defaults does for these monitors (no scrape
 * classes, no enforced namespace label, no podTargetLabels, one shard, selector mechanism `RelabelConfig`). The
 * operator writes the shard as `$(SHARD)`, which prometheus-config-reloader expands from the pod's environment;
 * this renders the expanded value of the only shard, 0.
 */
import {
  podLabelMeta,
  podLabelPresentMeta,
  type LabelSelectorRequirement,
  type Monitor,
  type PodMetricsEndpoint,
  type RelabelConfig,
} from "../monitors";
import type { ObservabilitySettings } from "../settings";

/** A relabel_config as Prometheus' YAML spells it. */
export type PrometheusRelabel = Record<string, string | number | string[]>;

/** A type, not an interface, so it stays assignable to YAML-shaped records. */
export type OperatorScrapeConfig = {
  job_name: string;
  honor_labels: boolean;
  kubernetes_sd_configs: { role: "pod"; namespaces: { names: string[] } }[];
  scrape_interval: string;
  metrics_path: string;
  relabel_configs: PrometheusRelabel[];
};

const SHARD = 0;
const SHARDS = 1;

function labelPair(key: string): string[] {
  return [podLabelMeta(key), podLabelPresentMeta(key)];
}

/** matchLabels in key order, then matchExpressions in their order, as keep/drop rules on the pod's labels. */
function selectorRelabelings(selector: Monitor["spec"]["selector"]): PrometheusRelabel[] {
  const exact = Object.keys(selector.matchLabels)
    .sort()
    .map((key) => ({ action: "keep", source_labels: labelPair(key), regex: `(${selector.matchLabels[key]});true` }));
  const expression = (e: LabelSelectorRequirement): PrometheusRelabel => {
    const present = [podLabelPresentMeta(e.key)];
    switch (e.operator) {
      case "In":
        return { action: "keep", source_labels: labelPair(e.key), regex: `(${(e.values ?? []).join("|")});true` };
      case "NotIn":
        return { action: "drop", source_labels: labelPair(e.key), regex: `(${(e.values ?? []).join("|")});true` };
      case "Exists":
        return { action: "keep", source_labels: present, regex: "true" };
      case "DoesNotExist":
        return { action: "drop", source_labels: present, regex: "true" };
    }
  };
  return [...exact, ...(selector.matchExpressions ?? []).map(expression)];
}

/** generateRelabelConfig: the CRD's camelCase fields as Prometheus' snake_case, the action lower-cased. */
function userRelabeling(r: RelabelConfig): PrometheusRelabel {
  return {
    ...(r.sourceLabels === undefined ? {} : { source_labels: r.sourceLabels }),
    ...(r.separator === undefined ? {} : { separator: r.separator }),
    ...(r.targetLabel === undefined ? {} : { target_label: r.targetLabel }),
    ...(r.regex === undefined ? {} : { regex: r.regex }),
    ...(r.replacement === undefined ? {} : { replacement: r.replacement }),
    ...(r.action === undefined ? {} : { action: r.action.toLowerCase() }),
  };
}

/** Every target hashed onto one of the shards; a target labelled `__tmp_disable_sharding` goes to all of them. */
const sharding: PrometheusRelabel[] = [
  { source_labels: ["__address__", "__tmp_hash"], target_label: "__tmp_hash", regex: "(.+);", replacement: "$1", action: "replace" },
  { source_labels: ["__tmp_hash"], target_label: "__tmp_hash", modulus: SHARDS, action: "hashmod" },
  { source_labels: ["__tmp_hash", "__tmp_disable_sharding"], regex: `${SHARD};|.+;.+`, action: "keep" },
];

function podMonitorConfig(m: Monitor, namespace: string, ep: PodMetricsEndpoint, index: number): OperatorScrapeConfig {
  return {
    job_name: `podMonitor/${namespace}/${m.name}/${index}`,
    honor_labels: false,
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: m.spec.namespaceSelector.matchNames } }],
    scrape_interval: ep.interval,
    metrics_path: ep.path,
    relabel_configs: [
      { source_labels: ["job"], target_label: "__tmp_prometheus_job_name" },
      { action: "drop", source_labels: ["__meta_kubernetes_pod_phase"], regex: "(Failed|Succeeded)" },
      ...selectorRelabelings(m.spec.selector),
      { action: "keep", source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: ep.port },
      { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
      { source_labels: ["__meta_kubernetes_pod_container_name"], target_label: "container" },
      { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
      { target_label: "job", replacement: `${namespace}/${m.name}` },
      { target_label: "endpoint", replacement: ep.port },
      ...ep.relabelings.map(userRelabeling),
      ...sharding,
    ],
  };
}

/**
 * The scrape configs of the stack's monitors, in the operator's order (its PodMonitors sorted by namespace and
 * name, one job per endpoint).
 */
export function operatorScrapeConfigs(monitorList: Monitor[], s: ObservabilitySettings): OperatorScrapeConfig[] {
  return [...monitorList]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((m) => m.spec.podMetricsEndpoints.map((ep, index) => podMonitorConfig(m, s.namespace, ep, index)));
}
