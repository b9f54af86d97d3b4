import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash } from "node:crypto";
import type { RotatableSecret, SecretRotation, SecretSettings, Settings } from "../config";
import { instanceLabels } from "../labels";
import { contentNameOf, meta } from "../k8s";
import { TYPE_PREFIX, type StackContext } from "./context";

/** A key inside a Kubernetes Secret, as a pod's `secretKeyRef` names it. */
export interface SecretKeyRef {
  name: pulumi.Output<string>;
  key: string;
}

/** PostgreSQL roles the init script creates; their passwords are generated below. */
export const databaseRoles = {
  superuser: "postgres",
  app: "app",
  replication: "replicator",
  monitor: "monitor",
  backup: "backup",
};

export const DATABASE_HOST = "postgres";
/** The hot standby's read-only Service, where `database.replica` is on. */
export const DATABASE_REPLICA_HOST = "postgres-replica";
export const REDIS_HOST = "redis";
/** The rate limiter's own Redis: no cache entry can push its counters out (see components/redis.ts). */
export const RATE_LIMIT_REDIS_HOST = "redis-rate-limits";

/** The pod-template annotation that rolls every reader of a generated password when one is rotated. */
export const CREDENTIALS_ROTATION_ANNOTATION = "football-prediction/credentials-rotation";

/**
 * Pods read their passwords once, at start, and changed Secret data restarts nothing: a changed pod template does.
 * The annotation holds a hash of the rotation marks (never of a password), so it changes exactly when
 * `secrets.rotation` does. One hash for all marks: rotations are rare, and a workload that rolls without need is
 * cheaper than one left holding a revoked password.
 */
export function credentialsRotationAnnotations(settings: Settings): Record<string, string> {
  const marks = Object.entries(settings.secrets?.rotation ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const hash = createHash("sha256").update(JSON.stringify(marks)).digest("hex").slice(0, 16);
  return { [CREDENTIALS_ROTATION_ANNOTATION]: hash };
}

/**
 * Keepers replace a RandomPassword when they change. Adding them to a password that has none also replaces it, so
 * a fixed default would rotate every password of a running stack at once; a password gets its keeper when it is
 * first rotated.
 */
function rotationKeepers(rotation: SecretRotation, secret: RotatableSecret): { keepers?: Record<string, string> } {
  const mark = rotation[secret];
  return mark === undefined ? {} : { keepers: { rotation: mark } };
}

/** A generated password: its value (a Pulumi secret), and what identifies it without revealing it. */
interface Password {
  value: pulumi.Output<string>;
  identity: string;
}

export interface SecretsArgs extends StackContext {
  secretSettings: SecretSettings;
}

/**
 * Every credential of the stack. Passwords come from @pulumi/random and are wrapped in `pulumi.secret` at the
 * source, so each value derived from them (connection URLs, Secret data) is a Pulumi secret too: encrypted in
 * state, masked in outputs, and redacted by the offline preview. The Secrets are what pods reference; no password
 * is ever a literal in a pod spec.
 */
export class Secrets extends pulumi.ComponentResource {
  public readonly postgres: {
    superuserPassword: SecretKeyRef;
    appPassword: SecretKeyRef;
    replicationPassword: SecretKeyRef;
    monitorPassword: SecretKeyRef;
    backupPassword: SecretKeyRef;
  };
  public readonly redisPassword: SecretKeyRef;
  public readonly api: {
    databaseUrl: SecretKeyRef;
    redisUrl: SecretKeyRef;
    rateLimitRedisUrl: SecretKeyRef;
    jwtSecret: SecretKeyRef;
  };
  public readonly backupDatabaseUrl: SecretKeyRef;
  /** Present when backups go to S3 too: the bucket's credentials, for the backup jobs only. */
  public readonly backupS3?: { accessKeyId: SecretKeyRef; secretAccessKey: SecretKeyRef };
  /** Present when monitoring is on: Grafana's admin login and the Alertmanager receivers' credentials. */
  public readonly monitoring?: {
    grafanaAdminUser: SecretKeyRef;
    grafanaAdminPassword: SecretKeyRef;
    /** Both keys of one Secret, which Alertmanager mounts as files. */
    alertReceivers: { pagerRoutingKey: SecretKeyRef; chatWebhookUrl: SecretKeyRef };
  };
  /** Names (never values) of every Secret, for the stack outputs. */
  public readonly secretNames: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:Secrets`, name, {}, opts);
    const { settings, namespace, instance, secretSettings } = args;
    const child = { parent: this };
    const rotation = settings.secrets?.rotation ?? {};
    const password = (id: string, secret: RotatableSecret, length = 32): Password => {
      // Alphanumeric only: the values go into URLs, and into the SQL that syncs PostgreSQL's roles, unescaped.
      const inputs = { length, special: false, ...rotationKeepers(rotation, secret) };
      return {
        value: pulumi.secret(new random.RandomPassword(id, inputs, child).result),
        // A RandomPassword keeps its value until its inputs change, so they identify the value without holding it.
        identity: `random:${id}:${JSON.stringify(inputs)}`,
      };
    };

    const pg = {
      superuser: password("postgres-superuser-password", "postgresSuperuserPassword"),
      app: password("postgres-app-password", "postgresAppPassword"),
      replication: password("postgres-replication-password", "postgresReplicationPassword"),
      monitor: password("postgres-monitor-password", "postgresMonitorPassword"),
      backup: password("postgres-backup-password", "postgresBackupPassword"),
    };
    const redis = password("redis-password", "redisPassword");
    const jwt = password("jwt-signing-secret", "jwtSecret", 64);

    /**
     * A Secret named after what its data is made of (`contentName`): the generated passwords by their generators'
     * inputs, config secrets by their values, the rest as written. `data` builds the data from a password's value
     * and, for the name, from its identity; so a rotation, a changed config secret or a changed URL creates a new
     * Secret before the old goes, and every reader rolls onto it.
     */
    const secret = (id: string, component: string, data: (pw: (p: Password) => pulumi.Input<string>) => Record<string, pulumi.Input<string>>) =>
      new k8s.core.v1.Secret(
        id,
        {
          metadata: meta(contentNameOf(id, data((p) => p.identity)), namespace, instanceLabels(instance, component)),
          type: "Opaque",
          stringData: data((p) => p.value),
        },
        child,
      ).metadata.name;

    const postgresSecret = secret("postgres-credentials", "database", (pw) => ({
      "superuser-password": pw(pg.superuser),
      "app-password": pw(pg.app),
      "replication-password": pw(pg.replication),
      "monitor-password": pw(pg.monitor),
      "backup-password": pw(pg.backup),
    }));
    this.postgres = {
      superuserPassword: { name: postgresSecret, key: "superuser-password" },
      appPassword: { name: postgresSecret, key: "app-password" },
      replicationPassword: { name: postgresSecret, key: "replication-password" },
      monitorPassword: { name: postgresSecret, key: "monitor-password" },
      backupPassword: { name: postgresSecret, key: "backup-password" },
    };

    const redisSecret = secret("redis-credentials", "cache", (pw) => ({ password: pw(redis) }));
    this.redisPassword = { name: redisSecret, key: "password" };

    const databaseUrl = (role: string, rolePassword: pulumi.Input<string>) =>
      pulumi.interpolate`postgres://${role}:${rolePassword}@${DATABASE_HOST}:5432/${settings.database.name}`;
    const apiSecret = secret("api-credentials", "api", (pw) => ({
      DATABASE_URL: databaseUrl(databaseRoles.app, pw(pg.app)),
      REDIS_URL: pulumi.interpolate`redis://:${pw(redis)}@${REDIS_HOST}:6379/0`,
      RATE_LIMIT_REDIS_URL: pulumi.interpolate`redis://:${pw(redis)}@${RATE_LIMIT_REDIS_HOST}:6379/0`,
      JWT_SECRET: pw(jwt),
    }));
    this.api = {
      databaseUrl: { name: apiSecret, key: "DATABASE_URL" },
      redisUrl: { name: apiSecret, key: "REDIS_URL" },
      rateLimitRedisUrl: { name: apiSecret, key: "RATE_LIMIT_REDIS_URL" },
      jwtSecret: { name: apiSecret, key: "JWT_SECRET" },
    };

    // Backups connect as their own role (read everything, create the scratch database verify restores into) and
    // get nothing else: a CronJob pod has no business holding the JWT or Redis secrets.
    const backupSecret = secret("backup-credentials", "backup", (pw) => ({
      DATABASE_URL: databaseUrl(databaseRoles.backup, pw(pg.backup)),
    }));
    this.backupDatabaseUrl = { name: backupSecret, key: "DATABASE_URL" };

    this.secretNames = { postgres: postgresSecret, redis: redisSecret, api: apiSecret, backup: backupSecret };

    const s3 = secretSettings.backupS3Credentials;
    if (s3 !== undefined) {
      // Apart from backup-credentials: the bucket's keys are issued and rotated outside this stack.
      const backupS3Secret = secret("backup-s3-credentials", "backup", () => ({
        BACKUP_S3_ACCESS_KEY_ID: s3.accessKeyId,
        BACKUP_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      }));
      this.backupS3 = {
        accessKeyId: { name: backupS3Secret, key: "BACKUP_S3_ACCESS_KEY_ID" },
        secretAccessKey: { name: backupS3Secret, key: "BACKUP_S3_SECRET_ACCESS_KEY" },
      };
      this.secretNames.backupS3 = backupS3Secret;
    }

    if (settings.monitoring.enabled) {
      const grafanaPassword = password("grafana-admin-password", "grafanaAdminPassword");
      const grafanaSecret = secret("grafana-credentials", "dashboards", (pw) => ({
        "admin-user": "admin",
        "admin-password": pw(grafanaPassword),
      }));
      const receivers = secret("alertmanager-receivers", "alerting", () => ({
        "pager-routing-key": secretSettings.pagerRoutingKey,
        "chat-webhook-url": secretSettings.chatWebhookUrl,
      }));
      this.monitoring = {
        grafanaAdminUser: { name: grafanaSecret, key: "admin-user" },
        grafanaAdminPassword: { name: grafanaSecret, key: "admin-password" },
        alertReceivers: {
          pagerRoutingKey: { name: receivers, key: "pager-routing-key" },
          chatWebhookUrl: { name: receivers, key: "chat-webhook-url" },
        },
      };
      this.secretNames.grafana = grafanaSecret;
      this.secretNames.alertmanagerReceivers = receivers;
    }

    this.registerOutputs({ secretNames: this.secretNames });
  }
}
