import { isIP } from "node:net";
import path from "node:path";
import { z } from "zod";
import { resolveFromInvocation } from "./paths";
import { pushgatewayNamespace, type PushTarget } from "./pushgateway";

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
/**
 * Default ports per command, chosen so that a worker or the web tier started beside `npm run service` does not
 * collide with it: the service takes PORT 8000 (the API and the page) and OPS_PORT 8001; the worker serves only its
 * ops port, on 8002; `web` (the page alone) takes 8003 and 8004.
 */
export const DEFAULT_PORTS = {
  serve: { port: 8000, ops: 8001 },
  worker: { port: 8000, ops: 8002 },
  web: { port: 8003, ops: 8004 },
} as const;

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

/** An address range as `address/prefix`; a bare address is a range of one. Strict: dotted quads and IPv6 only. */
function addressRange(entry: string): string | undefined {
  const [address, prefix, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0 || address.includes("%")) return undefined;
  const bits = family === 4 ? 32 : 128;
  if (prefix === undefined) return `${address}/${bits}`;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) return undefined;
  return `${address}/${Number(prefix)}`;
}

/** Comma-separated address ranges; every entry must parse, so a typo never silently trusts nothing (or all). */
const addressRanges = z
  .string()
  .default("")
  .transform((value, ctx) => {
    const entries = value.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
    const ranges = entries.map(addressRange);
    const bad = entries.filter((_, i) => ranges[i] === undefined);
    if (bad.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `${bad.map((entry) => `"${entry}"`).join(", ")} is not an IP address or CIDR range (such as 10.0.0.0/8 or fd00::/8)`,
      });
      return z.NEVER;
    }
    return ranges as string[];
  });
/** Where fixtures and results come from (docs/service-interface.md, "Importing"). */
export const IMPORT_SOURCES = ["openfootball", "football-data-api", "football-data-csv"] as const;
export type ImportSource = (typeof IMPORT_SOURCES)[number];

/** One league the importer keeps current: its code here, the source, and the source's name for it. */
export interface ImportLeague {
  league: string;
  source: ImportSource;
  /** openfootball's file name (`en.1`), football-data.org's competition code (`PL`), football-data.co.uk's division (`E0`). */
  code: string;
}

/**
 * `IMPORT_LEAGUES`: entries `<league>:<source>:<code>` separated by commas or spaces, e.g.
 * `E0:openfootball:en.1,D1:football-data-api:BL1,SP1:football-data-csv:SP1`.
 */
const importLeagues = z.string().transform((text, ctx): ImportLeague[] => {
  const entries = text.split(/[\s,]+/).filter((entry) => entry !== "");
  const leagues: ImportLeague[] = [];
  for (const entry of entries) {
    const match = /^([A-Z][A-Z0-9]{0,9}):([a-z-]+):([A-Za-z0-9._-]{1,32})$/.exec(entry);
    const source = match?.[2] as ImportSource | undefined;
    if (match === null || source === undefined || !IMPORT_SOURCES.includes(source)) {
      ctx.addIssue({
        code: "custom",
        message: `"${entry}" is not <league>:<source>:<code> with a source among ${IMPORT_SOURCES.join(", ")}`,
      });
      continue;
    }
    if (leagues.some((league) => league.league === match[1])) {
      ctx.addIssue({ code: "custom", message: `names league ${match[1]} twice` });
    }
    leagues.push({ league: match[1], source, code: match[3] });
  }
  return leagues;
});

const sourceUrl = (defaultValue: string) => urlWithScheme(["https:", "http:", "file:"]).default(defaultValue);

const schema = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535).optional(),
    OPS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    APP_ENV: z.enum(APP_ENVS).default("local"),
    LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
    DATABASE_URL: urlWithScheme(["postgres:", "postgresql:"]),
    DB_POOL_MIN: integer(0, 0, 100),
    DB_POOL_MAX: integer(10, 1, 100),
    REDIS_URL: urlWithScheme(["redis:", "rediss:"]),
    CACHE_PREFIX: z.string().min(1).max(64).regex(/^[\w:.-]+$/, "only letters, digits and _ : . -").default("fp:"),
    CACHE_TTL_SECONDS: integer(300, 1, 86_400),
    RATE_LIMIT_PER_MINUTE: integer(100, 1, 1_000_000_000),
    RATE_LIMIT_REDIS_URL: urlWithScheme(["redis:", "rediss:"]),
    TRUSTED_PROXIES: addressRanges,
    JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    MODEL_REFIT_INTERVAL_MINUTES: seconds(360, 1, 10_080),
    MODEL_REFIT_DEBOUNCE_SECONDS: seconds(30, 0, 3_600),
    MODEL_POLL_INTERVAL_SECONDS: seconds(60, 0.1, 3_600),
    SHUTDOWN_GRACE_SECONDS: seconds(20, 0, 600),
    EMBEDDED_DATA_DIR: z.string().min(1).default(DEFAULT_EMBEDDED_DATA_DIR),
    WEB_ROOT: z.string().min(1).optional(),
    IMPORT_LEAGUES: importLeagues.default([]),
    IMPORT_SEASON: z
      .string()
      .regex(/^\d{4}-\d{4}$/, "must be a season like 2026-2027")
      .refine((value) => Number(value.slice(5)) === Number(value.slice(0, 4)) + 1, "must span two consecutive years")
      .optional(),
    IMPORT_INTERVAL_MINUTES: seconds(0, 0, 10_080),
    IMPORT_MAX_FAILURE_RATIO: z.coerce.number().min(0).max(1).default(0.2),
    IMPORT_TIMEOUT_SECONDS: seconds(30, 1, 600),
    IMPORT_RETRIES: integer(4, 0, 10),
    OPENFOOTBALL_BASE_URL: sourceUrl("https://raw.githubusercontent.com/openfootball/football.json/master"),
    FOOTBALL_DATA_API_BASE_URL: sourceUrl("https://api.football-data.org/v4"),
    FOOTBALL_DATA_API_KEY: z.string().regex(/^[A-Za-z0-9]{8,128}$/, "must be the API token football-data.org issued").optional(),
    FOOTBALL_DATA_CSV_BASE_URL: sourceUrl("https://www.football-data.co.uk/mmz4281"),
    PUSHGATEWAY_URL: urlWithScheme(["http:", "https:"]),
    PUSHGATEWAY_NAMESPACE: pushgatewayNamespace,
  })
  .superRefine((env, ctx) => {
    if (env.IMPORT_LEAGUES.some((league) => league.source === "football-data-api") && !env.FOOTBALL_DATA_API_KEY) {
      ctx.addIssue({
        code: "custom",
        path: ["FOOTBALL_DATA_API_KEY"],
        message: "is required when IMPORT_LEAGUES names the football-data-api source",
      });
    }
    if (env.DB_POOL_MIN > env.DB_POOL_MAX) {
      ctx.addIssue({ code: "custom", path: ["DB_POOL_MIN"], message: "must not exceed DB_POOL_MAX" });
    }
  });

export type AppEnv = (typeof APP_ENVS)[number];

export interface Config {
  /** The public port: the API (and nothing else). */
  port: number;
  /** The cluster-internal port: /health, /ready and /metrics. */
  opsPort: number;
  appEnv: AppEnv;
  logLevel: (typeof LOG_LEVELS)[number];
  databaseUrl: string | undefined;
  dbPool: { min: number; max: number };
  redisUrl: string | undefined;
  cache: { prefix: string; ttlSeconds: number };
  rateLimit: {
    perMinute: number;
    /** Where the shared counters live when they must not share the cache's Redis; unset: REDIS_URL. */
    redisUrl: string | undefined;
  };
  /**
   * The proxies whose X-Forwarded-For entries count, as CIDR ranges (a bare address as /32 or /128); empty: none,
   * so the client is the connection's peer.
   */
  trustedProxies: string[];
  jwtSecret: string;
  /** True when JWT_SECRET was not set and the well-known local secret is in use. */
  jwtSecretIsLocalDefault: boolean;
  model: { refitIntervalMs: number; refitDebounceMs: number; pollIntervalMs: number };
  shutdownGraceMs: number;
  embeddedDataDir: string;
  /** Where the built page is, when not in web/dist beside service/ (as `npm run build -w web` writes it). */
  webRoot: string | undefined;
  importer: ImporterConfig;
}

export interface ImporterConfig {
  leagues: ImportLeague[];
  /** The season to import; unset, the current one by the clock. */
  season: string | undefined;
  /** How often the worker imports; 0 leaves it to the `import` command (the stacks' CronJob). */
  intervalMs: number;
  /** Share of a league's fetched records that may fail the gate before the whole batch is refused. */
  maxFailureRatio: number;
  /** Per request, including a slow body. */
  timeoutMs: number;
  /** Further attempts after a 5xx, a timeout or a dropped connection. */
  retries: number;
  baseUrls: Record<"openfootball" | "footballDataApi" | "footballDataCsv", string>;
  footballDataApiKey: string | undefined;
  /** Where `import` pushes its `import_*` metrics (PUSHGATEWAY_URL, PUSHGATEWAY_NAMESPACE); unset, it pushes nothing. */
  pushgateway: PushTarget | undefined;
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

export interface LoadOptions {
  /** The command being configured: it picks the default ports (DEFAULT_PORTS); every other setting is shared. */
  command?: string;
  /**
   * Whether the command signs or verifies tokens (serve, token, and by default every command). The importer and
   * the other one-off commands do not, so their pods never need to hold JWT_SECRET.
   */
  needsJwtSecret?: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): Config {
  const parsed = schema.safeParse(withoutBlanks(env));
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  const appEnv = parsed.success ? parsed.data.APP_ENV : withoutBlanks(env).APP_ENV;
  if ((options.needsJwtSecret ?? true) && appEnv !== undefined && appEnv !== "local" && !withoutBlanks(env).JWT_SECRET) {
    problems.push(`JWT_SECRET: is required when APP_ENV is ${appEnv}`);
  }
  const defaults =
    options.command === "worker" || options.command === "web" ? DEFAULT_PORTS[options.command] : DEFAULT_PORTS.serve;
  const port = (parsed.success ? parsed.data.PORT : undefined) ?? defaults.port;
  // An ops port left to its default steps aside when PORT was moved onto it; one set to PORT is a mistake.
  const opsPort = (parsed.success ? parsed.data.OPS_PORT : undefined) ?? (port === defaults.ops ? defaults.port : defaults.ops);
  if (parsed.success && opsPort === port) problems.push("OPS_PORT: must differ from PORT");
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  return {
    port,
    opsPort,
    appEnv: e.APP_ENV,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    dbPool: { min: e.DB_POOL_MIN, max: e.DB_POOL_MAX },
    redisUrl: e.REDIS_URL,
    cache: { prefix: e.CACHE_PREFIX, ttlSeconds: e.CACHE_TTL_SECONDS },
    rateLimit: { perMinute: e.RATE_LIMIT_PER_MINUTE, redisUrl: e.RATE_LIMIT_REDIS_URL },
    trustedProxies: e.TRUSTED_PROXIES,
    jwtSecret: e.JWT_SECRET ?? LOCAL_JWT_SECRET,
    jwtSecretIsLocalDefault: e.JWT_SECRET === undefined,
    model: {
      refitIntervalMs: e.MODEL_REFIT_INTERVAL_MINUTES * 60_000,
      refitDebounceMs: e.MODEL_REFIT_DEBOUNCE_SECONDS * 1000,
      pollIntervalMs: e.MODEL_POLL_INTERVAL_SECONDS * 1000,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_SECONDS * 1000,
    embeddedDataDir: resolveFromInvocation(e.EMBEDDED_DATA_DIR, env),
    webRoot: e.WEB_ROOT === undefined ? undefined : resolveFromInvocation(e.WEB_ROOT, env),
    importer: {
      leagues: e.IMPORT_LEAGUES,
      season: e.IMPORT_SEASON,
      intervalMs: e.IMPORT_INTERVAL_MINUTES * 60_000,
      maxFailureRatio: e.IMPORT_MAX_FAILURE_RATIO,
      timeoutMs: e.IMPORT_TIMEOUT_SECONDS * 1000,
      retries: e.IMPORT_RETRIES,
      baseUrls: {
        openfootball: e.OPENFOOTBALL_BASE_URL,
        footballDataApi: e.FOOTBALL_DATA_API_BASE_URL,
        footballDataCsv: e.FOOTBALL_DATA_CSV_BASE_URL,
      },
      footballDataApiKey: e.FOOTBALL_DATA_API_KEY,
      pushgateway: e.PUSHGATEWAY_URL === undefined ? undefined : { url: e.PUSHGATEWAY_URL, namespace: e.PUSHGATEWAY_NAMESPACE },
    },
  };
}
