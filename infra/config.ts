/**
 * The one place stack configuration is read and validated. Per-stack differences live in stacks/Pulumi.<stack>.yaml
 * (defaults in Pulumi.yaml); the components receive the typed `Settings` and never read config themselves, so a bad
 * value fails here, before anything is registered, with the stack and the config key named.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { PLATFORM_PROJECT } from "../platform/outputs";

export const PROJECT = "football-prediction";

export const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label (lower-case letters, digits and -, at most 63)");

export const hostName = z
  .string()
  .regex(/^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a fully qualified host name");

/**
 * A PriorityClass the platform installs on the cluster (cluster-scoped, so not the stack's to create). The
 * `system-` classes are reserved for cluster components.
 */
const priorityClassName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "must be a PriorityClass name (a DNS subdomain)")
  .refine((name) => !name.startsWith("system-"), { message: 'must not be a "system-" class: those are for cluster components' });

const quantity = z
  .string()
  .regex(/^\d+(\.\d+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/, "must be a Kubernetes quantity such as 250m, 512Mi or 10Gi");

const storageSize = z.string().regex(/^\d+(Mi|Gi|Ti)$/, "must be a storage size such as 512Mi or 20Gi");

const duration = z.string().regex(/^\d+[smhdwy]$/, "must be a Prometheus duration such as 30s, 15d");

const cron = z
  .string()
  .regex(/^(\S+\s+){4}\S+$/, "must be a five-field cron expression such as \"15 2 * * *\"");

const imageTag = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "must be an image tag (letters, digits, _ . -; at most 128)")
  .refine((tag) => tag !== "latest", { message: 'must not be "latest": pin a released tag' });

const positiveInt = z.number().int().min(1);
const percentage = z.number().int().min(1).max(100);

const resources = z.strictObject({
  requests: z.strictObject({ cpu: quantity, memory: quantity }),
  limits: z.strictObject({ cpu: quantity, memory: quantity }),
});

const colour = z.enum(["blue", "green"]);

const monitoringThresholds = z.strictObject({
  errorRatio: z.number().positive().max(1),
  latencyP95Seconds: z.number().positive(),
  modelMaxAgeSeconds: positiveInt,
  backupMaxAgeSeconds: positiveInt,
  pvcUsageRatio: z.number().positive().max(1),
  postgresConnectionSaturation: z.number().positive().max(1),
  replicationLagSeconds: z.number().positive(),
  baseBackupMaxAgeSeconds: positiveInt,
  longTransactionSeconds: z.number().positive(),
  redisMemoryRatio: z.number().positive().max(1),
  cacheHitRatioMin: z.number().min(0).max(1),
  predictionFailureRatio: z.number().positive().max(1),
  cpuLimitRatio: z.number().positive().max(1),
  memoryLimitRatio: z.number().positive().max(1),
  importMaxAgeSeconds: positiveInt,
});

export const cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be an IPv4 CIDR such as 10.0.0.0/8");
export const port = z.number().int().min(1).max(65535);

/** The secret config keys holding the backups' S3 credentials, kept out of `backups.s3` so they can be encrypted. */
const backupS3CredentialKeys = { accessKeyId: "backupS3AccessKeyId", secretAccessKey: "backupS3SecretAccessKey" } as const;

/**
 * Secret keys an operator sets with `pulumi config set --secret` and never commits, which committed stack files
 * need (staging and prod set `backups.s3`). Pulumi.yaml cannot mark them `secret: true`: the CLI then refuses its
 * plaintext default in every stack that leaves them unset. The offline harness stands them in (infra/offline).
 */
export const OPERATOR_SECRET_KEYS: readonly string[] = Object.values(backupS3CredentialKeys);

/** Off-site copies of the backups in an S3-compatible bucket. */
const backupS3 = z.strictObject({
  /** An S3-compatible server (AWS's regional endpoint, MinIO, Ceph...); its port is the only one the jobs may reach. */
  endpoint: z
    .url({ protocol: /^https?$/ })
    .refine((url) => new URL(url).username === "" && new URL(url).password === "", {
      message: `must not hold credentials: set ${Object.values(backupS3CredentialKeys).join(" and ")} with --secret`,
    }),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name (3-63 lower-case letters, digits, . and -)"),
  /** The region requests are signed for; S3-compatible servers mostly ignore it. */
  region: z.string().regex(/^[a-z0-9-]+$/, "must be a region name such as eu-central-1").optional(),
  /** Where the endpoint's addresses are: the backup jobs' and the database's egress is opened to these on the endpoint's port. */
  cidrs: z.array(cidr).min(1),
  /** Server-side encryption at rest of everything written to the bucket (S3's `x-amz-server-side-encryption`). */
  encryption: z.enum(["AES256", "aws:kms"]),
  /**
   * When CloudNativePG takes a base backup into the bucket (WAL is archived continuously in between). Five fields
   * like every schedule here; the ScheduledBackup's six-field form (seconds first) is derived.
   */
  baseBackupSchedule: cron,
});

/** The secret config key holding football-data.org's API token, kept out of `importer` so it can be encrypted. */
export const FOOTBALL_DATA_API_KEY_CONFIG = "footballDataApiKey";

/** The sources of the `import` command (service/src/config.ts IMPORT_SOURCES). */
const importSource = z.enum(["openfootball", "football-data-api", "football-data-csv"]);

/**
 * The `import` CronJob: when it runs, which leagues it keeps current from which source, and where those sources are.
 * Its egress is opened to `egressCidrs` on 443 only (and to DNS), so each source's addresses must be listed.
 */
const importer = z
  .strictObject({
    schedule: cron,
    leagues: z
      .array(
        z.strictObject({
          league: z.string().regex(/^[A-Z][A-Z0-9]{0,9}$/, "must be a league code such as E0"),
          source: importSource,
          /** The source's name for the league: `en.1` (openfootball), `PL` (football-data.org), `E0` (football-data.co.uk). */
          code: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, "must be the source's league code, such as en.1 or PL"),
        }),
      )
      .min(1, "must name at least one league"),
    /** Share of a league's records that may fail the data-quality gate before nothing of it is written. */
    maxFailureRatio: z.number().min(0).max(1),
    /** Longest a run may take before Kubernetes stops it. */
    deadlineSeconds: z.number().int().min(60).max(3600),
    egressCidrs: z.array(cidr).min(1, "must list the sources' addresses"),
    /** Base URL overrides (a mirror, a proxy); unset, the service's defaults (docs/service-interface.md). */
    baseUrls: z
      .strictObject({
        openfootball: z.url({ protocol: /^https$/ }).optional(),
        footballDataApi: z.url({ protocol: /^https$/ }).optional(),
        footballDataCsv: z.url({ protocol: /^https$/ }).optional(),
      })
      .optional(),
  })
  .superRefine((value, ctx) => {
    const leagues = value.leagues.map((entry) => entry.league);
    const repeated = leagues.find((league, index) => leagues.indexOf(league) !== index);
    if (repeated !== undefined) ctx.addIssue({ code: "custom", path: ["leagues"], message: `names league ${repeated} twice` });
  });

/** The generated passwords `secrets.rotation` may rotate, one per @pulumi/random RandomPassword. */
export const ROTATABLE_SECRETS = [
  "postgresAppPassword",
  "postgresMigrationPassword",
  "postgresMonitorPassword",
  "postgresBackupPassword",
  "redisPassword",
  "jwtSecret",
] as const;
export type RotatableSecret = (typeof ROTATABLE_SECRETS)[number];

/**
 * Rotation marks, by secret: changing a secret's value (a date, a ticket number) regenerates that password on the
 * next `pulumi up`. The marks are not secret; they only tell a rotation apart from the previous one.
 */
const secretRotation = z.strictObject(
  Object.fromEntries(ROTATABLE_SECRETS.map((secret) => [secret, z.string().min(1, "must not be empty").optional()])) as Record<
    RotatableSecret,
    z.ZodOptional<z.ZodString>
  >,
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `has unknown key(s) ${issue.keys.map((key) => `"${key}"`).join(", ")}: the rotatable secrets are ${ROTATABLE_SECRETS.join(", ")}`
        : undefined,
  },
);

/** Top-level config keys whose value is a plain string; every other key holds structured YAML (JSON in config). */
const stringKeys = new Set(["environment", "namespace", "logLevel", "priorityClassName", "imageRepository", "clusterIdentifier"]);

const schema = z
  .strictObject({
    environment: z.enum(["dev", "test", "staging", "prod"]),
    namespace: dnsLabel,
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]),
    /**
     * What the Kubernetes provider is replaced on, and nothing else (a new kubeconfig or context updates it): a
     * replaced provider replaces every object under it. Change it only to move the stack to another cluster.
     * Unset (empty): the stack's name.
     */
    clusterIdentifier: z
      .union([z.literal(""), z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "must be a cluster name (letters, digits, . _ -)")])
      .optional()
      .transform((id) => id || undefined),
    /**
     * `protect` and `retainOnDelete` of the namespace and of every object that holds data (StatefulSets, claims):
     * on in staging and prod, where a plan that would delete them must stop instead.
     */
    protection: z.strictObject({ protect: z.boolean(), retainOnDelete: z.boolean() }),
    /** Unset (empty): serving pods get the cluster's default priority, as on a developer cluster without one. */
    priorityClassName: z.union([z.literal(""), priorityClassName]).transform((name) => name || undefined),
    /** One repository for every stack (a project-wide default in Pulumi.yaml), the one the deploy workflow pushes to. */
    imageRepository: z.string().regex(/^[a-z0-9]+([._\-/:][a-z0-9]+)*$/, "must be an image repository without a tag"),
    image: z.strictObject(
      {
        tag: imageTag,
        pullPolicy: z.enum(["IfNotPresent", "Always"]),
      },
      {
        // Stack files written before the repository became one project-wide setting still carry it.
        error: (issue) =>
          issue.code === "unrecognized_keys" && issue.keys.includes("repository")
            ? "must not set repository: the image repository is the project-wide imageRepository (Pulumi.yaml); remove the key"
            : undefined,
      },
    ),
    blueGreen: z.strictObject({
      active: colour,
      /** A colour's own tag stages a release on it before traffic moves; otherwise it runs `image.tag`. */
      tags: z.strictObject({ blue: imageTag.optional(), green: imageTag.optional() }),
    }),
    /**
     * The release to run, set by the deploy workflow for each `pulumi up` it makes (never committed): both colours'
     * tags and the active one. Unset, the stack keeps the release its last deployment recorded (infra/release.ts),
     * and only a stack never deployed starts from `image.tag` and `blueGreen`.
     */
    release: z.strictObject({ active: colour, tags: z.strictObject({ blue: imageTag, green: imageTag }) }).optional(),
    api: z.strictObject({
      minReplicas: positiveInt,
      maxReplicas: positiveInt,
      cpuUtilization: percentage,
      memoryUtilization: percentage,
      resources,
      rateLimitPerMinute: positiveInt,
      cacheTtlSeconds: positiveInt,
      modelPollIntervalSeconds: positiveInt,
      shutdownGraceSeconds: z.number().int().min(0).max(300),
    }),
    /**
     * The page's pods (`web`): they serve built files only, so CPU is what load costs them and the autoscaler
     * follows it alone; they hold no database connection and no secret.
     */
    web: z.strictObject({
      minReplicas: positiveInt,
      maxReplicas: positiveInt,
      cpuUtilization: percentage,
      resources,
    }),
    worker: z.strictObject({
      resources,
      refitIntervalMinutes: positiveInt,
      refitDebounceSeconds: z.number().int().min(0),
    }),
    /** The platform stack of the cluster this stack runs on (`<org>/football-prediction-platform/<cluster>`). */
    platform: z.strictObject({
      stack: z
        .string()
        .regex(
          new RegExp(`^[A-Za-z0-9_.-]+/${PLATFORM_PROJECT}/[a-z0-9-]+$`),
          `must be a platform stack's fully qualified name, <org>/${PLATFORM_PROJECT}/<stack>`,
        ),
    }),
    database: z.strictObject({
      name: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case PostgreSQL identifier"),
      /** Each knex pool's bounds (API pods, the worker, the importer, the migration Job). */
      poolMin: z.number().int().min(0),
      poolMax: positiveInt,
      /** CloudNativePG instances: one primary, the rest streaming replicas the operator promotes on failover. */
      instances: z.number().int().min(1).max(9),
      storageSize,
      /** Unset: WAL stays on the data volume. Set: a volume of its own (`walStorage`), so WAL bursts cannot fill the data. */
      walStorageSize: storageSize.optional(),
      /** Unset: asynchronous replication. Set: commits wait for `number` standbys (PostgreSQL's quorum or priority). */
      synchronous: z
        .strictObject({
          method: z.enum(["any", "first"]),
          number: positiveInt,
          /** `required`: writes stop while too few standbys answer; `preferred`: they carry on without them. */
          dataDurability: z.enum(["required", "preferred"]),
        })
        .optional(),
      /** After the replicas are updated, the operator restarts the primary by itself (unsupervised) or waits for a person. */
      primaryUpdateStrategy: z.enum(["unsupervised", "supervised"]),
      /** PgBouncer in transaction mode in front of the primary, for the API. */
      pooler: z.strictObject({
        instances: positiveInt,
        /** Server connections per database and user (PgBouncer's default_pool_size), per pooler instance. */
        defaultPoolSize: positiveInt,
        /** Client connections per pooler instance (max_client_conn). */
        maxClientConnections: positiveInt,
      }),
      resources,
      /**
       * Point-in-time recovery: renders a second Cluster beside the serving one, bootstrapped from the object store's
       * base backup and WAL up to `targetTime` (docs/runbooks.md, "Point-in-time restore"). Needs `backups.s3`.
       */
      recovery: z
        .strictObject({
          /** RFC 3339 with an offset, e.g. 2026-12-06T11:04:05Z: the last moment whose commits the recovery keeps. */
          targetTime: z.iso.datetime({ offset: true }),
          /** The serverName in the object store whose backups and WAL are restored (a Cluster's name, old or current). */
          sourceCluster: dnsLabel,
        })
        .optional(),
    }, {
      // Stack files written before the limit was derived still carry it: say why it goes instead of "unknown key".
      error: (issue) =>
        issue.code === "unrecognized_keys" && issue.keys.includes("maxConnections")
          ? "must not set maxConnections: max_connections is derived from the pools (infra/config.ts databaseMaxConnections); remove the key"
          : undefined,
    }),
    redis: z.strictObject({
      maxmemory: z.string().regex(/^\d+(kb|mb|gb)$/, "must be a Redis size such as 256mb"),
      maxmemoryPolicy: z.enum([
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
        "noeviction",
      ]),
      storageSize,
      resources,
    }),
    ingress: z.strictObject({
      host: hostName,
      /** Which of the platform's ClusterIssuers signs the stack's certificates; the ACME ones must exist there. */
      tls: z.strictObject({ issuer: z.enum(["self-signed", "acme-staging", "acme-production"]) }),
      /**
       * Where the gateway's Envoy pods get their addresses (the cluster's pod CIDR): the API trusts X-Forwarded-For
       * only from these (TRUSTED_PROXIES). The edge's rate limit is the service's own, `api.rateLimitPerMinute`.
       */
      proxyCidrs: z.array(cidr).min(1),
    }),
    monitoring: z.discriminatedUnion("enabled", [
      z.strictObject({ enabled: z.literal(false) }),
      z.strictObject({
        enabled: z.literal(true),
        /** How often the platform's Prometheus scrapes this stack's targets (its ServiceMonitors and PodMonitors). */
        scrapeInterval: duration,
        /** How often it evaluates this stack's PrometheusRule. */
        evaluationInterval: duration,
        thresholds: monitoringThresholds.partial(),
      }),
    ]),
    backups: z.strictObject({
      schedule: cron,
      pruneSchedule: cron,
      verifySchedule: cron,
      keepDaily: positiveInt,
      keepWeekly: z.number().int().min(0),
      keepMonthly: z.number().int().min(0),
      storageSize,
      /** Unset: backups stay on the stack's volume only. */
      s3: backupS3.optional(),
    }),
    importer,
    quota: z.strictObject({
      requestsCpu: quantity,
      requestsMemory: quantity,
      limitsCpu: quantity,
      limitsMemory: quantity,
      pods: positiveInt,
      persistentVolumeClaims: positiveInt,
      requestsStorage: storageSize,
    }),
    /** Unset: no password has been rotated since the stack was created. */
    secrets: z.strictObject({ rotation: secretRotation.optional() }).optional(),
  })
  .superRefine((s, ctx) => {
    for (const tier of ["api", "web"] as const) {
      if (s[tier].maxReplicas < s[tier].minReplicas) {
        ctx.addIssue({ code: "custom", path: [tier, "maxReplicas"], message: `must be at least ${tier}.minReplicas` });
      }
    }
    if (s.database.poolMin > s.database.poolMax) {
      ctx.addIssue({ code: "custom", path: ["database", "poolMin"], message: "must not exceed database.poolMax" });
    }
    const db = s.database;
    // Knex pools reach the pooler from both API colours (the active one at its HPA ceiling, the idle one at its
    // floor); a pooler instance must take them all, since its Service may hand it every client.
    const clients = db.poolMax * (s.api.maxReplicas + s.api.minReplicas);
    if (clients > db.pooler.maxClientConnections) {
      ctx.addIssue({
        code: "custom",
        path: ["database", "pooler", "maxClientConnections"],
        message: `must be at least ${clients}: poolMax × (api.maxReplicas + api.minReplicas)`,
      });
    }
    if (db.synchronous !== undefined && db.synchronous.number >= db.instances) {
      ctx.addIssue({
        code: "custom",
        path: ["database", "synchronous", "number"],
        message: "must be below database.instances: synchronous standbys are the instances besides the primary",
      });
    }
    if (db.recovery !== undefined && s.backups.s3 === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["database", "recovery"],
        message: "needs backups.s3: a point-in-time recovery restores from the object store",
      });
    }
  });

type ConfiguredSettings = z.infer<typeof schema>;

/** The validated stack config plus what follows from it, computed here so no stack file states it twice. */
export type Settings = ConfiguredSettings & {
  database: ConfiguredSettings["database"] & {
    /** PostgreSQL's `max_connections`, from the pools that connect (see `databaseMaxConnections`). */
    maxConnections: number;
  };
};
export type Colour = z.infer<typeof colour>;
export type Release = NonNullable<z.infer<typeof schema>["release"]>;
export type Resources = z.infer<typeof resources>;
export type WebSettings = Settings["web"];
export type MonitoringSettings = Extract<Settings["monitoring"], { enabled: true }>;
export type DatabaseSettings = Settings["database"];
export type BackupS3Settings = NonNullable<Settings["backups"]["s3"]>;
export type SecretRotation = z.infer<typeof secretRotation>;
export type ImporterSettings = Settings["importer"];
export type AlertThresholdOverrides = MonitoringSettings["thresholds"];

/** Thrown for any invalid stack config; the message names the stack and each offending key. */
export class StackConfigError extends Error {
  override name = "StackConfigError";
}

export const configKeys: readonly string[] = Object.keys(schema.shape);

/** The schema itself, for tools that check a key path or value on its own (the README test's config keys). */
export { schema as settingsSchema };

export function keyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc === "" ? String(part) : `${acc}.${String(part)}`),
    "",
  );
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (node, part) => (node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[part] : undefined),
    raw,
  );
}

/** One schema problem as `stack "<stack>": config key "<project>:<path>" <problem>`; the platform project's too. */
export function describeIssue(stack: string, raw: Record<string, unknown>, issue: z.core.$ZodIssue, project: string = PROJECT): string {
  const key = `${project}:${keyPath(issue.path)}`;
  const missing = issue.code === "invalid_type" && valueAt(raw, issue.path) === undefined;
  const problem = missing ? `is required (${issue.message.replace(/, received undefined$/, "")})` : issue.message;
  return `stack "${stack}": config key "${key}" ${problem}`;
}

/**
 * Structured keys arrive as JSON text (the CLI serialises YAML maps that way); a value that is not JSON is passed
 * on as the string it is, so the schema reports the type mismatch instead of a JSON syntax error.
 */
export function parseConfigText(text: string | undefined): unknown {
  if (text === undefined) {
    return text;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function decode(key: string, text: string | undefined): unknown {
  return stringKeys.has(key) ? text : parseConfigText(text);
}

/**
 * Validates one stack's config. `read` returns a key's raw config text (what `pulumi.Config.get` returns), so the
 * same validation serves the program and the offline tools that read the stack files themselves.
 */
export function parseSettings(stack: string, read: (key: string) => string | undefined): Settings {
  const raw = Object.fromEntries(configKeys.map((key) => [key, decode(key, read(key))]));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new StackConfigError(parsed.error.issues.map((issue) => describeIssue(stack, raw, issue)).join("\n"));
  }
  const settings = parsed.data;
  return { ...settings, database: { ...settings.database, maxConnections: databaseMaxConnections(settings) } };
}

/**
 * Connections besides the pools: the dumps and their verify, the exporter, the operator's instance manager and
 * status checks, and superuser_reserved_connections.
 */
const CONNECTION_HEADROOM = 10;
/** Clients that connect to the primary directly, each with a pool of up to `poolMax`: the worker, the importer, the migration Job. */
const DIRECT_CLIENTS = 3;
/** PostgreSQL's own default; a small stack keeps it rather than a limit below what an operator expects. */
const MIN_MAX_CONNECTIONS = 100;
/**
 * `max_connections` is a server start parameter: a new value restarts every instance (the operator rolls them,
 * replicas first). Rounding up to this step lets a pool change within the step leave the database running.
 */
const MAX_CONNECTIONS_STEP = 20;

/**
 * PostgreSQL's `max_connections`, derived from what connects so raising `database.poolMax` or the pooler's size
 * never needs a second edit: every PgBouncer instance's server pool (the API's connections, however many pods the
 * HPA runs, are multiplexed onto it), a pool each for the direct clients, plus the headroom.
 */
export function databaseMaxConnections(s: Pick<ConfiguredSettings, "database">): number {
  const db = s.database;
  const needed = db.pooler.instances * db.pooler.defaultPoolSize + DIRECT_CLIENTS * db.poolMax + CONNECTION_HEADROOM;
  return Math.max(MIN_MAX_CONNECTIONS, Math.ceil(needed / MAX_CONNECTIONS_STEP) * MAX_CONNECTIONS_STEP);
}

/** Secret inputs, read apart from the schema so their values never pass through plain strings or error messages. */
export interface SecretSettings {
  /** Path to, or contents of, a kubeconfig; unset means the ambient kubeconfig. */
  kubeconfig: pulumi.Output<string | undefined>;
  /** Context inside that kubeconfig; unset means its current context. */
  kubeContext: string | undefined;
  /** PagerDuty Events v2 routing key of Alertmanager's paging receiver. */
  pagerRoutingKey: pulumi.Output<string>;
  /** Slack-compatible incoming webhook URL of Alertmanager's chat receiver. */
  chatWebhookUrl: pulumi.Output<string>;
  /** Static credentials of the backup jobs' S3 bucket; present exactly when `backups.s3` is set. */
  backupS3Credentials?: { accessKeyId: pulumi.Output<string>; secretAccessKey: pulumi.Output<string> };
  /** football-data.org's API token; present exactly when an importer league uses the football-data-api source. */
  footballDataApiKey?: pulumi.Output<string>;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** Whether a config key has a non-empty value; a secret's value is read only to tell that. */
export function isConfigSet(key: string): boolean {
  return nonEmpty(new pulumi.Config(PROJECT).get(key)) !== undefined;
}

export function loadSettings(): Settings {
  const config = new pulumi.Config(PROJECT);
  return parseSettings(pulumi.getStack(), (key) => config.get(key));
}

/**
 * The S3 credentials, required once `backups.s3` is set: a pod without them would fall back to the AWS SDK's
 * default chain, whose sources (instance metadata, a web identity token) the stack's pods cannot reach. The
 * error names the keys, never their values.
 */
function loadBackupS3Credentials(stack: string, config: pulumi.Config, settings: Settings): SecretSettings["backupS3Credentials"] {
  if (settings.backups.s3 === undefined) {
    return undefined;
  }
  const missing = Object.values(backupS3CredentialKeys).filter((key) => nonEmpty(config.get(key)) === undefined);
  if (missing.length > 0) {
    throw new StackConfigError(
      missing
        .map((key) => `stack "${stack}": config key "${PROJECT}:${key}" is required when backups.s3 is set: pulumi config set --secret ${key} <value>`)
        .join("\n"),
    );
  }
  return {
    accessKeyId: config.requireSecret(backupS3CredentialKeys.accessKeyId),
    secretAccessKey: config.requireSecret(backupS3CredentialKeys.secretAccessKey),
  };
}

/**
 * The API token, required once a league imports from football-data.org: the CronJob would otherwise fail every run
 * with 403. The error names the key, never a value.
 */
function loadFootballDataApiKey(stack: string, config: pulumi.Config, settings: Settings): pulumi.Output<string> | undefined {
  if (!settings.importer.leagues.some((league) => league.source === "football-data-api")) {
    return undefined;
  }
  if (nonEmpty(config.get(FOOTBALL_DATA_API_KEY_CONFIG)) === undefined) {
    throw new StackConfigError(
      `stack "${stack}": config key "${PROJECT}:${FOOTBALL_DATA_API_KEY_CONFIG}" is required when importer.leagues uses football-data-api: ` +
        `pulumi config set --secret ${FOOTBALL_DATA_API_KEY_CONFIG} <token>`,
    );
  }
  return config.requireSecret(FOOTBALL_DATA_API_KEY_CONFIG);
}

export function loadSecretSettings(settings: Settings): SecretSettings {
  const config = new pulumi.Config(PROJECT);
  return {
    kubeconfig: pulumi.output(config.getSecret("kubeconfig")).apply(nonEmpty),
    kubeContext: nonEmpty(config.get("kubeContext")),
    pagerRoutingKey: pulumi.secret(config.getSecret("pagerRoutingKey") ?? ""),
    chatWebhookUrl: pulumi.secret(config.getSecret("chatWebhookUrl") ?? ""),
    backupS3Credentials: loadBackupS3Credentials(pulumi.getStack(), config, settings),
    footballDataApiKey: loadFootballDataApiKey(pulumi.getStack(), config, settings),
  };
}
