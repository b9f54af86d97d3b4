import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { meta } from "../../k8s";
import { objectLabels, workloads } from "../../labels";
import { stateful, TYPE_PREFIX, type StackContext } from "../context";
import type { Secrets } from "../secrets";
import { OBJECT_STORE_KIND, objectStoreSpec, SCHEDULED_BACKUP_KIND, scheduledBackupSpec } from "./archive";
import { clusterSpec, CNPG_API_VERSION } from "./cluster";
import { CLUSTER_NAME, databaseServices, OBJECT_STORE_NAME, RECOVERY_CLUSTER_NAME } from "./names";
import { POOLER_KIND, poolerSpec } from "./pooler";
import { recoveryBootstrap } from "./recovery";

export interface DatabaseArgs extends StackContext {
  secrets: Secrets;
}

/**
 * PostgreSQL as a CloudNativePG Cluster (the operator owns failover, switchover, replication and the PDBs), the
 * API's PgBouncer Pooler, and with `backups.s3` continuous WAL archiving and scheduled base backups to the bucket,
 * plus a point-in-time recovery Cluster when `database.recovery` asks for one. Without `backups.s3` (dev, test)
 * nothing is archived: the logical dumps on the backup volume are the only copies.
 */
export class Database extends pulumi.ComponentResource {
  /** The serving Cluster: workloads that need the database up depend on it. */
  public readonly cluster: k8s.apiextensions.CustomResource;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:Database`, name, {}, opts);
    const { settings, platform, namespace, instance, secrets } = args;
    const db = settings.database;
    const child = { parent: this };
    const labels = objectLabels(instance, workloads.postgres);
    const s3 = settings.backups.s3;
    const credentials = secrets.backupS3;
    const archive = s3 !== undefined && credentials !== undefined;
    const pluginName = platform.operators.barmanCloud.pluginName;
    const roleSecrets = secrets.databaseRoles;

    const objectStore = archive
      ? new k8s.apiextensions.CustomResource(
          "object-store",
          {
            ...OBJECT_STORE_KIND,
            metadata: meta(OBJECT_STORE_NAME, namespace, labels),
            spec: objectStoreSpec({ settings, s3, credentials }),
          },
          // The archive's definition: deleting it stops WAL archiving and hides the backups from the operator.
          { ...child, ...stateful(settings) },
        )
      : undefined;
    // What holds the data (the Clusters, whose instances' claims the operator owns, and the object store) gets the
    // stack's protection: protect refuses a plan that deletes or replaces them, retainOnDelete leaves them behind.
    const afterStore = { ...child, ...stateful(settings), dependsOn: objectStore === undefined ? [] : [objectStore] };

    this.cluster = new k8s.apiextensions.CustomResource(
      "cluster",
      {
        apiVersion: CNPG_API_VERSION,
        kind: "Cluster",
        metadata: meta(CLUSTER_NAME, namespace, labels),
        spec: {
          description: `football-prediction ${settings.environment}`,
          ...clusterSpec({ settings, platform, instance, name: CLUSTER_NAME, roleSecrets, archive }),
          bootstrap: {
            initdb: { database: db.name, owner: "app", secret: { name: roleSecrets.app }, dataChecksums: true },
          },
        },
      },
      // The bootstrap is read once, when the Cluster is created; its Secret is content-named like the others, so
      // after a rotation the stack would otherwise rewrite a field the operator no longer reads. A rotation changes
      // only `managed.roles[].passwordSecret.name`: an in-place update, never a replace.
      { ...afterStore, ignoreChanges: ["spec.bootstrap"] },
    );

    new k8s.apiextensions.CustomResource(
      "pooler",
      {
        ...POOLER_KIND,
        metadata: meta(databaseServices.pooler, namespace, objectLabels(instance, workloads.pooler)),
        spec: poolerSpec(db, instance, settings.priorityClassName),
      },
      { ...child, dependsOn: [this.cluster] },
    );
    if (archive) {
      new k8s.apiextensions.CustomResource(
        "scheduled-backup",
        {
          ...SCHEDULED_BACKUP_KIND,
          metadata: meta(`${CLUSTER_NAME}-daily`, namespace, labels),
          spec: scheduledBackupSpec(s3, CLUSTER_NAME, pluginName),
        },
        { ...child, dependsOn: [this.cluster] },
      );
    }

    if (db.recovery !== undefined && archive) {
      new k8s.apiextensions.CustomResource(
        "recovery-cluster",
        {
          apiVersion: CNPG_API_VERSION,
          kind: "Cluster",
          metadata: meta(RECOVERY_CLUSTER_NAME, namespace, labels),
          spec: {
            description: `point-in-time recovery of ${db.recovery.sourceCluster} to ${db.recovery.targetTime}`,
            ...clusterSpec({ settings, platform, instance, name: RECOVERY_CLUSTER_NAME, roleSecrets, archive }),
            // One instance is enough to inspect, dump or cut over from; scale it afterwards if it is to serve.
            instances: 1,
            ...recoveryBootstrap(db, db.recovery, pluginName, roleSecrets.app),
          },
        },
        // Restored once, at creation: a later rotation or target time leaves the recovered Cluster as it is.
        { ...afterStore, ignoreChanges: ["spec.bootstrap"] },
      );
    }

    this.registerOutputs({});
  }
}
