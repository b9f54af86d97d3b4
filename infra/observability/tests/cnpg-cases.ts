import { LAST_BACKUP_METRIC } from "../cnpgRules";
import type { ObservabilitySettings } from "../settings";
import { fire, flat, labelsOf, OTHER_NAMESPACE, quiet, series, type AlertCase } from "./scenarios";

/** The scenarios of the CloudNativePG alerts (cnpgRules.ts), with each stack's instance count and thresholds. */
export function cloudnativePgCases(s: ObservabilitySettings): Record<string, AlertCase> {
  const t = s.thresholds;
  const instance = labelsOf(s).cnpg;
  const pod = (serial: number) => `${s.postgresCluster}-${serial}`;
  const on = (serial: number) => ({ ...instance, pod: pod(serial) });
  const up = (serial: number, value: number) => series("cnpg_collector_up", on(serial), flat(value));
  // Another environment's cluster of the same name, every instance up.
  const elsewhereUp = series("cnpg_collector_up", { ...on(1), namespace: OTHER_NAMESPACE }, flat(1));
  const serials = Array.from({ length: s.postgresInstances }, (_, i) => i + 1);
  const cases: Record<string, AlertCase> = {
    CnpgClusterNotHealthy: {
      fires: [
        fire("one instance short", serials.map((serial) => up(serial, serial === 1 ? 0 : 1)), "4m", "10m"),
        fire("no instance reports here, another environment's do", [elsewhereUp], "4m", "10m"),
      ],
      quiet: [quiet("every instance up", serials.map((serial) => up(serial, 1)), "20m")],
    },
  };
  if (s.postgresInstances > 1) {
    const lag = (seconds: number) => [series("cnpg_pg_replication_lag", on(2), flat(seconds))];
    const recovery = (serial: number, values: string) =>
      series("cnpg_pg_replication_in_recovery", on(serial), values);
    cases.CnpgReplicationLag = {
      fires: [fire("twice the limit", lag(t.replicationLagSeconds * 2), "4m", "10m", { pod: pod(2) })],
      quiet: [quiet("just under the limit", lag(t.replicationLagSeconds - 1), "20m")],
    };
    cases.CnpgFailover = {
      // Instance 2 is promoted at minute 11 while instance 1 goes away.
      fires: [
        fire("a replica became primary", [recovery(1, "0+0x10"), recovery(2, "1+0x10 0+0x50")], "11m", "14m", { pod: pod(2) }),
      ],
      quiet: [
        quiet("the same primary throughout", [recovery(1, flat(0)), recovery(2, flat(1))], "30m"),
        quiet("a promotion more than 15 minutes ago", [recovery(2, "1+0x10 0+0x50")], "40m"),
      ],
    };
  }
  if (s.continuousBackups) {
    const archiver = (failed: number, archived: number) => [
      series("cnpg_pg_stat_archiver_last_failed_time", on(1), flat(failed)),
      series("cnpg_pg_stat_archiver_last_archived_time", on(1), flat(archived)),
    ];
    cases.CnpgWalArchivingFailing = {
      fires: [fire("the last attempt failed", archiver(2000, 1000), "4m", "10m", { pod: pod(1) })],
      quiet: [quiet("archived after the last failure", archiver(1000, 2000), "20m")],
    };
    // Ten-minute steps: the threshold is a day or more. The condition first holds one step past it.
    const step = 10;
    const limitMinutes = Math.ceil(t.baseBackupMaxAgeSeconds / 60 / step) * step;
    const samples = limitMinutes / step + 10;
    const lastBackup = (timestamp: number) => [series(LAST_BACKUP_METRIC, on(1), `${timestamp}+0x${samples}`)];
    cases.CnpgBaseBackupTooOld = {
      stepMinutes: step,
      fires: [
        fire("no backup since the start", lastBackup(0), `${limitMinutes + 20}m`, `${limitMinutes + 50}m`),
        fire("no backup ever reported", [up(1, 1)], "10m", "50m", { job: instance.job }),
      ],
      quiet: [
        quiet("a backup within the limit", lastBackup(3 * step * 60), `${limitMinutes + 20}m`),
        quiet("no instance reports here: CnpgClusterNotHealthy's case", [elsewhereUp], "60m"),
      ],
    };
  }
  return cases;
}
