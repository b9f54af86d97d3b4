import { type BackupContext, parseOptions } from "./context";
import { selectBackupsToKeep } from "./retention";
import type { BackupStore } from "./store";

interface PruneResult {
  location: string;
  kept: string[];
  deleted: string[];
}

async function pruneStore(context: BackupContext, store: BackupStore, dryRun: boolean): Promise<PruneResult> {
  const entries = await store.list(context.config.database);
  const kept = selectBackupsToKeep(entries, context.config.retention, context.now());
  const deleted = entries.filter((entry) => !kept.includes(entry));
  if (!dryRun) await store.remove(deleted);
  return {
    location: store.location,
    kept: kept.map((entry) => entry.base),
    deleted: deleted.map((entry) => entry.base),
  };
}

/** Retention runs separately on the local volume and on S3: each keeps its own newest backups. */
export async function runPrune(context: BackupContext, argv: string[]): Promise<number> {
  const { "dry-run": dryRun } = parseOptions("prune", argv, { "dry-run": { type: "boolean", default: false } });
  const stores: BackupStore[] = context.s3 === undefined ? [context.local] : [context.local, context.s3];
  const results: PruneResult[] = [];
  for (const store of stores) results.push(await pruneStore(context, store, dryRun));
  context.logger.info(
    {
      command: "prune",
      ok: true,
      database: context.config.database,
      dry_run: dryRun,
      retention: context.config.retention,
      stores: results,
    },
    dryRun ? "prune dry run finished; nothing was deleted" : "prune finished",
  );
  return 0;
}
