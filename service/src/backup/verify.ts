import { randomBytes } from "node:crypto";
import type { BackupEntry } from "./catalog";
import { type BackupContext, epochSeconds, parseOptions, SOURCE_OPTION, storeForSource } from "./context";
import { UsageError } from "./errors";
import type { Manifest } from "./manifest";
import { pushMetrics } from "./metrics";
import { createDatabase, dropDatabase, withMaintenanceClient } from "./postgres";
import { assertRowCountsMatch, countRowsIn, newestBackup, pgRestore, withCheckedBackup } from "./restoring";
import type { BackupStore } from "./store";

/** Unique per run, so two verifications (or two engineers) never share a scratch database; within 63 bytes. */
function scratchDatabaseName(database: string, at: Date): string {
  const stamp = at.toISOString().replace(/\D/g, "").slice(0, 14);
  return `${database.slice(0, 30)}_verify_${stamp}_${randomBytes(4).toString("hex")}`;
}

async function restoreIntoScratch(context: BackupContext, dumpFile: string, manifest: Manifest): Promise<void> {
  const { config, logger } = context;
  const scratch = scratchDatabaseName(config.database, context.now());
  await withMaintenanceClient(config.databaseUrl, (client) => createDatabase(client, scratch));
  try {
    // Ownership is irrelevant in a database that lives for seconds, and keeping it would need the original roles.
    await pgRestore(config, dumpFile, scratch, false);
    assertRowCountsMatch(manifest, await countRowsIn(config, scratch));
  } finally {
    await withMaintenanceClient(config.databaseUrl, (client) => dropDatabase(client, scratch)).catch((error: unknown) =>
      logger.error({ err: error, database: scratch }, "could not drop the scratch database; drop it by hand"),
    );
  }
}

async function verifyNewest(
  context: BackupContext,
  store: BackupStore,
): Promise<{ entry: BackupEntry; manifest: Manifest }> {
  const entry = await newestBackup(store, context.config.database);
  return withCheckedBackup(store, entry, async (files, manifest) => {
    await restoreIntoScratch(context, files.dump, manifest);
    return { entry, manifest };
  });
}

function pushVerifyResult(context: BackupContext, success: boolean): Promise<void> {
  const { config, logger } = context;
  const metrics = {
    backup_verify_success: success ? 1 : 0,
    backup_verify_last_run_timestamp_seconds: epochSeconds(context.now()),
  };
  return pushMetrics(config.pushgateway, config.database, metrics, logger);
}

/**
 * Proves the newest backup restorable: intact file, clean pg_restore into a scratch database, the manifest's row
 * counts. Any failure is reported three ways: exit status 1, backup_verify_success 0, and an error log line.
 */
export async function runVerify(context: BackupContext, argv: string[]): Promise<number> {
  const { source } = parseOptions("verify", argv, { source: SOURCE_OPTION });
  const store = storeForSource(context, source);
  const { config, logger } = context;
  const startedMs = performance.now();
  const report = { command: "verify", database: config.database, location: store.location };
  try {
    const { entry, manifest } = await verifyNewest(context, store);
    await pushVerifyResult(context, true);
    logger.info(
      {
        ...report,
        ok: true,
        backup: entry.base,
        sha256: manifest.sha256,
        row_counts: manifest.row_counts,
        duration_ms: Math.round(performance.now() - startedMs),
      },
      `backup ${entry.base} verified`,
    );
    return 0;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    await pushVerifyResult(context, false);
    const reason = (error as Error).message;
    logger.error(
      { ...report, ok: false, reason, duration_ms: Math.round(performance.now() - startedMs) },
      `BACKUP VERIFICATION FAILED: ${reason}`,
    );
    return 1;
  }
}
