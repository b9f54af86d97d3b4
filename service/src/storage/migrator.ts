import type { Knex } from "knex";
import type { Database } from "./db";
import { MIGRATIONS } from "./migrations";

type NamedMigration = (typeof MIGRATIONS)[number];

const migrationSource: Knex.MigrationSource<NamedMigration> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};

const MIGRATIONS_TABLE = "knex_migrations";
const UNDEFINED_TABLE = "42P01";

/** Applies every pending migration; returns the names applied. */
export async function migrateToLatest(db: Database): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

/** Reverts the last batch of migrations, or all of them; returns the names reverted. */
export async function migrateDown(db: Database, scope: "last-batch" | "all"): Promise<string[]> {
  const [, reverted] = (await db.migrate.rollback({ migrationSource }, scope === "all")) as [number, string[]];
  return reverted;
}

/** The most recent batch of applied migrations, newest first (what `migrateDown(db, "last-batch")` reverts). */
export async function lastBatch(db: Database): Promise<{ batch: number; names: string[] } | undefined> {
  let rows: Array<{ name: string; batch: number }>;
  try {
    rows = await db(MIGRATIONS_TABLE)
      .select("name", "batch")
      .where("batch", db(MIGRATIONS_TABLE).max("batch"))
      .orderBy("id", "desc");
  } catch (error) {
    if ((error as { code?: string }).code === UNDEFINED_TABLE) return undefined;
    throw error;
  }
  return rows.length === 0 ? undefined : { batch: rows[0].batch, names: rows.map((row) => row.name) };
}

/**
 * Names of migrations this build knows but the database has not applied. Read-only (knex's own listing
 * creates its tables), so readiness probes can call it against a database the migration Job has not touched.
 */
export async function pendingMigrations(db: Database): Promise<string[]> {
  let applied: Set<string>;
  try {
    const rows: Array<{ name: string }> = await db(MIGRATIONS_TABLE).select("name");
    applied = new Set(rows.map((row) => row.name));
  } catch (error) {
    if ((error as { code?: string }).code === UNDEFINED_TABLE) return MIGRATIONS.map(([name]) => name);
    throw error;
  }
  return MIGRATIONS.map(([name]) => name).filter((name) => !applied.has(name));
}

/**
 * Makes `ms` the database's default statement_timeout (ALTER DATABASE, which its owner may run): the bound of every
 * session that does not set its own. The service's processes send theirs as a startup parameter, which a
 * transaction pooler cannot carry (PgBouncer is told to ignore it, see docs/service-interface.md), so behind one
 * this default is their bound; sessions opened directly keep their own. Applies to sessions opened afterwards.
 */
export async function setDefaultStatementTimeout(db: Database, ms: number): Promise<void> {
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`statement timeout must be a whole number of ms, not ${ms}`);
  const [{ name }] = (await db.raw("SELECT current_database() AS name")).rows as Array<{ name: string }>;
  await db.raw(`ALTER DATABASE ?? SET statement_timeout = ${ms}`, [name]);
}
