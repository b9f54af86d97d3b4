import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash } from "node:crypto";
import type { RotatableSecret, SecretRotation, SecretSettings, Settings } from "../config";
import { instanceLabels } from "../labels";
import { contentNameOf, meta } from "../k8s";
import { TYPE_PREFIX, type StackContext } from "./context";
import { databasePorts, databaseRoles, databaseServices, RELOAD_LABEL, type DatabaseRole } from "./database/names";

/** A key inside a Kubernetes Secret, as a pod's `secretKeyRef` names it. */
export interface SecretKeyRef {
  name: pulumi.Output<string>;
  key: string;
}

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
  /** Each managed PostgreSQL role's Secret (`kubernetes.io/basic-auth`), which the CloudNativePG Cluster reads. */
  public readonly databaseRoles: Record<DatabaseRole, pulumi.Output<string>>;
  /** The monitoring role's password, for the PostgreSQL exporter. */
  public readonly monitorPassword: SecretKeyRef;
  public readonly redisPassword: SecretKeyRef;
  public readonly api: {
    /** Through the Pooler: the API's. */
    databaseUrl: SecretKeyRef;
    /** To the primary's `-rw` Service: the worker's and the importer's, whose statements outlast the pooled bound. */
    directDatabaseUrl: SecretKeyRef;
    redisUrl: SecretKeyRef;
    rateLimitRedisUrl: SecretKeyRef;
    jwtSecret: SecretKeyRef;
  };
  public readonly backupDatabaseUrl: SecretKeyRef;
  /** The migration Job's: its own role, straight to the primary (migrations hold one session for minutes). */
  public readonly migrationDatabaseUrl: SecretKeyRef;
  /** Present when backups go to S3 too: the bucket's credentials, for the backup jobs only. */
  public readonly backupS3?: { accessKeyId: SecretKeyRef; secretAccessKey: SecretKeyRef };
  /**
   * Present when monitoring is on: the receivers' credentials, which this stack's AlertmanagerConfig names and the
   * cluster's Prometheus Operator reads into the Alertmanager configuration it generates.
   */
  public readonly monitoring?: {
    /** Both keys of one Secret, read by the operator (never mounted or rendered by this program). */
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
      // Alphanumeric only: the values go into connection URLs unescaped.
      const inputs = { length, special: false, ...rotationKeepers(rotation, secret) };
      return {
        value: pulumi.secret(new random.RandomPassword(id, inputs, child).result),
        // A RandomPassword keeps its value until its inputs change, so they identify the value without holding it.
        identity: `random:${id}:${JSON.stringify(inputs)}`,
      };
    };

    const pg: Record<DatabaseRole, Password> = {
      app: password("postgres-app-password", "postgresAppPassword"),
      migration: password("postgres-migration-password", "postgresMigrationPassword"),
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
    const secret = (
      id: string,
      component: string,
      data: (pw: (p: Password) => pulumi.Input<string>) => Record<string, pulumi.Input<string>>,
      type = "Opaque",
      extraLabels: Record<string, string> = {},
    ) =>
      new k8s.core.v1.Secret(
        id,
        {
          metadata: meta(contentNameOf(id, data((p) => p.identity)), namespace, { ...instanceLabels(instance, component), ...extraLabels }),
          type,
          stringData: data((p) => p.value),
        },
        child,
      ).metadata.name;

    // The Cluster names each role's Secret in `managed.roles[].passwordSecret`, so a rotation (a new Secret, by
    // its content name) is an in-place update of the Cluster that points it at the new Secret, never a replace;
    // the operator then sets the new password (the reload label makes it watch the Secret), and the consumers
    // roll onto the URLs below, whose Secrets are new too.
    this.databaseRoles = Object.fromEntries(
      (Object.keys(databaseRoles) as DatabaseRole[]).map((role) => [
        role,
        secret(
          `postgres-role-${role}`,
          "database",
          (pw) => ({ username: databaseRoles[role], password: pw(pg[role]) }),
          "kubernetes.io/basic-auth",
          { [RELOAD_LABEL]: "true" },
        ),
      ]),
    ) as Record<DatabaseRole, pulumi.Output<string>>;
    this.monitorPassword = { name: this.databaseRoles.monitor, key: "password" };

    const redisSecret = secret("redis-credentials", "cache", (pw) => ({ password: pw(redis) }));
    this.redisPassword = { name: redisSecret, key: "password" };

    // The service names its own connections (application_name), so the URLs carry none.
    const databaseUrl = (role: DatabaseRole, rolePassword: pulumi.Input<string>, host: string, query = "") =>
      pulumi.interpolate`postgres://${databaseRoles[role]}:${rolePassword}@${host}:${databasePorts.postgres}/${settings.database.name}${query}`;
    const apiSecret = secret("api-credentials", "api", (pw) => ({
      DATABASE_URL: databaseUrl("app", pw(pg.app), databaseServices.pooler),
      DIRECT_DATABASE_URL: databaseUrl("app", pw(pg.app), databaseServices.readWrite),
      REDIS_URL: pulumi.interpolate`redis://:${pw(redis)}@${REDIS_HOST}:6379/0`,
      RATE_LIMIT_REDIS_URL: pulumi.interpolate`redis://:${pw(redis)}@${RATE_LIMIT_REDIS_HOST}:6379/0`,
      JWT_SECRET: pw(jwt),
    }));
    this.api = {
      databaseUrl: { name: apiSecret, key: "DATABASE_URL" },
      directDatabaseUrl: { name: apiSecret, key: "DIRECT_DATABASE_URL" },
      redisUrl: { name: apiSecret, key: "REDIS_URL" },
      rateLimitRedisUrl: { name: apiSecret, key: "RATE_LIMIT_REDIS_URL" },
      jwtSecret: { name: apiSecret, key: "JWT_SECRET" },
    };

    // Backups connect as their own role (read everything, create the scratch database verify restores into) and
    // get nothing else: a CronJob pod has no business holding the JWT or Redis secrets.
    // Dumps come from the primary: `verify` creates its scratch database there, and a long pg_dump on a standby
    // would be cancelled by replay conflicts.
    const backupSecret = secret("backup-credentials", "backup", (pw) => ({
      DATABASE_URL: databaseUrl("backup", pw(pg.backup), databaseServices.readWrite),
    }));
    this.backupDatabaseUrl = { name: backupSecret, key: "DATABASE_URL" };

    // `options=-c role=app`: the session acts as the owner, so the tables migrations create belong to the
    // application role (PgBouncer would drop the option: this URL goes to the primary directly).
    const migrationSecret = secret("migration-credentials", "migration", (pw) => ({
      DATABASE_URL: databaseUrl(
        "migration",
        pw(pg.migration),
        databaseServices.readWrite,
        `?options=${encodeURIComponent(`-c role=${databaseRoles.app}`)}`,
      ),
    }));
    this.migrationDatabaseUrl = { name: migrationSecret, key: "DATABASE_URL" };

    this.secretNames = {
      ...Object.fromEntries(Object.entries(this.databaseRoles).map(([role, name]) => [`postgresRole${role[0].toUpperCase()}${role.slice(1)}`, name])),
      redis: redisSecret,
      api: apiSecret,
      backup: backupSecret,
      migration: migrationSecret,
    };

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
      const receivers = secret("alertmanager-receivers", "alerting", () => ({
        "pager-routing-key": secretSettings.pagerRoutingKey,
        "chat-webhook-url": secretSettings.chatWebhookUrl,
      }));
      this.monitoring = {
        alertReceivers: {
          pagerRoutingKey: { name: receivers, key: "pager-routing-key" },
          chatWebhookUrl: { name: receivers, key: "chat-webhook-url" },
        },
      };
      this.secretNames.alertmanagerReceivers = receivers;
    }

    this.registerOutputs({ secretNames: this.secretNames });
  }
}
