import knex, { type Knex } from "knex";
import { type Client as PgClient, types } from "pg";
import type { Logger } from "../logger";
import type { PoolStats } from "../metrics";

const PG_DATE_OID = 1082;
// Calendar dates stay `yyyy-mm-dd` strings: a JS Date would shift them by the process's time zone.
types.setTypeParser(PG_DATE_OID, (value: string) => value);

export type Database = Knex;

export interface DatabaseOptions {
  connection: string | Knex.PgConnectionConfig;
  pool: { min: number; max: number };
  /**
   * Longest wait for a pooled connection. Short for the API, so a stopped database answers 503 quickly
   * instead of queueing requests until clients time out.
   */
  acquireTimeoutMs: number;
  /** Server-side bound on one statement; long-running commands (seed, migrate) pass a larger one. */
  statementTimeoutMs: number;
  logger: Logger;
}

export const API_DATABASE_TIMEOUTS = { acquireTimeoutMs: 750, statementTimeoutMs: 3_000 } as const;
export const COMMAND_DATABASE_TIMEOUTS = { acquireTimeoutMs: 10_000, statementTimeoutMs: 300_000 } as const;

export function createDatabase(options: DatabaseOptions): Database {
  const base = typeof options.connection === "string" ? { connectionString: options.connection } : options.connection;
  return knex({
    client: "pg",
    connection: {
      ...base,
      connectionTimeoutMillis: options.acquireTimeoutMs,
      statement_timeout: options.statementTimeoutMs,
      keepAlive: true,
      application_name: "football-prediction",
    },
    pool: { min: options.pool.min, max: options.pool.max, idleTimeoutMillis: 30_000 },
    acquireConnectionTimeout: options.acquireTimeoutMs,
    // knex reports every failed connection attempt; during an outage that is one line per request, and the
    // outage itself is already visible through readiness and the 503s.
    log: {
      warn: (message: string) => options.logger.debug({ knex: message }, "knex warning"),
      error: (message: string) => options.logger.debug({ knex: message }, "knex error"),
      debug: (message: string) => options.logger.trace({ knex: message }, "knex debug"),
      deprecate: (method: string, alternative: string) =>
        options.logger.warn({ method, alternative }, "knex deprecation"),
    },
  });
}

/** PostgreSQL's warning when a commit stops waiting for its synchronous standby (server messages in English). */
const SYNC_WAIT_CANCELLED = /wait for synchronous replication/;

/**
 * A commit PostgreSQL made on the primary without seeing the synchronous standby confirm it: the statement_timeout
 * ran out while COMMIT waited for the standby, and PostgreSQL then reports success with only a warning. Such a
 * commit is not acknowledged: a failover before the standby catches up loses it, as it loses a commit whose
 * answer went down with a crash.
 */
export class UnconfirmedCommitError extends Error {
  override name = "UnconfirmedCommitError";
}

/**
 * `db.transaction`, resolving only for a commit as durable as the server promises: with synchronous replication,
 * confirmed by the standby. Throws UnconfirmedCommitError when PostgreSQL gave up waiting for it.
 */
export async function durableTransaction<T>(db: Database, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  const connection = (await db.client.acquireConnection()) as PgClient;
  let warning: string | undefined;
  const onNotice = (notice: { message?: string }) => {
    if (SYNC_WAIT_CANCELLED.test(notice.message ?? "")) warning = notice.message;
  };
  connection.on("notice", onNotice);
  try {
    const result = await db.transaction(work, { connection });
    if (warning !== undefined) throw new UnconfirmedCommitError(warning);
    return result;
  } finally {
    connection.off("notice", onNotice);
    await db.client.releaseConnection(connection);
  }
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  max: number;
}

export function poolStats(db: Database): PoolStats | undefined {
  const pool = (db.client as { pool?: TarnPool }).pool;
  if (pool === undefined) return undefined;
  return {
    used: pool.numUsed(),
    free: pool.numFree(),
    pending: pool.numPendingAcquires() + pool.numPendingCreates(),
    max: pool.max,
  };
}

const UNAVAILABLE_NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/** SQLSTATE classes and codes that mean "the database cannot answer now", not "the query is wrong". */
function isUnavailableSqlState(code: string): boolean {
  return (
    code.startsWith("08") || // connection exception
    code === "57P01" || // admin_shutdown
    code === "57P02" || // crash_shutdown
    code === "57P03" || // cannot_connect_now
    code === "57014" || // query_canceled, i.e. statement_timeout
    code === "53300" // too_many_connections
  );
}

const UNAVAILABLE_MESSAGES = [
  "Connection terminated",
  "timeout exceeded when trying to connect",
  // pg's own connectionTimeoutMillis, when the server accepts the socket but does not finish the handshake in time
  // (a server starting up or shutting down).
  "timeout expired",
  "Client has encountered a connection error",
  "Knex: Timeout acquiring a connection",
  "connect ECONNREFUSED",
];

/** True when an error means the database is down, unreachable or overloaded; such errors become 503s. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "KnexTimeoutError") return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (UNAVAILABLE_NETWORK_CODES.has(code) || isUnavailableSqlState(code))) return true;
  if (error instanceof AggregateError && error.errors.some(isDatabaseUnavailable)) return true;
  return UNAVAILABLE_MESSAGES.some((message) => error.message.includes(message));
}
