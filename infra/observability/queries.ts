import { backup, kubeState, pg, processes, prometheus, redis } from "./selectors";
import type { ObservabilitySettings } from "./settings";

/**
 * Expressions an alert compares with its threshold and a dashboard panel draws, written once so the panel shows
 * exactly what the alert sees. Each yields a ratio labelled by what it is about.
 */

function podLimit(resource: "cpu" | "memory"): string {
  // Summed over the pod's containers: each pod these processes report from has only the one they run in.
  return `sum by (pod) (kube_pod_container_resource_limits{${kubeState},resource="${resource}"})`;
}

/** CPU the pod's process uses over the pod's CPU limit, by pod. */
export function cpuOfLimit(): string {
  return `sum by (pod) (rate(process_cpu_seconds_total{${processes}}[5m])) / ${podLimit("cpu")}`;
}

/** Resident memory of the pod's process over the pod's memory limit, by pod. */
export function memoryOfLimit(): string {
  return `sum by (pod) (process_resident_memory_bytes{${processes}}) / ${podLimit("memory")}`;
}

/** `used` (one number) over the size of each claim named, by persistentvolumeclaim; nothing while `used` is absent. */
function claimShare(used: string, claims: readonly string[]): string {
  // Claim names are DNS labels, so they need no regex escaping.
  const size = `kube_persistentvolumeclaim_resource_requests_storage_bytes{${kubeState},persistentvolumeclaim=~"${claims.join("|")}"}`;
  return `max by (persistentvolumeclaim) (scalar(${used}) / ${size})`;
}

/**
 * How full each data volume is, from what its workload reports storing: PostgreSQL's databases (a streaming
 * replica is a physical copy, so each data volume holds the largest server's), Redis's append-only file, the
 * newest backup times the most backups the volume holds, and Prometheus' persisted blocks (its WAL adds the last
 * few hours of samples on top).
 */
export function volumeUsage(s: ObservabilitySettings): string {
  return [
    claimShare(`max(sum by (pod) (pg_database_size_bytes{${pg}}))`, s.volumeClaims.postgres),
    claimShare(`max(redis_aof_current_size_bytes{${redis}})`, [s.volumeClaims.redis]),
    claimShare(`max(backup_size_bytes{${backup}}) * ${s.backupsOnVolume}`, [s.volumeClaims.backups]),
    claimShare(`max(prometheus_tsdb_storage_blocks_bytes{${prometheus}})`, [s.volumeClaims.prometheus]),
  ].join(" or ");
}
