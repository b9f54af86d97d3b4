import { spawn } from "node:child_process";
import { Client } from "pg";
import type { RowCounts } from "./manifest";

/** CREATE and DROP DATABASE cannot run inside the database they name, so they run from this one. */
const MAINTENANCE_DATABASE = "postgres";
const APPLICATION_NAME = "football-prediction-backup";
/** Enough of a failing tool's stderr to explain the failure without flooding the log. */
const STDERR_LIMIT = 8_192;

/** Variables the PostgreSQL tools never need and that carry secrets; children do not inherit them. */
const SECRET_VARIABLES = ["DATABASE_URL", "BACKUP_S3_SECRET_ACCESS_KEY", "BACKUP_S3_ACCESS_KEY_ID"];

function urlFor(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export async function withClient<T>(
  databaseUrl: string,
  database: string,
  use: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({ connectionString: urlFor(databaseUrl, database), application_name: APPLICATION_NAME });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export function withMaintenanceClient<T>(databaseUrl: string, use: (client: Client) => Promise<T>): Promise<T> {
  return withClient(databaseUrl, MAINTENANCE_DATABASE, use);
}

/**
 * The connection as libpq environment variables: the password reaches pg_dump and pg_restore through PGPASSWORD,
 * so it never appears on a command line (visible in `ps`) or in a logged argument list.
 */
export function libpqEnvironment(databaseUrl: string, database: string): NodeJS.ProcessEnv {
  const url = new URL(databaseUrl);
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !SECRET_VARIABLES.includes(name)),
  );
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    PGHOST: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    PGPORT: url.port || "5432",
    PGDATABASE: database,
    PGAPPNAME: APPLICATION_NAME,
  };
  if (url.username !== "") env.PGUSER = decodeURIComponent(url.username);
  if (url.password !== "") env.PGPASSWORD = decodeURIComponent(url.password);
  const sslMode = url.searchParams.get("sslmode");
  if (sslMode !== null) env.PGSSLMODE = sslMode;
  return env;
}

/** Runs a PostgreSQL client tool; resolves with its stdout, rejects with its exit status and stderr. */
export function runTool(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      if (stderr.length < STDERR_LIMIT) stderr += chunk;
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      const hint = error.code === "ENOENT" ? " (is postgresql-client installed and on PATH?)" : "";
      reject(new Error(`cannot run ${command}${hint}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      if (code === 0) return resolve(stdout);
      const status = signal === null ? `exit code ${code}` : `signal ${signal}`;
      reject(new Error(`${command} failed with ${status}: ${stderr.trim().slice(0, STDERR_LIMIT)}`));
    });
  });
}

export async function toolVersion(command: string): Promise<string> {
  return (await runTool(command, ["--version"], process.env)).trim();
}

/** Rows of every table of the public schema, counted in whatever snapshot the client's transaction holds. */
export async function countRows(client: Client): Promise<RowCounts> {
  const tables = await client.query<{ name: string }>(
    `SELECT c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      ORDER BY c.relname`,
  );
  const counts: RowCounts = {};
  for (const { name } of tables.rows) {
    const result = await client.query<{ count: string }>(
      `SELECT count(*) AS count FROM public.${client.escapeIdentifier(name)}`,
    );
    counts[`public.${name}`] = Number(result.rows[0].count);
  }
  return counts;
}

export async function databaseExists(client: Client, database: string): Promise<boolean> {
  const result = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
  return result.rowCount === 1;
}

/** Tables and other relations a user created, in any schema but PostgreSQL's own. */
export async function userRelationCount(client: Client): Promise<number> {
  const result = await client.query<{ count: string }>(
    `SELECT count(*) AS count
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`,
  );
  return Number(result.rows[0].count);
}

export async function createDatabase(client: Client, database: string, owner?: string): Promise<void> {
  const ownedBy = owner === undefined ? "" : ` OWNER ${client.escapeIdentifier(owner)}`;
  await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}${ownedBy}`);
}

/** WITH (FORCE) ends other sessions first, so a stray connection cannot leave a scratch database behind. */
export async function dropDatabase(client: Client, database: string): Promise<void> {
  await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`);
}
