import { z } from "zod";
import { UsageError } from "./errors";
import { pushgatewayNamespace, type PushTarget } from "../pushgateway";
import type { RetentionPolicy } from "./retention";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * Database names end up in file names, S3 keys and Pushgateway paths; keeping them to this alphabet means none of
 * those needs escaping. PostgreSQL's identifier limit is 63 bytes.
 */
export const DATABASE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;
const DATABASE_NAME_RULE = "made of letters, digits, _ and - (at most 63 characters, starting with a letter or _)";

export interface S3Config {
  bucket: string;
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface BackupConfig {
  databaseUrl: string;
  /** The database DATABASE_URL points at: the one backed up, and the name backups are filed under. */
  database: string;
  backupDir: string;
  retention: RetentionPolicy;
  s3?: S3Config;
  /** Where the backup, prune and verify commands push their gauges (PUSHGATEWAY_URL, PUSHGATEWAY_NAMESPACE). */
  pushgateway?: PushTarget;
  logLevel: (typeof LOG_LEVELS)[number];
}

const keepCount = (fallback: number) =>
  z
    .string()
    .regex(/^\d{1,4}$/, "must be a whole number from 0 to 9999")
    .default(String(fallback))
    .transform(Number);

const httpUrl = z
  .string()
  .refine((value) => URL.canParse(value) && ["http:", "https:"].includes(new URL(value).protocol), {
    message: "must be an http:// or https:// URL",
  });

/** The URL and the database it names, which is the one backed up and the name its backups are filed under. */
const databaseUrl = z.string({ error: "is required" }).transform((url, ctx) => {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed === undefined || !["postgres:", "postgresql:"].includes(parsed.protocol) || parsed.hostname === "") {
    ctx.addIssue({ code: "custom", message: "must be a URL like postgres://user:password@host:5432/database" });
    return z.NEVER;
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (!DATABASE_NAME_PATTERN.test(database)) {
    ctx.addIssue({ code: "custom", message: `must name a database ${DATABASE_NAME_RULE}` });
    return z.NEVER;
  }
  return { url, database };
});

const schema = z
  .object({
    DATABASE_URL: databaseUrl,
    BACKUP_DIR: z.string({ error: "is required" }).min(1, "is required"),
    BACKUP_KEEP_DAILY: keepCount(7),
    BACKUP_KEEP_WEEKLY: keepCount(4),
    BACKUP_KEEP_MONTHLY: keepCount(3),
    BACKUP_S3_ENDPOINT: httpUrl.optional(),
    BACKUP_S3_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,62}$/, "must be an S3 bucket name")
      .optional(),
    BACKUP_S3_ACCESS_KEY_ID: z.string().optional(),
    BACKUP_S3_SECRET_ACCESS_KEY: z.string().optional(),
    // The SDK needs a region even for S3-compatible servers, most of which accept any; AWS's own variable.
    AWS_REGION: z.string().default("us-east-1"),
    PUSHGATEWAY_URL: httpUrl.optional(),
    PUSHGATEWAY_NAMESPACE: pushgatewayNamespace,
    LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  })
  .superRefine((env, ctx) => {
    if ((env.BACKUP_S3_ACCESS_KEY_ID === undefined) !== (env.BACKUP_S3_SECRET_ACCESS_KEY === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["BACKUP_S3_SECRET_ACCESS_KEY"],
        message: "BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY must be set together",
      });
    }
    const s3Extras = [env.BACKUP_S3_ENDPOINT, env.BACKUP_S3_ACCESS_KEY_ID].some((value) => value !== undefined);
    if (s3Extras && env.BACKUP_S3_BUCKET === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["BACKUP_S3_BUCKET"],
        message: "is required when other BACKUP_S3_* are set",
      });
    }
  });

/** Kubernetes renders an optional variable that has no value as an empty string; treat that as unset. */
function withoutEmptyValues(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ""),
  );
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "environment"} ${issue.message}`).join("; ");
}

export function loadBackupConfig(env: NodeJS.ProcessEnv): BackupConfig {
  const result = schema.safeParse(withoutEmptyValues(env));
  if (!result.success) throw new UsageError(`invalid configuration: ${describeIssues(result.error)}`);
  const parsed = result.data;
  return {
    databaseUrl: parsed.DATABASE_URL.url,
    database: parsed.DATABASE_URL.database,
    backupDir: parsed.BACKUP_DIR,
    retention: {
      daily: parsed.BACKUP_KEEP_DAILY,
      weekly: parsed.BACKUP_KEEP_WEEKLY,
      monthly: parsed.BACKUP_KEEP_MONTHLY,
    },
    s3: parsed.BACKUP_S3_BUCKET === undefined ? undefined : s3ConfigOf(parsed.BACKUP_S3_BUCKET, parsed),
    pushgateway:
      parsed.PUSHGATEWAY_URL === undefined ? undefined : { url: parsed.PUSHGATEWAY_URL, namespace: parsed.PUSHGATEWAY_NAMESPACE },
    logLevel: parsed.LOG_LEVEL,
  };
}

function s3ConfigOf(bucket: string, parsed: z.infer<typeof schema>): S3Config {
  const { BACKUP_S3_ACCESS_KEY_ID: accessKeyId, BACKUP_S3_SECRET_ACCESS_KEY: secretAccessKey } = parsed;
  return {
    bucket,
    region: parsed.AWS_REGION,
    endpoint: parsed.BACKUP_S3_ENDPOINT,
    // Without static keys the SDK's default chain applies (web identity, instance role), which suits AWS itself.
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
  };
}

export function assertDatabaseName(name: string, what: string): string {
  if (!DATABASE_NAME_PATTERN.test(name))
    throw new UsageError(`${what} must be a database name ${DATABASE_NAME_RULE}, got "${name}"`);
  return name;
}
