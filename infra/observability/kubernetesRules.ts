/**
 * The alerts on the stack's pods and volumes, from the platform's kube-state-metrics and the kubelet (its volume
 * statistics and cAdvisor), each scoped to the stack's namespace. Whether those sources are scraped at all is the
 * platform's concern: kube-prometheus-stack's own rules (TargetDown, KubeStateMetricsListErrors, KubeletDown...)
 * watch its targets and page the platform's owners, so no environment repeats them.
 */
import { percent, type AlertRule } from "./alertFormat";
import { cpuOfLimit, memoryOfLimit, volumeInodeUsage, volumeUsage } from "./queries";
import { selectorsFor } from "./selectors";
import type { ObservabilitySettings } from "./settings";

export function kubernetesRules(s: ObservabilitySettings): AlertRule[] {
  const t = s.thresholds;
  const { kubeState } = selectorsFor(s);
  return [
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
      expr: `${cpuOfLimit(s)} > ${t.cpuLimitRatio}`,
      for: "15m",
      severity: "warning",
      subsystem: "kubernetes",
      summary: "Container {{ $labels.container }} of {{ $labels.pod }} is near its CPU limit",
      description:
        `Container {{ $labels.container }} of pod {{ $labels.pod }} has used more than ${percent(t.cpuLimitRatio)} ` +
        "of its CPU limit for 15 minutes and is being throttled.",
    },
    {
      alert: "ContainerMemoryNearLimit",
      expr: `${memoryOfLimit(s)} > ${t.memoryLimitRatio}`,
      for: "15m",
      severity: "warning",
      subsystem: "kubernetes",
      summary: "Container {{ $labels.container }} of {{ $labels.pod }} is near its memory limit",
      description:
        `The working set of container {{ $labels.container }} of pod {{ $labels.pod }} has been more than ` +
        `${percent(t.memoryLimitRatio)} of its memory limit for 15 minutes; it risks an OOM kill.`,
    },
    {
      alert: "PersistentVolumeFilling",
      expr: `${volumeUsage(s)} > ${t.pvcUsageRatio}`,
      for: "10m",
      severity: "warning",
      subsystem: "kubernetes",
      summary: "Volume {{ $labels.persistentvolumeclaim }} is filling up",
      description:
        `More than ${percent(t.pvcUsageRatio)} of volume {{ $labels.persistentvolumeclaim }} has been in use ` +
        "for 10 minutes.",
    },
    {
      // A volume of many small files (PostgreSQL keeps a file per table and index segment) can run out of
      // inodes with bytes to spare, and then fails writes just the same.
      alert: "PersistentVolumeInodesFilling",
      expr: `${volumeInodeUsage(s)} > ${t.pvcUsageRatio}`,
      for: "10m",
      severity: "warning",
      subsystem: "kubernetes",
      summary: "Volume {{ $labels.persistentvolumeclaim }} is running out of inodes",
      description:
        `More than ${percent(t.pvcUsageRatio)} of the inodes of volume {{ $labels.persistentvolumeclaim }} have ` +
        "been in use for 10 minutes; once none is left, creating a file fails however much space is free.",
    },
  ];
}
