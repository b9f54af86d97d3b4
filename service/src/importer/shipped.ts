import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ImportLeague, ImporterConfig } from "../config";
import type { Logger } from "../logger";
import { Metrics } from "../metrics";
import type { Database } from "../storage/db";
import { Fetcher } from "./fetcher";
import { type ImportOutcome, Importer, type ImporterDeps } from "./importer";
import { openfootballSeason } from "./seasons";
import { type Clock, systemClock } from "./types";

/** Resolved from this module so it holds both under ts-node (src/importer) and after tsc (dist/importer). */
export const SHIPPED_OPENFOOTBALL_DIR = path.join(__dirname, "../../data/openfootball");

/**
 * The openfootball files shipped in service/data/openfootball (see its SOURCE.md): the Bundesliga and La Liga
 * seasons after the last football-data.co.uk ones in matches.csv, and every league's current season as far as the
 * files go. They are imported through the importer itself, from `file:` URLs.
 */
export const SHIPPED_FEEDS: ReadonlyArray<ImportLeague & { season: string }> = [
  ...["2024-2025", "2025-2026", "2026-2027"].flatMap((season) => [
    { league: "D1", source: "openfootball" as const, code: "de.1", season },
    { league: "SP1", source: "openfootball" as const, code: "es.1", season },
  ]),
  { league: "E0", source: "openfootball", code: "en.1", season: "2026-2027" },
];

/** The gate must pass every shipped record: a file that needs the quarantine is a file to fix before shipping. */
const SHIPPED_IMPORTER: ImporterConfig = {
  leagues: SHIPPED_FEEDS.map(({ league, source, code }) => ({ league, source, code })),
  season: undefined,
  intervalMs: 0,
  maxFailureRatio: 0,
  timeoutMs: 30_000,
  retries: 0,
  baseUrls: { openfootball: pathToFileURL(SHIPPED_OPENFOOTBALL_DIR).href, footballDataApi: "", footballDataCsv: "" },
  footballDataApiKey: undefined,
  pushgateway: undefined,
};

/**
 * Imports the shipped files in `fill-only` mode: what is missing is added and results of scheduled matches are
 * filled in, but nothing a live import or an operator recorded is moved or overwritten, so running `seed` with a
 * new release never rolls a database back to the release's snapshot. Throws if a file does not import cleanly.
 */
export async function importShippedData(
  db: Database,
  logger: Logger,
  options: { clock?: Clock; directory?: string; afterCommit?: ImporterDeps["afterCommit"] } = {},
): Promise<ImportOutcome[]> {
  const metrics = new Metrics();
  const fetcher = new Fetcher({ timeoutMs: 30_000, retries: 0, backoffMs: 0, maxBackoffMs: 0, maxRetryAfterMs: 0 }, { logger });
  const importer = new Importer(SHIPPED_IMPORTER, {
    db,
    metrics,
    logger,
    clock: options.clock ?? systemClock,
    fetcher,
    afterCommit: options.afterCommit,
  });
  const base = pathToFileURL(options.directory ?? SHIPPED_OPENFOOTBALL_DIR).href;
  const outcomes: ImportOutcome[] = [];
  for (const { season, ...entry } of SHIPPED_FEEDS) {
    const url = `${base}/${openfootballSeason(season)}/${entry.code}.json`;
    const outcome = await importer.importLeague(entry, () => url, { triggeredBy: "seed", season, mode: "fill-only" });
    if (outcome.status !== "succeeded" || outcome.quarantined > 0) {
      throw new Error(`shipped ${entry.code} ${season} did not import cleanly: ${outcome.error ?? `${outcome.quarantined} records quarantined`}`);
    }
    outcomes.push(outcome);
  }
  return outcomes;
}
