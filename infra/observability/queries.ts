import { selectorsFor } from "./selectors";
import type { ObservabilitySettings } from "./settings";

/**
 * Expressions an alert compares with its threshold and a dashboard panel draws, written once so the panel shows
 * exactly what the alert sees. Each yields a ratio labelled by what it is about. They follow the series
 * kube-prometheus-stack's own rules use (prometheus-community/helm-charts, charts/kube-prometheus-stack/templates/
 * prometheus/rules-1.14: k8s.rules.container_cpu_usage_seconds_total.yaml, k8s.rules.container_memory_working_set_bytes.yaml,
 * kubernetes-storage.yaml), scoped to the stack's namespace.
 */

/** The container's limit as kube-state-metrics reports it; containers without one yield nothing. */
function containerLimit(s: ObservabilitySettings, resource: "cpu" | "memory"): string {
  const { kubeState } = selectorsFor(s);
  return `max by (pod, container) (kube_pod_container_resource_limits{${kubeState},resource="${resource}"})`;
}

/** CPU each container uses (cAdvisor) over its CPU limit, by pod and container. */
export function cpuOfLimit(s: ObservabilitySettings): string {
  const { containers } = selectorsFor(s);
  return `sum by (pod, container) (rate(container_cpu_usage_seconds_total{${containers}}[5m])) / ${containerLimit(s, "cpu")}`;
}

/**
 * Each container's working set (cAdvisor) over its memory limit, by pod and container: the working set (usage
 * less the page cache the kernel can drop) is what stays charged against the limit when the kernel reclaims
 * memory, so a container near its limit by this measure is near an OOM kill.
 */
export function memoryOfLimit(s: ObservabilitySettings): string {
  const { containers } = selectorsFor(s);
  // max: for a moment after a restart cAdvisor reports the old and the new cgroup of one container.
  return `max by (pod, container) (container_memory_working_set_bytes{${containers}}) / ${containerLimit(s, "memory")}`;
}

/** The stack's claims the volume alerts watch, as one regex over `persistentvolumeclaim`. */
function watchedClaims(s: ObservabilitySettings): string {
  const { postgres, redis, backups } = s.volumeClaims;
  // Grouped, so an alternation inside one pattern stays within it.
  return [postgres, redis, backups].map((pattern) => `(${pattern})`).join("|");
}

/** `used` over `total` of kubelet's volume statistics, by persistentvolumeclaim, for the watched claims. */
function claimShare(s: ObservabilitySettings, used: string, total: string): string {
  const { kubeletVolumes } = selectorsFor(s);
  const claims = `${kubeletVolumes},persistentvolumeclaim=~"${watchedClaims(s)}"`;
  return `max by (persistentvolumeclaim) (${used}{${claims}}) / max by (persistentvolumeclaim) (${total}{${claims}})`;
}

/** How full each watched volume is, as its filesystem reports it to the kubelet. */
export function volumeUsage(s: ObservabilitySettings): string {
  return claimShare(s, "kubelet_volume_stats_used_bytes", "kubelet_volume_stats_capacity_bytes");
}

/** The share of each watched volume's inodes in use. */
export function volumeInodeUsage(s: ObservabilitySettings): string {
  return claimShare(s, "kubelet_volume_stats_inodes_used", "kubelet_volume_stats_inodes");
}
