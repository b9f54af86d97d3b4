import type { Client } from "pg";
import { type BackupEntry, parseDumpName } from "./catalog";
import { assertDatabaseName } from "./config";
import { type BackupContext, parseOptions, SOURCE_OPTION, storeForSource } from "./context";
import { BackupFailure, UsageError } from "./errors";
import {
  createDatabase,
  databaseExists,
  dropDatabase,
  userRelationCount,
  withClient,
  withMaintenanceClient,
} from "./postgres";
import { assertRowCountsMatch, countRowsIn, newestBackup, pgRestore, withCheckedBackup } from "./restoring";
import type { BackupStore } from "./store";

const OPTIONS = {
  target: { type: "string" },
  file: { type: "string" },
  source: SOURCE_OPTION,
  force: { type: "boolean", default: false },
  "no-owner": { type: "boolean", default: false },
} as const;

async function chooseBackup(store: BackupStore, database: string, file: string | undefined): Promise<BackupEntry> {
  if (file === undefined) return newestBackup(store, database);
  const wanted = parseDumpName(file);
  if (wanted === undefined || file.includes("/")) {
    throw new UsageError(`--file must be a backup file name like ${database}-20250131T020000Z.dump, got "${file}"`);
  }
  const found = (await store.list(wanted.database)).find((entry) => entry.base === wanted.base);
  if (found === undefined) throw new BackupFailure(`there is no backup ${file} in ${store.location}`);
  return found;
}

async function ownerOf(client: Client, database: string): Promise<string> {
  const result = await client.query<{ owner: string }>(
    "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1",
    [database],
  );
  return result.rows[0].owner;
}

/**
 * Leaves `target` existing and empty. An existing database with user relations is only replaced under --force,
 * and then dropped and created again (same owner) rather than cleaned object by object, so nothing of the old
 * contents survives next to the restored ones.
 */
async function prepareTarget(context: BackupContext, target: string, force: boolean): Promise<void> {
  const { databaseUrl } = context.config;
  await withMaintenanceClient(databaseUrl, async (client) => {
    if (!(await databaseExists(client, target))) {
      await createDatabase(client, target);
      return;
    }
    const relations = await withClient(databaseUrl, target, userRelationCount);
    if (relations === 0) return;
    if (!force) {
      throw new BackupFailure(
        `database ${target} is not empty (${relations} tables, views or other relations); ` +
          "restore into a new database, or pass --force to drop and replace it",
      );
    }
    const owner = await ownerOf(client, target);
    context.logger.warn({ command: "restore", database: target, relations }, `--force: dropping database ${target}`);
    await dropDatabase(client, target);
    await createDatabase(client, target, owner);
  });
}

/** restore --target <db> [--file <name>] [--source local|s3] [--force] [--no-owner] */
export async function runRestore(context: BackupContext, argv: string[]): Promise<number> {
  const options = parseOptions("restore", argv, OPTIONS);
  if (options.target === undefined) throw new UsageError("restore: --target <database> is required");
  const target = assertDatabaseName(options.target, "--target");
  const store = storeForSource(context, options.source);
  const { config, logger } = context;
  const startedMs = performance.now();
  const entry = await chooseBackup(store, config.database, options.file);

  const manifest = await withCheckedBackup(store, entry, async (files, checked) => {
    await prepareTarget(context, target, options.force);
    await pgRestore(config, files.dump, target, !options["no-owner"]);
    return checked;
  });
  // Fresh statistics, so the first queries after switching the application over get sensible plans.
  await withClient(config.databaseUrl, target, (client) => client.query("ANALYZE"));
  const restoredCounts = await countRowsIn(config, target);
  assertRowCountsMatch(manifest, restoredCounts);
  logger.info(
    {
      command: "restore",
      ok: true,
      database: target,
      backup: entry.base,
      location: store.location,
      created_at: manifest.created_at,
      row_counts: restoredCounts,
      duration_ms: Math.round(performance.now() - startedMs),
    },
    `restored ${entry.base} into database ${target}`,
  );
  return 0;
}
