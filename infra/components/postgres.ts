import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { images, imageUsers, thirdPartyImage } from "../images";
import {
  claimGrowth,
  clusterService,
  contentConfigMap,
  disruptionBudget,
  execProbe,
  meta,
  plainEnv,
  podDefaults,
  resourcesOf,
  restrictedContainerSecurity,
  scratchVolume,
  secretEnv,
  serviceAccount,
  servingPriority,
  statefulSetClaim,
  CLAIM_TEMPLATES_PATH,
  volumeClaimSpec,
  type Container,
} from "../k8s";
import { claimLabels, objectLabels, selectorLabels, workloads, type Workload } from "../labels";
import { stateful, TYPE_PREFIX, type StackContext } from "./context";
import {
  credentialsRotationAnnotations,
  DATABASE_HOST,
  DATABASE_REPLICA_HOST,
  databaseRoles,
  type Secrets,
} from "./secrets";

export interface PostgresArgs extends StackContext {
  secrets: Secrets;
}

const PGDATA = "/var/lib/postgresql/data/pgdata";
const PORT = 5432;
const UID = imageUsers.postgres;
const PG_READY = ["pg_isready", "--host=127.0.0.1", `--port=${PORT}`];

/**
 * Runs once, when the entrypoint initialises an empty data directory: the application, replication, monitoring
 * and backup roles with their generated passwords (from the environment, never from this file), the database
 * handed to the application role, and a pg_hba line so the replica can stream. The backup role reads all data
 * (pg_dump) and may create databases (verify restores into a scratch one it then drops).
 */
const INIT_SCRIPT = `#!/bin/sh
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \\
  --set db="$POSTGRES_DB" \\
  --set app_password="$APP_PASSWORD" \\
  --set replication_password="$REPLICATION_PASSWORD" \\
  --set monitor_password="$MONITOR_PASSWORD" \\
  --set backup_password="$BACKUP_PASSWORD" <<'SQL'
CREATE ROLE ${databaseRoles.app} LOGIN PASSWORD :'app_password';
ALTER DATABASE :"db" OWNER TO ${databaseRoles.app};
CREATE ROLE ${databaseRoles.replication} WITH REPLICATION LOGIN PASSWORD :'replication_password';
CREATE ROLE ${databaseRoles.monitor} LOGIN PASSWORD :'monitor_password' IN ROLE pg_monitor;
CREATE ROLE ${databaseRoles.backup} LOGIN CREATEDB PASSWORD :'backup_password' IN ROLE pg_read_all_data;
SQL
echo "host replication ${databaseRoles.replication} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
`;

/** Each role and the variable its password arrives in: the init script's for the roles, the entrypoint's for the superuser. */
const rolePasswordVariables: ReadonlyArray<[role: string, variable: string]> = [
  [databaseRoles.superuser, "POSTGRES_PASSWORD"],
  [databaseRoles.app, "APP_PASSWORD"],
  [databaseRoles.replication, "REPLICATION_PASSWORD"],
  [databaseRoles.monitor, "MONITOR_PASSWORD"],
  [databaseRoles.backup, "BACKUP_PASSWORD"],
];

/**
 * The init script sets passwords only when a data directory is created, so a rotated password would never reach
 * an existing one: before the server starts, this sets every role's password from the Secret again, in
 * single-user mode (no connection, so no password needed), with the server's settings as arguments. The
 * passwords are spliced into SQL, which is safe only because they are alphanumeric (`special: false`); anything
 * else is refused rather than quoted. Single-user mode carries on after an error, so `exit_on_error` makes a failed
 * ALTER fail the pod; the `log_min_*` settings keep the statements, passwords and all, out of the log whether they
 * fail or are slow. A fresh volume is left to the entrypoint and the init script.
 */
const SYNC_PASSWORDS_SCRIPT = `set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then exit 0; fi
for variable in ${rolePasswordVariables.map(([, variable]) => variable).join(" ")}; do
  case "$(printenv "$variable" || true)" in
    ""|*[!A-Za-z0-9]*) echo "$variable is empty or not alphanumeric: refusing to put it into SQL" >&2; exit 1 ;;
  esac
done
postgres --single -D "$PGDATA" "$@" -c exit_on_error=on \\
  -c log_min_error_statement=panic -c log_min_duration_statement=-1 postgres >/dev/null <<SQL
${rolePasswordVariables.map(([role, variable]) => `ALTER ROLE "${role}" PASSWORD '$${variable}';`).join("\n")}
SQL
`;

/**
 * Where the standby streams from, without a password: libpq then takes PGPASSWORD from the server's environment,
 * which the Secret fills at each start. Given on the command line, it overrides the primary_conninfo that
 * pg_basebackup wrote into the data directory with the password of the day of the clone.
 */
const PRIMARY_CONNINFO = `host=${DATABASE_HOST} port=${PORT} user=${databaseRoles.replication}`;

/** `-c name=value` for each setting, as postgres takes them on its command line. */
function settingArgs(settings: string[]): string[] {
  return settings.flatMap((setting) => ["-c", setting]);
}

/**
 * Clones the primary into an empty volume; `--write-recovery-conf` leaves standby.signal and primary_conninfo
 * behind, so the main container starts as a streaming hot standby. A volume that already holds data is kept.
 */
const CLONE_SCRIPT = `set -eu
if [ -s "$PGDATA/PG_VERSION" ]; then exit 0; fi
until pg_isready --host=${DATABASE_HOST} --port=${PORT}; do sleep 2; done
pg_basebackup --host=${DATABASE_HOST} --port=${PORT} --username=${databaseRoles.replication} --no-password \\
  --pgdata="$PGDATA" --wal-method=stream --write-recovery-conf --checkpoint=fast
`;

/**
 * PostgreSQL as a StatefulSet with its own volume per pod; in stacks with `database.replica` a second StatefulSet
 * runs a streaming-replication hot standby, and a PodDisruptionBudget keeps one of the two up during drains.
 */
export class Postgres extends pulumi.ComponentResource {
  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:Postgres`, name, {}, opts);
    const { settings, namespace, instance, secrets } = args;
    const db = settings.database;
    const child = { parent: this };
    const version = images.postgres.tag;
    const labels = (w: Workload) => objectLabels(instance, w, version);

    const sa = serviceAccount("postgres", namespace, labels(workloads.postgres), child);

    const init = contentConfigMap("postgres-init", namespace, labels(workloads.postgres), { "10-roles.sh": INIT_SCRIPT }, child);

    const serverSettings = settingArgs([
      `max_connections=${db.maxConnections}`,
      "wal_level=replica",
      "max_wal_senders=5",
      "wal_keep_size=512MB",
      "hot_standby=on",
      "password_encryption=scram-sha-256",
      "log_min_duration_statement=1000",
    ]);

    const postgresContainer = ({
      extraEnv = [],
      extraMounts = [],
      extraSettings = [],
    }: {
      extraEnv?: k8s.types.input.core.v1.EnvVar[];
      extraMounts?: k8s.types.input.core.v1.VolumeMount[];
      extraSettings?: string[];
    } = {}): Container => ({
      name: "postgres",
      ...thirdPartyImage(images.postgres),
      args: ["postgres", ...serverSettings, ...settingArgs(extraSettings)],
      ports: [{ name: "postgres", containerPort: PORT, protocol: "TCP" }],
      env: [
        ...plainEnv({ POSTGRES_USER: databaseRoles.superuser, POSTGRES_DB: db.name, PGDATA }),
        ...extraEnv,
      ],
      resources: resourcesOf(db.resources),
      securityContext: restrictedContainerSecurity(UID),
      // Generous start-up: crash recovery or a replica catching up can take minutes before it accepts connections.
      startupProbe: execProbe(PG_READY, 5, 120),
      readinessProbe: execProbe(PG_READY, 10, 3),
      livenessProbe: execProbe(PG_READY, 20, 6),
      volumeMounts: [
        { name: "data", mountPath: "/var/lib/postgresql/data" },
        { name: "run", mountPath: "/var/run/postgresql" },
        { name: "tmp", mountPath: "/tmp" },
        ...extraMounts,
      ],
    });

    const statefulSet = (
      id: string,
      workload: Workload,
      headlessService: string,
      containers: Container[],
      initContainers: Container[],
      extraVolumes: k8s.types.input.core.v1.Volume[],
    ) => {
      const set = new k8s.apps.v1.StatefulSet(
        id,
        {
          metadata: meta(id, namespace, labels(workload)),
          spec: {
            serviceName: headlessService,
            replicas: 1,
            selector: { matchLabels: selectorLabels(instance, workload) },
            persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
            template: {
              metadata: { labels: labels(workload), annotations: credentialsRotationAnnotations(settings) },
              spec: {
                ...podDefaults(sa.metadata.name, UID),
                ...servingPriority(settings),
                terminationGracePeriodSeconds: 60,
                affinity: {
                  // Primary and standby on different nodes, so one node failure never takes both.
                  podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                      {
                        weight: 100,
                        podAffinityTerm: {
                          topologyKey: "kubernetes.io/hostname",
                          labelSelector: {
                            matchLabels: {
                              "app.kubernetes.io/name": workloads.postgres.name,
                              "app.kubernetes.io/instance": instance,
                            },
                          },
                        },
                      },
                    ],
                  },
                },
                initContainers,
                containers,
                volumes: [scratchVolume("run", "16Mi"), scratchVolume("tmp", "256Mi"), ...extraVolumes],
              },
            },
            volumeClaimTemplates: [
              {
                metadata: { name: "data", labels: claimLabels(instance, workload) },
                spec: volumeClaimSpec(db.storageSize, settings.cluster.storageClass),
              },
            ],
          },
        },
        { ...child, ...stateful(settings), ignoreChanges: [CLAIM_TEMPLATES_PATH] },
      );
      claimGrowth(`${id}-data-size`, statefulSetClaim("data", id), namespace, db.storageSize, {
        ...child,
        ...stateful(settings),
        dependsOn: [set],
      });
      return set;
    };
    // Each server gets a headless Service (the StatefulSet's pod DNS) and the client Service others connect to.
    const services = (workload: Workload, headlessName: string, clientName: string) => {
      for (const [name, headless] of [[headlessName, true], [clientName, false]] as const) {
        clusterService(
          name,
          namespace,
          labels(workload),
          selectorLabels(instance, workload),
          [{ name: "postgres", port: PORT }],
          child,
          headless,
        );
      }
    };
    services(workloads.postgres, "postgres-headless", DATABASE_HOST);
    // Only the primary initialises a data directory; a standby without a clone fails for want of a password
    // instead of starting as an empty database of its own.
    const initPasswords = [
      secretEnv("POSTGRES_PASSWORD", secrets.postgres.superuserPassword.name, secrets.postgres.superuserPassword.key),
      secretEnv("APP_PASSWORD", secrets.postgres.appPassword.name, secrets.postgres.appPassword.key),
      secretEnv("REPLICATION_PASSWORD", secrets.postgres.replicationPassword.name, secrets.postgres.replicationPassword.key),
      secretEnv("MONITOR_PASSWORD", secrets.postgres.monitorPassword.name, secrets.postgres.monitorPassword.key),
      secretEnv("BACKUP_PASSWORD", secrets.postgres.backupPassword.name, secrets.postgres.backupPassword.key),
    ];
    const syncPasswords: Container = {
      name: "sync-passwords",
      ...thirdPartyImage(images.postgres),
      // The server's own settings: single-user mode records them in the WAL like a start does, and a standby
      // stops replaying at a value above its own (max_wal_senders defaults to 10).
      command: ["sh", "-c", SYNC_PASSWORDS_SCRIPT, "sync-passwords", ...serverSettings],
      env: [...plainEnv({ PGDATA }), ...initPasswords],
      resources: resourcesOf(db.resources),
      securityContext: restrictedContainerSecurity(UID),
      volumeMounts: [
        { name: "data", mountPath: "/var/lib/postgresql/data" },
        { name: "run", mountPath: "/var/run/postgresql" },
        { name: "tmp", mountPath: "/tmp" },
      ],
    };
    statefulSet(
      "postgres",
      workloads.postgres,
      "postgres-headless",
      [
        postgresContainer({
          extraEnv: initPasswords,
          extraMounts: [{ name: "init", mountPath: "/docker-entrypoint-initdb.d", readOnly: true }],
        }),
      ],
      [syncPasswords],
      [{ name: "init", configMap: { name: init.metadata.name, defaultMode: 0o555 } }],
    );

    if (db.replica) {
      services(workloads.postgresReplica, "postgres-replica-headless", DATABASE_REPLICA_HOST);
      const replicationPassword = secretEnv(
        "PGPASSWORD",
        secrets.postgres.replicationPassword.name,
        secrets.postgres.replicationPassword.key,
      );
      statefulSet(
        "postgres-replica",
        workloads.postgresReplica,
        "postgres-replica-headless",
        [postgresContainer({ extraEnv: [replicationPassword], extraSettings: [`primary_conninfo=${PRIMARY_CONNINFO}`] })],
        [
          {
            name: "clone-primary",
            ...thirdPartyImage(images.postgres),
            command: ["sh", "-c", CLONE_SCRIPT],
            env: [...plainEnv({ PGDATA }), replicationPassword],
            resources: resourcesOf(db.resources),
            securityContext: restrictedContainerSecurity(UID),
            volumeMounts: [
              { name: "data", mountPath: "/var/lib/postgresql/data" },
              { name: "tmp", mountPath: "/tmp" },
            ],
          },
        ],
        [],
      );
      // One of primary and standby stays up through voluntary disruptions (node drains, upgrades).
      disruptionBudget(
        "postgres",
        namespace,
        labels(workloads.postgres),
        { "app.kubernetes.io/name": workloads.postgres.name, "app.kubernetes.io/instance": instance },
        child,
        { minAvailable: 1 },
      );
    }

    this.registerOutputs({});
  }
}
