import type { ImporterDeps } from "../importer/importer";
import { importShippedData } from "../importer/shipped";
import type { Logger } from "../logger";
import type { Database } from "../storage/db";
import { seedTeamAliases } from "../storage/seedAliases";
import { seedHistoricalResults } from "../storage/seed";

/**
 * Everything a release ships, loaded idempotently: the results of matches.csv, the team alias list, then the
 * shipped openfootball files through the importer (fill-only). `seed` runs it and announces what it wrote
 * (`afterCommit`, once per league a commit changed) as an import does. The embedded database's first start runs it
 * too, without announcing: nothing can have cached anything or be waiting for a refit yet.
 */
export async function seedShippedData(db: Database, logger: Logger, afterCommit?: ImporterDeps["afterCommit"]): Promise<void> {
  const started = Date.now();
  const results = await seedHistoricalResults(db);
  // Every league whose results, matches or shots the historical seed changed has a refit request queued.
  for (const league of results.leaguesChanged) await afterCommit?.(league, true);
  const aliases = await seedTeamAliases(db);
  const imports = await importShippedData(db, logger, { afterCommit });
  const imported = imports.map(({ league, season, inserted, updated }) => ({ league, season, inserted, updated }));
  logger.info({ ...results, aliases, imported, ms: Date.now() - started }, "seed complete");
}
