/**
 * The names, ports and roles of the stack's PostgreSQL on CloudNativePG: one module, because the Cluster, its
 * Pooler, the Secrets that build connection URLs, the NetworkPolicies and the monitoring must all agree on them.
 * The operator derives its Services from the Cluster's name: `<cluster>-rw` follows the primary, `-ro` the
 * replicas, `-r` any instance; a Pooler's Service is the Pooler's own name.
 */
import { metricsPorts } from "../../observability/settings";

/** The serving Cluster's name; also its `serverName` in the object store (the backups' folder). */
export const CLUSTER_NAME = "postgres";

/** The Cluster a point-in-time recovery renders beside the serving one (`database.recovery`). */
export const RECOVERY_CLUSTER_NAME = `${CLUSTER_NAME}-pitr`;

export const databaseServices = {
  /** The primary, whichever instance it is: writes, migrations, dumps, the worker. */
  readWrite: `${CLUSTER_NAME}-rw`,
  /** Any instance, the primary included. */
  anyInstance: `${CLUSTER_NAME}-r`,
  /** PgBouncer in transaction mode in front of `-rw`: the API. */
  pooler: `${CLUSTER_NAME}-pooler-rw`,
} as const;

/** The Barman Cloud plugin's ObjectStore the Cluster archives to and recovers from. */
export const OBJECT_STORE_NAME = `${CLUSTER_NAME}-object-store`;

export const databasePorts = {
  postgres: 5432,
  /** The instance manager's status endpoint, which the operator calls on every instance. */
  instanceStatus: 8000,
  /** The instance manager's Prometheus exporter (the `cnpg_*` metrics). */
  instanceMetrics: metricsPorts.cloudnativePg,
  /** PgBouncer's exporter in the Pooler's pods. */
  poolerMetrics: metricsPorts.pgbouncer,
} as const;

/**
 * The roles the operator manages from the generated passwords (`spec.managed.roles`). The application role owns
 * the database; the migration role logs in with its own password and acts as the owner (`SET ROLE` through the
 * connection's options), so migrations create objects the application owns. Replication uses the operator's
 * `streaming_replica` with TLS client certificates, and the `postgres` superuser has no password at all.
 */
export const databaseRoles = {
  app: "app",
  migration: "migrator",
  monitor: "monitor",
  backup: "backup",
} as const;

export type DatabaseRole = keyof typeof databaseRoles;

/** The label the operator puts on every pod, PVC and Job of a Cluster. */
export const CLUSTER_LABEL = "cnpg.io/cluster";
/** The label the operator puts on a Secret it should watch: a new password reaches PostgreSQL at once. */
export const RELOAD_LABEL = "cnpg.io/reload";
