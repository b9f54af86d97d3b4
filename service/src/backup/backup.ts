import { access, mkdir, rename, rm } from "node:fs/promises";
import { type BackupEntry, type BackupFiles, filesIn, newBackupEntry } from "./catalog";
import type { BackupConfig } from "./config";
import { type BackupContext, epochSeconds, parseOptions } from "./context";
import { BackupFailure } from "./errors";
import { digestFile, type Manifest, type RowCounts, writeSidecars } from "./manifest";
import { pushMetrics } from "./metrics";
import { countRows, libpqEnvironment, runTool, toolVersion, withClient } from "./postgres";

/**
 * gzip level 6 in pg_dump's custom format: restorable by any pg_restore of the same or a newer major version.
 * zstd would need pg_dump and pg_restore 16 or newer on every machine that may ever read the file.
 */
const GZIP_LEVEL = 6;

interface SnapshotDump {
  rowCounts: RowCounts;
  serverVersion: string;
}

/**
 * Dumps the database and counts its rows in one snapshot, so the manifest describes exactly what the dump holds
 * even while the application writes: a REPEATABLE READ transaction exports its snapshot, pg_dump adopts it with
 * --snapshot, and the transaction stays open (holding the snapshot) until pg_dump has finished.
 */
async function dumpInOneSnapshot(config: BackupConfig, file: string): Promise<SnapshotDump> {
  return withClient(config.databaseUrl, config.database, async (client) => {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    const exported = await client.query<{ snapshot: string; server_version: string }>(
      "SELECT pg_export_snapshot() AS snapshot, current_setting('server_version') AS server_version",
    );
    const { snapshot, server_version: serverVersion } = exported.rows[0];
    const rowCounts = await countRows(client);
    await runTool(
      "pg_dump",
      ["--format=custom", `--compress=${GZIP_LEVEL}`, `--snapshot=${snapshot}`, `--file=${file}`, "--no-password"],
      libpqEnvironment(config.databaseUrl, config.database),
    );
    await client.query("COMMIT");
    return { rowCounts, serverVersion };
  });
}

async function assertAbsent(file: string): Promise<void> {
  const exists = await access(file).then(
    () => true,
    () => false,
  );
  if (exists) throw new BackupFailure(`backup ${file} already exists; is another backup running?`);
}

/**
 * An off-site copy that was asked for and is missing is a failed backup: exit status 1 and no success timestamp.
 * The local copy stays, and the next prune treats it like any other.
 */
async function uploadOffSite(context: BackupContext, entry: BackupEntry, files: BackupFiles): Promise<void> {
  if (context.s3 === undefined) return;
  try {
    await context.s3.upload(entry, files);
  } catch (error) {
    const reason = (error as Error).message;
    throw new Error(`upload to ${context.s3.location} failed, the local copy ${files.dump} is kept: ${reason}`, {
      cause: error,
    });
  }
}

/**
 * The dump is written under a temporary name and renamed last, after its checksum file and manifest: whatever
 * lists backups by their dump therefore never sees a half-written one, even if the job is killed midway.
 */
export async function runBackup(context: BackupContext, argv: string[]): Promise<number> {
  parseOptions("backup", argv, {});
  const { config, logger } = context;
  const startedMs = performance.now();
  const entry = newBackupEntry(config.database, context.now());
  const files = filesIn(config.backupDir, entry);
  const partial = `${files.dump}.partial`;
  await mkdir(config.backupDir, { recursive: true });
  await assertAbsent(files.dump);

  let manifest: Manifest;
  try {
    const dumped = await dumpInOneSnapshot(config, partial);
    const digest = await digestFile(partial);
    manifest = {
      manifest_version: 1,
      database: config.database,
      file: `${entry.base}.dump`,
      bytes: digest.bytes,
      sha256: digest.sha256,
      created_at: entry.createdAt.toISOString(),
      duration_ms: Math.round(performance.now() - startedMs),
      server_version: dumped.serverVersion,
      pg_dump_version: await toolVersion("pg_dump"),
      compression: `gzip:${GZIP_LEVEL}`,
      row_counts: dumped.rowCounts,
    };
    await writeSidecars(files, manifest);
    await rename(partial, files.dump);
  } catch (error) {
    await Promise.all([partial, files.checksum, files.manifest].map((file) => rm(file, { force: true })));
    throw error;
  }

  await uploadOffSite(context, entry, files);
  await pushMetrics(
    config.pushgateway,
    config.database,
    {
      backup_last_success_timestamp_seconds: epochSeconds(context.now()),
      backup_size_bytes: manifest.bytes,
      backup_duration_seconds: manifest.duration_ms / 1000,
    },
    logger,
  );
  logger.info(
    {
      command: "backup",
      ok: true,
      database: config.database,
      file: files.dump,
      bytes: manifest.bytes,
      sha256: manifest.sha256,
      duration_ms: manifest.duration_ms,
      row_counts: manifest.row_counts,
      uploaded_to: context.s3?.location ?? null,
    },
    "backup finished",
  );
  return 0;
}
