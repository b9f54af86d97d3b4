import type { BackupEntry, BackupFiles } from "./catalog";
import type { BackupConfig } from "./config";
import { BackupFailure, RestoreMismatchError } from "./errors";
import { checkIntegrity, type Manifest, readManifest, type RowCounts, rowCountDifferences } from "./manifest";
import { countRows, libpqEnvironment, runTool, withClient } from "./postgres";
import type { BackupStore } from "./store";

export async function newestBackup(store: BackupStore, database: string): Promise<BackupEntry> {
  const [newest] = await store.list(database);
  if (newest === undefined) throw new BackupFailure(`there is no backup of database ${database} in ${store.location}`);
  return newest;
}

/** Opens a backup and proves its files intact before `use` restores anything from them. */
export async function withCheckedBackup<T>(
  store: BackupStore,
  entry: BackupEntry,
  use: (files: BackupFiles, manifest: Manifest) => Promise<T>,
): Promise<T> {
  const opened = await store.open(entry);
  try {
    const manifest = await readManifest(opened.files.manifest);
    await checkIntegrity(opened.files, manifest);
    return await use(opened.files, manifest);
  } finally {
    await opened.close();
  }
}

/**
 * One transaction, stopping at the first error: a restore either loads the whole backup or leaves the database as
 * it was, never half a schema. Without owners, every object belongs to the role that restores.
 */
export async function pgRestore(
  config: BackupConfig,
  dumpFile: string,
  database: string,
  keepOwners: boolean,
): Promise<void> {
  const ownership = keepOwners ? [] : ["--no-owner", "--no-acl"];
  await runTool(
    "pg_restore",
    ["--exit-on-error", "--single-transaction", "--no-password", `--dbname=${database}`, ...ownership, dumpFile],
    libpqEnvironment(config.databaseUrl, database),
  );
}

export function countRowsIn(config: BackupConfig, database: string): Promise<RowCounts> {
  return withClient(config.databaseUrl, database, countRows);
}

export function assertRowCountsMatch(manifest: Manifest, restored: RowCounts): void {
  const differences = rowCountDifferences(manifest.row_counts, restored);
  if (differences.length > 0) {
    throw new RestoreMismatchError(
      `restored data differs from the manifest of ${manifest.file}: ${differences.join("; ")}`,
    );
  }
}
