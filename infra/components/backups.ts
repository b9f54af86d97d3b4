import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { colourTag, nameWithTag } from "../blueGreen";
import type { Settings } from "../config";
import { imageUsers } from "../images";
import {
  claimGrowth,
  CLAIM_CLASS_PATH,
  CLAIM_SIZE_PATH,
  FINISHED_JOB_IGNORES,
  FINISHED_JOB_TTL_SECONDS,
  meta,
  plainEnv,
  podDefaults,
  restrictedContainerSecurity,
  scratchVolume,
  secretEnv,
  serviceAccount,
  volumeClaimSpec,
  type Container,
  type EnvVar,
} from "../k8s";
import { claimLabels, labelValue, objectLabels, workloads } from "../labels";
import { stateful, TYPE_PREFIX, type StackContext } from "./context";
import { CLUSTER_NAME } from "./database/names";
import { credentialsRotationAnnotations, type Secrets } from "./secrets";

export interface BackupsArgs extends StackContext {
  secrets: Secrets;
  /** The cluster's Pushgateway, where backup commands push their metrics; absent when monitoring is off. */
  pushgatewayUrl?: string;
  /** The backup image's release must have migrated the database it dumps. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

const BACKUP_DIR = "/backups";
/** The backup volume's claim; the monitoring estimates how full it is. */
export const BACKUP_CLAIM = "backups";
const UID = imageUsers.service;

/**
 * The bucket every backup is also uploaded to, and its credentials (docs/backups.md); nothing when `backups.s3`
 * is unset.
 */
function s3Env(settings: Settings, secrets: Secrets): EnvVar[] {
  const s3 = settings.backups.s3;
  if (s3 === undefined) {
    return [];
  }
  if (secrets.backupS3 === undefined) {
    throw new Error("backups.s3 is set but the Secrets component made no S3 credentials");
  }
  return [
    ...plainEnv({
      BACKUP_S3_ENDPOINT: s3.endpoint,
      BACKUP_S3_BUCKET: s3.bucket,
      ...(s3.region === undefined ? {} : { AWS_REGION: s3.region }),
    }),
    secretEnv("BACKUP_S3_ACCESS_KEY_ID", secrets.backupS3.accessKeyId.name, secrets.backupS3.accessKeyId.key),
    secretEnv("BACKUP_S3_SECRET_ACCESS_KEY", secrets.backupS3.secretAccessKey.name, secrets.backupS3.secretAccessKey.key),
  ];
}

interface Schedule {
  command: "backup" | "prune" | "verify";
  schedule: string;
  /** Longest a run may take before Kubernetes stops it. */
  deadlineSeconds: number;
}

/**
 * PostgreSQL backups with the service image's own commands (docs/service-interface.md): CronJobs that dump,
 * prune to the retention policy and restore-verify the newest dump on a volume of their own, plus a one-off Job
 * that verifies a restore with each new release. With `backups.s3` every command also works on the bucket.
 */
export class Backups extends pulumi.ComponentResource {
  public readonly volumeClaimName: pulumi.Output<string>;

  constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:Backups`, name, {}, opts);
    const { settings, namespace, instance, secrets, pushgatewayUrl } = args;
    const backups = settings.backups;
    const child = { parent: this };
    const tag = colourTag(settings, settings.blueGreen.active);
    const labels = objectLabels(instance, workloads.backup, labelValue(tag));

    const sa = serviceAccount("backup", namespace, labels, child);
    const s3 = s3Env(settings, secrets);
    const claim = new k8s.core.v1.PersistentVolumeClaim(
      BACKUP_CLAIM,
      {
        metadata: meta(BACKUP_CLAIM, namespace, claimLabels(instance, workloads.backup)),
        spec: volumeClaimSpec(backups.storageSize, args.platform.storageClasses.default),
      },
      { ...child, ...stateful(settings), ignoreChanges: [CLAIM_SIZE_PATH, CLAIM_CLASS_PATH] },
    );
    claimGrowth(`${BACKUP_CLAIM}-size`, BACKUP_CLAIM, namespace, backups.storageSize, {
      ...child,
      ...stateful(settings),
      dependsOn: [claim],
    });
    this.volumeClaimName = claim.metadata.name;

    const container = (command: string, argv: string[] = []): Container => ({
      name: command,
      image: `${settings.imageRepository}:${tag}`,
      imagePullPolicy: settings.image.pullPolicy,
      args: [command, ...argv],
      env: [
        secretEnv("DATABASE_URL", secrets.backupDatabaseUrl.name, secrets.backupDatabaseUrl.key),
        ...plainEnv({
          BACKUP_DIR,
          BACKUP_KEEP_DAILY: String(backups.keepDaily),
          BACKUP_KEEP_WEEKLY: String(backups.keepWeekly),
          BACKUP_KEEP_MONTHLY: String(backups.keepMonthly),
          LOG_LEVEL: settings.logLevel,
          ...(pushgatewayUrl === undefined ? {} : { PUSHGATEWAY_URL: pushgatewayUrl, PUSHGATEWAY_NAMESPACE: settings.namespace }),
        }),
        ...s3,
      ],
      resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
      securityContext: restrictedContainerSecurity(UID),
      volumeMounts: [
        { name: "backups", mountPath: BACKUP_DIR },
        { name: "tmp", mountPath: "/tmp" },
      ],
    });

    const jobSpec = (c: Container, deadlineSeconds: number, backoffLimit: number) => ({
      backoffLimit,
      activeDeadlineSeconds: deadlineSeconds,
      template: {
        metadata: { labels, annotations: credentialsRotationAnnotations(settings) },
        spec: {
          ...podDefaults(sa.metadata.name, UID),
          restartPolicy: "Never",
          containers: [c],
          volumes: [
            { name: "backups", persistentVolumeClaim: { claimName: claim.metadata.name } },
            // pg_dump and pg_restore stage through here; sized for a dump of this database.
            scratchVolume("tmp", "2Gi"),
          ],
        },
      },
    });

    const schedules: Schedule[] = [
      { command: "backup", schedule: backups.schedule, deadlineSeconds: 3600 },
      { command: "prune", schedule: backups.pruneSchedule, deadlineSeconds: 600 },
      { command: "verify", schedule: backups.verifySchedule, deadlineSeconds: 3600 },
    ];
    // Names what the dumps hold, for the policy pack: the CloudNativePG Cluster (its instances are the operator's pods).
    const targets = CLUSTER_NAME;
    for (const { command, schedule, deadlineSeconds } of schedules) {
      const cronName = command === "backup" ? "backup" : `backup-${command}`;
      new k8s.batch.v1.CronJob(
        cronName,
        {
          metadata: meta(cronName, namespace, labels, command === "backup" ? { "backup/target": targets } : undefined),
          spec: {
            schedule,
            timeZone: "Etc/UTC",
            // A run still going when the next is due is left to finish; the next slot is skipped, not stacked.
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 600,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 5,
            jobTemplate: { metadata: { labels }, spec: jobSpec(container(command), deadlineSeconds, 1) },
          },
        },
        { ...child, dependsOn: args.dependsOn },
      );
    }

    // With each release, prove the newest backup restores with that release's tools. `skipAwait`: on a fresh
    // stack there is no backup yet, and a failed verification is an alert (backup_verify_success), not a failed
    // deployment. No `replaceUnready` either: a verification still running (up to an hour) is not ready, and the
    // next `pulumi up` would kill it; the weekly backup-verify CronJob re-verifies after a failure.
    const verifyName = nameWithTag("restore-verify", tag);
    new k8s.batch.v1.Job(
      "restore-verify",
      {
        metadata: meta(verifyName, namespace, labels, { "pulumi.com/skipAwait": "true" }),
        spec: { ...jobSpec(container("verify"), 3600, 0), ttlSecondsAfterFinished: FINISHED_JOB_TTL_SECONDS },
      },
      { ...child, dependsOn: args.dependsOn, ignoreChanges: FINISHED_JOB_IGNORES },
    );

    this.registerOutputs({ volumeClaimName: this.volumeClaimName });
  }
}
