import type { Config } from "../config";
import { type Logger, redactUrl } from "../logger";
import { COMMAND_DATABASE_TIMEOUTS, type Database, type DatabaseOptions, createDatabase } from "../storage/db";
import {
  EMBEDDED_POOL,
  type EmbeddedDatabaseInUseError,
  type EmbeddedPostgres,
  startEmbeddedPostgres,
} from "../storage/embedded";
import { migrateToLatest } from "../storage/migrator";
import { seedShippedData } from "./shippedData";

export interface OpenDatabase {
  db: Database;
  kind: "postgres" | "embedded";
  close(): Promise<void>;
}

type Timeouts = Pick<DatabaseOptions, "acquireTimeoutMs" | "statementTimeoutMs">;

/**
 * Connects to DATABASE_URL, or without one starts the embedded PostgreSQL and brings it up to date (migrated,
 * and seeded when it holds no matches yet), so a fresh clone serves real data with nothing installed.
 */
export async function openDatabase(config: Config, logger: Logger, timeouts: Timeouts): Promise<OpenDatabase> {
  if (config.databaseUrl !== undefined) {
    logger.info({ database: redactUrl(config.databaseUrl), pool: config.dbPool }, "using PostgreSQL");
    const db = createDatabase({ connection: config.databaseUrl, pool: config.dbPool, ...timeouts, logger });
    return { db, kind: "postgres", close: () => db.destroy() };
  }
  const embedded = await startEmbeddedPostgres(config.embeddedDataDir, logger);
  try {
    await prepareEmbedded(embedded, logger);
    const db = createDatabase({ connection: embedded.connection, pool: EMBEDDED_POOL, ...timeouts, logger });
    return {
      db,
      kind: "embedded",
      async close() {
        await db.destroy();
        await embedded.stop();
      },
    };
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}

/** Runs with command timeouts: the first seed of the embedded database takes longer than any API statement. */
async function prepareEmbedded(embedded: EmbeddedPostgres, logger: Logger): Promise<void> {
  const db = createDatabase({
    connection: embedded.connection,
    pool: EMBEDDED_POOL,
    ...COMMAND_DATABASE_TIMEOUTS,
    logger,
  });
  try {
    const applied = await migrateToLatest(db);
    if (applied.length > 0) logger.info({ applied }, "embedded database migrated");
    const [{ count }] = await db("matches").count<Array<{ count: string }>>("* as count");
    if (Number(count) === 0) await seedShippedData(db, logger);
  } finally {
    await db.destroy();
  }
}

/** What to do instead, per command, when another process holds the embedded database. */
const EMBEDDED_IN_USE_ADVICE: Readonly<Record<string, string>> = {
  serve:
    "Is `npm run service` already running? Stop it first, or give this one its own EMBEDDED_DATA_DIR and PORT.",
  migrate:
    "`npm run service` migrates and seeds its embedded database by itself, so nothing needs running beside it. " +
    "To run migrate on its own, stop the service first, or set DATABASE_URL to a PostgreSQL server.",
  seed:
    "`npm run service` migrates and seeds its embedded database by itself, so nothing needs running beside it. " +
    "To run seed on its own, stop the service first, or set DATABASE_URL to a PostgreSQL server.",
  worker:
    "Locally (APP_ENV=local) `npm run service` runs the refit worker in-process, so nothing needs running beside " +
    "it. To run the worker on its own, stop the service first, or set DATABASE_URL for both.",
};

/**
 * The error a command prints when the embedded database is taken, usually by `npm run service`: PGlite is a
 * single-process database, so a second command cannot open it while the service runs.
 */
export function embeddedInUseMessage(command: string, error: EmbeddedDatabaseInUseError): string {
  const advice = EMBEDDED_IN_USE_ADVICE[command] ?? "Stop that process first, or set DATABASE_URL to a PostgreSQL server.";
  return (
    `${command}: the embedded database in ${error.dataDir} is in use by process ${error.owner}, and only one ` +
    `process can open it (DATABASE_URL is not set).\n${advice}`
  );
}
