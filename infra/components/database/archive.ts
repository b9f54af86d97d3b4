/**
 * Continuous backups to S3-compatible object storage through the Barman Cloud plugin: the `ObjectStore` (where,
 * with which credentials, encrypted how, kept how long) and a `ScheduledBackup` of the Cluster into it. WAL is
 * archived continuously by the plugin's sidecar in every instance (the Cluster's `plugins` entry, cluster.ts).
 *
 * Retention: Barman keeps a recovery window, not counts of daily, weekly and monthly copies; it keeps every base
 * backup and WAL file needed to recover to any moment within the window. The window is the longest span the stack's
 * retention counts cover (`keepDaily` days, `keepWeekly` weeks, `keepMonthly` months of 30 days), so point-in-time
 * recovery reaches as far back as the oldest logical dump, and every daily base backup inside it stays too.
 */
import type { BackupS3Settings, Settings } from "../../config";
import type { SecretKeyRef } from "../secrets";
import { CNPG_API_VERSION } from "./cluster";

export const OBJECT_STORE_KIND = { apiVersion: "barmancloud.cnpg.io/v1", kind: "ObjectStore" } as const;
export const SCHEDULED_BACKUP_KIND = { apiVersion: CNPG_API_VERSION, kind: "ScheduledBackup" } as const;

/** The recovery window in days (see above). */
export function recoveryWindowDays(backups: Settings["backups"]): number {
  return Math.max(backups.keepDaily, backups.keepWeekly * 7, backups.keepMonthly * 30);
}

/** Where in the bucket: one folder per namespace, so environments sharing a bucket never mix their archives. */
export function destinationPath(s3: BackupS3Settings, namespace: string): string {
  return `s3://${s3.bucket}/cloudnative-pg/${namespace}`;
}

export interface ObjectStoreArgs {
  settings: Settings;
  s3: BackupS3Settings;
  credentials: { accessKeyId: SecretKeyRef; secretAccessKey: SecretKeyRef };
}

export function objectStoreSpec({ settings, s3, credentials }: ObjectStoreArgs) {
  const keyRef = (ref: SecretKeyRef) => ({ name: ref.name, key: ref.key });
  return {
    retentionPolicy: `${recoveryWindowDays(settings.backups)}d`,
    configuration: {
      destinationPath: destinationPath(s3, settings.namespace),
      endpointURL: s3.endpoint,
      s3Credentials: {
        accessKeyId: keyRef(credentials.accessKeyId),
        secretAccessKey: keyRef(credentials.secretAccessKey),
      },
      // Encryption at rest by the bucket (S3 server-side encryption), on WAL and base backups alike.
      wal: { compression: "zstd", encryption: s3.encryption, maxParallel: 2 },
      data: { compression: "snappy", encryption: s3.encryption, jobs: 2 },
    },
    // The plugin's sidecar in each instance: archiving is light, a base backup uploads for a while.
    instanceSidecarConfiguration: {
      resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
    },
  };
}

/** CloudNativePG's schedules have a seconds field first; the stack's are five-field crons. */
export function scheduledBackupSpec(s3: BackupS3Settings, cluster: string, pluginName: string) {
  return {
    cluster: { name: cluster },
    schedule: `0 ${s3.baseBackupSchedule}`,
    method: "plugin",
    pluginConfiguration: { name: pluginName },
    // A base backup at once when the Cluster is new: WAL archived before the first one is useless for recovery.
    immediate: true,
    backupOwnerReference: "self",
  };
}
