import path from "node:path";
import { z } from "zod";
import { resolveFromInvocation } from "./paths";

/** Signs local tokens only: any other APP_ENV must set JWT_SECRET, so this value never guards a deployment. */
export const LOCAL_JWT_SECRET = "local-development-only-secret-do-not-deploy";

const APP_ENVS = ["local", "dev", "test", "staging", "prod"] as const;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Resolved from this module so the default holds both under ts-node (src/) and after tsc (dist/). */
const DEFAULT_EMBEDDED_DATA_DIR = path.join(__dirname, "..", ".data", "pglite");

/**
 * PORT unless set. The worker's differs so `npm run worker` can run beside `npm run service` on one machine; in a
 * pod PORT is always set (the platform's ConfigMap), so both listen on the port the probes and scrapes use.
 */
export const DEFAULT_PORTS = { serve: 8000, worker: 8001 } as const;

const integer = (defaultValue: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(defaultValue);

const seconds = (defaultValue: number, min: number, max: number) =>
  z.coerce.number().min(min).max(max).default(defaultValue);

const urlWithScheme = (schemes: readonly string[]) =>
  z
    .string()
    .refine((value) => URL.canParse(value) && schemes.includes(new URL(value).protocol), {
      message: `must be a URL starting with ${schemes.map((scheme) => `${scheme}//`).join(" or ")}`,
    })
    .optional();

const schema = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535).optional(),
    APP_ENV: z.enum(APP_ENVS).default("local"),
    LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
    DATABASE_URL: urlWithScheme(["postgres:", "postgresql:"]),
    DB_POOL_MIN: integer(0, 0, 100),
    DB_POOL_MAX: integer(10, 1, 100),
    REDIS_URL: urlWithScheme(["redis:", "rediss:"]),
    CACHE_PREFIX: z.string().min(1).max(64).regex(/^[\w:.-]+$/, "only letters, digits and _ : . -").default("fp:"),
    CACHE_TTL_SECONDS: integer(300, 1, 86_400),
    RATE_LIMIT_PER_MINUTE: integer(100, 1, 1_000_000_000),
    JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    MODEL_REFIT_INTERVAL_MINUTES: seconds(360, 1, 10_080),
    MODEL_REFIT_DEBOUNCE_SECONDS: seconds(30, 0, 3_600),
    MODEL_POLL_INTERVAL_SECONDS: seconds(60, 0.1, 3_600),
    SHUTDOWN_GRACE_SECONDS: seconds(20, 0, 600),
    EMBEDDED_DATA_DIR: z.string().min(1).default(DEFAULT_EMBEDDED_DATA_DIR),
  })
  .superRefine((env, ctx) => {
    if (env.APP_ENV !== "local" && env.JWT_SECRET === undefined) {
      ctx.addIssue({ code: "custom", path: ["JWT_SECRET"], message: `is required when APP_ENV is ${env.APP_ENV}` });
    }
    if (env.DB_POOL_MIN > env.DB_POOL_MAX) {
      ctx.addIssue({ code: "custom", path: ["DB_POOL_MIN"], message: "must not exceed DB_POOL_MAX" });
    }
  });

export type AppEnv = (typeof APP_ENVS)[number];

export interface Config {
  port: number;
  appEnv: AppEnv;
  logLevel: (typeof LOG_LEVELS)[number];
  databaseUrl: string | undefined;
  dbPool: { min: number; max: number };
  redisUrl: string | undefined;
  cache: { prefix: string; ttlSeconds: number };
  rateLimitPerMinute: number;
  jwtSecret: string;
  /** True when JWT_SECRET was not set and the well-known local secret is in use. */
  jwtSecretIsLocalDefault: boolean;
  model: { refitIntervalMs: number; refitDebounceMs: number; pollIntervalMs: number };
  shutdownGraceMs: number;
  embeddedDataDir: string;
}

/** Thrown for any bad or missing variable; the message names each offending variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Blank variables count as unset, so `FOO=` in an env file falls back to the default instead of failing oddly. */
function withoutBlanks(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== ""),
  );
}

/** `command` picks the default PORT (DEFAULT_PORTS); every other setting is the same for all commands. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, command = "serve"): Config {
  const parsed = schema.safeParse(withoutBlanks(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT ?? (command === "worker" ? DEFAULT_PORTS.worker : DEFAULT_PORTS.serve),
    appEnv: e.APP_ENV,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    dbPool: { min: e.DB_POOL_MIN, max: e.DB_POOL_MAX },
    redisUrl: e.REDIS_URL,
    cache: { prefix: e.CACHE_PREFIX, ttlSeconds: e.CACHE_TTL_SECONDS },
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    jwtSecret: e.JWT_SECRET ?? LOCAL_JWT_SECRET,
    jwtSecretIsLocalDefault: e.JWT_SECRET === undefined,
    model: {
      refitIntervalMs: e.MODEL_REFIT_INTERVAL_MINUTES * 60_000,
      refitDebounceMs: e.MODEL_REFIT_DEBOUNCE_SECONDS * 1000,
      pollIntervalMs: e.MODEL_POLL_INTERVAL_SECONDS * 1000,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_SECONDS * 1000,
    embeddedDataDir: resolveFromInvocation(e.EMBEDDED_DATA_DIR, env),
  };
}
