import type { ImporterDeps } from "../importer/importer";
import { importShippedData } from "../importer/shipped";
import type { Logger } from "../logger";
import type { Database } from "../storage/db";
import { seedTeamAliases } from "../storage/seedAliases";
import { seedHistoricalResults } from "../storage/seed";

/** The tables a seed fills in bulk. */
export const SEEDED_TABLES = ["leagues", "seasons", "teams", "team_aliases", "matches"];

/**
 * Everything a release ships, loaded idempotently: the results of matches.csv, the team alias list, then the
 * shipped openfootball files through the importer (fill-only). `seed` runs it and announces what it wrote
 * (`afterCommit`, once per league a commit changed) as an import does. The embedded database's first start runs it
 * too, without announcing: nothing can have cached anything or be waiting for a refit yet.
 *
 * It ends by gathering the planner's statistics of the tables it fills, as PostgreSQL advises after a bulk load
 * ("Populating a Database": run ANALYZE afterwards). Without them the planner guesses: it read every match to find
 * an uncached batch of a hundred ids (1 ms a batch instead of 0.2) until autovacuum came round, which it never does
 * for the embedded database (PGlite runs no background workers).
 */
export async function seedShippedData(db: Database, logger: Logger, afterCommit?: ImporterDeps["afterCommit"]): Promise<void> {
  const started = Date.now();
  const results = await seedHistoricalResults(db);
  // Every league whose results, matches or shots the historical seed changed has a refit request queued.
  for (const league of results.leaguesChanged) await afterCommit?.(league, true);
  const aliases = await seedTeamAliases(db);
  const imports = await importShippedData(db, logger, { afterCommit });
  await db.raw(`ANALYZE ${SEEDED_TABLES.join(", ")}`);
  const imported = imports.map(({ league, season, inserted, updated }) => ({ league, season, inserted, updated }));
  logger.info({ ...results, aliases, imported, ms: Date.now() - started }, "seed complete");
}
