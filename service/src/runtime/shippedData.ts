import { importShippedData } from "../importer/shipped";
import type { Logger } from "../logger";
import type { Database } from "../storage/db";
import { seedTeamAliases } from "../storage/seedAliases";
import { seedHistoricalResults } from "../storage/seed";

/**
 * Everything a release ships, loaded idempotently: the results of matches.csv, the team alias list, then the
 * shipped openfootball files through the importer (fill-only). `seed` runs it; so does the embedded database's
 * first start.
 */
export async function seedShippedData(db: Database, logger: Logger): Promise<void> {
  const started = Date.now();
  const results = await seedHistoricalResults(db);
  const aliases = await seedTeamAliases(db);
  const imports = await importShippedData(db, logger);
  const imported = imports.map(({ league, season, inserted, updated }) => ({ league, season, inserted, updated }));
  logger.info({ ...results, aliases, imported, ms: Date.now() - started }, "seed complete");
}
