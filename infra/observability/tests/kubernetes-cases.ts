import type { ObservabilitySettings } from "../settings";
import { above, counter, fire, flat, labelsOf, quiet, series, type AlertCase, type Labels } from "./scenarios";

/**
 * The scenarios of the pod and volume alerts (kubernetesRules.ts), on series as kube-state-metrics, cAdvisor and
 * the kubelet report them: every container of the namespace is covered, whether or not its process reports
 * metrics of its own.
 */
export function kubernetesCases(s: ObservabilitySettings): Record<string, AlertCase> {
  const t = s.thresholds;
  const at = labelsOf(s);
  const ksm = (metric: string, labels: Labels, values: string) => series(metric, { ...at.kubeState, ...labels }, values);

  const restarts = (values: string) => [ksm("kube_pod_container_status_restarts_total", { pod: "api-a", container: "api" }, values)];
  const hpaName = "api-blue";
  const hpaMax = 6;
  const hpa = (replicas: number, name = hpaName, max = hpaMax) => [
    ksm("kube_horizontalpodautoscaler_status_current_replicas", { horizontalpodautoscaler: name }, flat(replicas)),
    ksm("kube_horizontalpodautoscaler_spec_max_replicas", { horizontalpodautoscaler: name }, flat(max)),
  ];

  // A container with no metrics of its own (PostgreSQL's), and the service's; cAdvisor reports both.
  const postgres = { pod: `${s.postgresCluster}-1`, container: "postgres" };
  const service = { pod: "api-a", container: "api" };
  const limit = (of: Labels, resource: string, unit: string, value: number) =>
    ksm("kube_pod_container_resource_limits", { ...of, node: "node-a", resource, unit }, flat(value));
  const cadvisor = (metric: string, of: Labels, values: string) =>
    series(metric, { ...at.cadvisor, ...of, image: "registry.example/image:1", id: `/kubepods/${of.pod}/${of.container}` }, values);
  const cpuLimit = 0.5;
  const cpu = (of: Labels, ratio: number, limitOf = of) => [
    cadvisor("container_cpu_usage_seconds_total", of, counter(60 * cpuLimit * ratio)),
    limit(limitOf, "cpu", "core", cpuLimit),
  ];
  const memoryLimit = 512 * 1024 * 1024;
  const memory = (of: Labels, ratio: number, limitOf = of) => [
    cadvisor("container_memory_working_set_bytes", of, flat(Math.round(memoryLimit * ratio))),
    limit(limitOf, "memory", "byte", memoryLimit),
  ];

  const pvcUsage = t.pvcUsageRatio;
  const capacity = 10 * 1024 ** 3;
  const inodes = 655_360;
  // The claim patterns of the sample settings: the first CloudNativePG instance's, and the others' literal names.
  const postgresClaim = `${s.postgresCluster}-1`;
  const claims = [postgresClaim, s.volumeClaims.redis, s.volumeClaims.backups];
  const stats = (claim: string, used: string, total: string, size: number, ratio: number) => [
    series(used, { ...at.kubelet, persistentvolumeclaim: claim }, flat(Math.round(size * ratio))),
    series(total, { ...at.kubelet, persistentvolumeclaim: claim }, flat(size)),
  ];
  const bytes = (claim: string, ratio: number) =>
    stats(claim, "kubelet_volume_stats_used_bytes", "kubelet_volume_stats_capacity_bytes", capacity, ratio);
  const inodesUsed = (claim: string, ratio: number) =>
    stats(claim, "kubelet_volume_stats_inodes_used", "kubelet_volume_stats_inodes", inodes, ratio);

  return {
    PodRestarting: {
      // A restart every 4 minutes passes 2 per 15 minutes at minute 9.
      fires: [fire("crash loop", restarts("0+0.25x60"), "12m", "20m", service)],
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
        fire("the service above", cpu(service, above(t.cpuLimitRatio)), "14m", "20m", service),
        fire("PostgreSQL above", cpu(postgres, above(t.cpuLimitRatio)), "14m", "20m", postgres),
      ],
      quiet: [
        quiet("just under", cpu(service, t.cpuLimitRatio * 0.95), "30m"),
        quiet("the limit of another container", cpu(service, above(t.cpuLimitRatio), postgres), "30m"),
      ],
    },
    ContainerMemoryNearLimit: {
      fires: [
        fire("the service above", memory(service, above(t.memoryLimitRatio)), "14m", "20m", service),
        fire(
          "PostgreSQL above while the pod's other container idles",
          [...memory(postgres, above(t.memoryLimitRatio)), ...memory({ ...postgres, container: "bootstrap" }, 0.1)],
          "14m",
          "20m",
          postgres,
        ),
      ],
      quiet: [
        quiet("just under", memory(service, t.memoryLimitRatio * 0.99), "30m"),
        quiet("the limit of another container", memory(service, above(t.memoryLimitRatio), postgres), "30m"),
      ],
    },
    PersistentVolumeFilling: {
      fires: claims.map((claim) => fire(`${claim} above`, bytes(claim, above(pvcUsage)), "9m", "15m", { persistentvolumeclaim: claim })),
      quiet: [
        ...claims.map((claim) => quiet(`${claim} just under`, bytes(claim, pvcUsage * 0.99), "30m")),
        quiet("a claim the alert does not watch, full", bytes("scratch-data", 0.99), "30m"),
      ],
    },
    PersistentVolumeInodesFilling: {
      fires: claims.map((claim) => fire(`${claim} above`, inodesUsed(claim, above(pvcUsage)), "9m", "15m", { persistentvolumeclaim: claim })),
      quiet: [
        ...claims.map((claim) => quiet(`${claim} just under`, inodesUsed(claim, pvcUsage * 0.99), "30m")),
        quiet("a claim the alert does not watch, out of inodes", inodesUsed("scratch-data", 0.99), "30m"),
      ],
    },
  };
}
