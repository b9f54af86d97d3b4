import type { Config } from "../config";
import { type Logger, redactUrl } from "../logger";
import { COMMAND_DATABASE_TIMEOUTS, type Database, type DatabaseOptions, createDatabase } from "../storage/db";
import { EMBEDDED_POOL, type EmbeddedPostgres, startEmbeddedPostgres } from "../storage/embedded";
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
