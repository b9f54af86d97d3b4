/**
 * The alerts a team running PostgreSQL on CloudNativePG pages on, from the instance managers' own exporters (the
 * operator's default monitoring queries, `cnpg_*`) and the Barman Cloud plugin's metrics: the cluster short of
 * ready instances, a replica lagging, a failover or switchover, WAL archiving failing, the newest base backup too
 * old. The exporter-based rules (rules.ts) keep watching connections and transactions through the `-rw` Service.
 */
import { humanSeconds, promDuration, type AlertRule } from "./alertFormat";
import { selectorsFor } from "./selectors";
import type { ObservabilitySettings } from "./settings";

/** The plugin's metric (it supersedes the operator's `cnpg_collector_last_available_backup_timestamp`). */
export const LAST_BACKUP_METRIC = "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp";

export function cloudnativePgRules(s: ObservabilitySettings): AlertRule[] {
  const t = s.thresholds;
  const { cnpg } = selectorsFor(s);
  const instances = s.postgresInstances;
  const rules: AlertRule[] = [
    {
      alert: "CnpgClusterNotHealthy",
      // cnpg_collector_up is 1 while the instance manager reaches its PostgreSQL; a missing pod reports nothing.
      expr: `(count(cnpg_collector_up{${cnpg}} == 1) or vector(0)) < ${instances}`,
      for: "5m",
      severity: "critical",
      subsystem: "postgres",
      summary: `Fewer than ${instances} PostgreSQL instances of ${s.postgresCluster} are up`,
      description:
        `Fewer than the ${instances} configured instances of the CloudNativePG Cluster ${s.postgresCluster} have ` +
        "reported a running PostgreSQL for 5 minutes: the cluster has less redundancy than it should, or none.",
    },
  ];
  if (instances > 1) {
    rules.push(
      {
        alert: "CnpgReplicationLag",
        expr: `max by (pod) (cnpg_pg_replication_lag{${cnpg}}) > ${t.replicationLagSeconds}`,
        for: "5m",
        severity: "warning",
        subsystem: "postgres",
        summary: "PostgreSQL replica {{ $labels.pod }} lags behind the primary",
        description:
          `Replica {{ $labels.pod }} has been more than ${humanSeconds(t.replicationLagSeconds)} behind the ` +
          "primary for 5 minutes; a failover to it now would take that long to catch up, or lose data.",
      },
      {
        alert: "CnpgFailover",
        // An instance that left recovery in the last 15 minutes and is primary now: a failover or a switchover.
        expr:
          `(max by (pod) (changes(cnpg_pg_replication_in_recovery{${cnpg}}[15m])) > 0)` +
          ` and on (pod) (max by (pod) (cnpg_pg_replication_in_recovery{${cnpg}}) == 0)`,
        for: "1m",
        severity: "warning",
        subsystem: "postgres",
        summary: "{{ $labels.pod }} has become the PostgreSQL primary",
        description:
          "Instance {{ $labels.pod }} was promoted within the last 15 minutes (a failover, or a switchover " +
          "someone or an update asked for): find out why the former primary went, and whether it rejoined.",
      },
    );
  }
  if (s.continuousBackups) {
    rules.push(
      {
        alert: "CnpgWalArchivingFailing",
        expr: `max by (pod) (cnpg_pg_stat_archiver_last_failed_time{${cnpg}} - cnpg_pg_stat_archiver_last_archived_time{${cnpg}}) > 0`,
        for: "5m",
        severity: "critical",
        subsystem: "postgres",
        summary: "WAL archiving from {{ $labels.pod }} is failing",
        description:
          "The last attempt of {{ $labels.pod }} to archive a WAL file to the object store failed, and none has " +
          "succeeded since, for 5 minutes: point-in-time recovery stops at the last archived file, and WAL piles up " +
          "on the instance's volume.",
      },
      {
        alert: "CnpgBaseBackupTooOld",
        expr:
          `(time() - max(${LAST_BACKUP_METRIC}{${cnpg}}) > ${t.baseBackupMaxAgeSeconds})` +
          ` or (absent(${LAST_BACKUP_METRIC}{${cnpg}}) and on () count(cnpg_collector_up{${cnpg}}) > 0)`,
        for: "30m",
        severity: "warning",
        subsystem: "postgres",
        summary: `The newest base backup of ${s.postgresCluster} is older than ${humanSeconds(t.baseBackupMaxAgeSeconds)}`,
        description:
          `No base backup newer than ${humanSeconds(t.baseBackupMaxAgeSeconds)} (${promDuration(t.baseBackupMaxAgeSeconds)}) ` +
          "is in the object store, or none at all: recovery has to replay more WAL than planned, and retention " +
          "cannot drop old WAL.",
      },
    );
  }
  return rules;
}
