/**
 * The CloudNativePG `Cluster` spec: instances spread over nodes and zones, PostgreSQL sized from the stack's
 * memory, the roles the stack's workloads log in as, and (with `backups.s3`) WAL archiving through the Barman Cloud
 * plugin. The serving Cluster and a point-in-time recovery Cluster (recovery.ts) share everything here but their
 * bootstrap.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../config";
import { images } from "../../images";
import { resourcesOf } from "../../k8s";
import { PART_OF, selectorLabels, workloads, type Labels } from "../../labels";
import type { Platform } from "../../platform";
import { CLUSTER_LABEL, databaseRoles, OBJECT_STORE_NAME, type DatabaseRole } from "./names";
import { postgresParameters } from "./parameters";

export const CNPG_API_VERSION = "postgresql.cnpg.io/v1";

/** The Secret (type `kubernetes.io/basic-auth`, keys `username` and `password`) of each managed role. */
export type RoleSecrets = Record<DatabaseRole, pulumi.Input<string>>;

/** What each role may do besides logging in; passwords come from its Secret, so rotating one is a new Secret value. */
const rolePrivileges: Record<DatabaseRole, { inRoles?: string[]; createdb?: boolean }> = {
  app: {},
  // Acts as the owner through `SET ROLE` (its connection's options), so it must be a member.
  migration: { inRoles: [databaseRoles.app] },
  monitor: { inRoles: ["pg_monitor"] },
  // pg_dump reads everything; verify restores into a scratch database it creates and drops.
  backup: { inRoles: ["pg_read_all_data"], createdb: true },
};

export function managedRoles(secrets: RoleSecrets) {
  return (Object.keys(databaseRoles) as DatabaseRole[]).map((role) => ({
    name: databaseRoles[role],
    ensure: "present",
    login: true,
    passwordSecret: { name: secrets[role] },
    ...rolePrivileges[role],
  }));
}

/**
 * Labels the operator copies onto every object it creates for the Cluster (pods, PVCs, Services, Jobs): the
 * workload table's selector, so the NetworkPolicies select the instances like any other workload.
 */
export function instanceLabels(instance: string): Labels {
  return { ...selectorLabels(instance, workloads.postgres), "app.kubernetes.io/part-of": PART_OF };
}

export interface ClusterSpecArgs {
  settings: Settings;
  platform: Platform;
  instance: string;
  /** The Cluster's own name (the serving one, or the recovery one). */
  name: string;
  roleSecrets: RoleSecrets;
  /** Set exactly when `backups.s3` is: the object store WAL is archived to, under this Cluster's name. */
  archive: boolean;
}

/** Everything of a Cluster's spec but `bootstrap` (and, for a recovery, `externalClusters`). */
export function clusterSpec(args: ClusterSpecArgs) {
  const { settings, platform, instance, name } = args;
  const db = settings.database;
  const spread = db.instances > 1;
  return {
    instances: db.instances,
    imageName: `${images.cnpgPostgres.repository}:${images.cnpgPostgres.tag}`,
    // After every replica runs the new spec, the primary is switched over to an updated replica instead of being
    // restarted in place: a few seconds of failed writes, which the service retries, rather than a restart's minute.
    primaryUpdateStrategy: db.primaryUpdateStrategy,
    primaryUpdateMethod: "switchover",
    enableSuperuserAccess: false,
    // The operator's own PodDisruptionBudgets: a drain never evicts the primary without a switchover first, and
    // never more than one replica at a time.
    enablePDB: true,
    postgresql: {
      parameters: postgresParameters(settings),
      ...(db.synchronous === undefined ? {} : { synchronous: db.synchronous }),
    },
    managed: { roles: managedRoles(args.roleSecrets) },
    storage: { size: db.storageSize, storageClass: platform.storageClasses.database },
    ...(db.walStorageSize === undefined
      ? {}
      : { walStorage: { size: db.walStorageSize, storageClass: platform.storageClasses.wal } }),
    resources: resourcesOf(db.resources),
    ...(settings.priorityClassName === undefined ? {} : { priorityClassName: settings.priorityClassName }),
    affinity: {
      // One instance per node: a node failure takes at most one; with a single instance there is nothing to spread.
      enablePodAntiAffinity: spread,
      topologyKey: "kubernetes.io/hostname",
      podAntiAffinityType: "required",
    },
    ...(spread
      ? {
          // And across zones where the cluster has them, without blocking scheduling where it does not.
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: "topology.kubernetes.io/zone",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: { [CLUSTER_LABEL]: name } },
            },
          ],
        }
      : {}),
    // No `monitoring.enablePodMonitor` (deprecated upstream): the stack renders its own PodMonitor for the
    // instances (components/monitoring.ts), with the job label the rules select on.
    inheritedMetadata: { labels: instanceLabels(instance) },
    ...(args.archive
      ? {
          plugins: [
            {
              name: platform.operators.barmanCloud.pluginName,
              isWALArchiver: true,
              parameters: { barmanObjectName: OBJECT_STORE_NAME, serverName: name },
            },
          ],
        }
      : {}),
  };
}
