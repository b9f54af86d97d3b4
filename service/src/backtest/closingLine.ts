import type { ShippedClosingLine } from "../data/closingLine";
import { meanScores, type Outcome, type OutcomeProbabilities } from "../domain/metrics";

/**
 * Where a closing-line figure comes from: the odds stored with the matches (a deployment that imported
 * football-data.co.uk's files itself) or the derived figures the repository ships (it ships no prices).
 */
export type ClosingOddsOrigin = "stored" | "shipped";

/** The bookmakers' closing line's scores over the matches it priced. */
export interface ClosingLineScores {
  /** Matches with closing odds, the ones scored. */
  matches: number;
  rps: number;
  logLoss: number;
  /** `stored` or `shipped`; pooled over seasons of both, `mixed`. */
  origin: ClosingOddsOrigin | "mixed";
}

/**
 * The closing line's scores over the matches whose stored closing odds made a forecast (margin already removed);
 * null when none has. The shipped figures are computed by this very function (scripts/closingOdds.ts).
 */
export function storedClosingLine(
  forecasts: ReadonlyArray<{ closingOdds?: OutcomeProbabilities | null; outcome: Outcome }>,
): (ClosingLineScores & { origin: "stored" }) | null {
  const priced = forecasts.flatMap(({ closingOdds, outcome }) => (closingOdds ? [{ forecast: closingOdds, outcome }] : []));
  if (priced.length === 0) return null;
  const { matches, rps, logLoss } = meanScores(priced);
  return { matches, rps, logLoss, origin: "stored" };
}

/**
 * A season's closing line: from the stored odds when its matches have some, else the shipped figures of the
 * league and season, else null.
 */
export function seasonClosingLine(
  league: string,
  season: string,
  forecasts: ReadonlyArray<{ closingOdds?: OutcomeProbabilities | null; outcome: Outcome }>,
  shipped: readonly ShippedClosingLine[],
): (ClosingLineScores & { origin: ClosingOddsOrigin }) | null {
  const stored = storedClosingLine(forecasts);
  if (stored !== null) return stored;
  const figures = shipped.find((row) => row.league === league && row.season === season);
  return figures === undefined
    ? null
    : { matches: figures.matchesPriced, rps: figures.rps, logLoss: figures.logLoss, origin: "shipped" };
}

/** Seasons' closing lines pooled: means weighted by the matches each priced; null when no season has one. */
export function pooledClosingLine(seasons: ReadonlyArray<ClosingLineScores | null>): ClosingLineScores | null {
  const priced = seasons.filter((season): season is ClosingLineScores => season !== null);
  if (priced.length === 0) return null;
  const matches = priced.reduce((sum, season) => sum + season.matches, 0);
  const weighted = (score: "rps" | "logLoss") => priced.reduce((sum, season) => sum + season.matches * season[score], 0) / matches;
  const origins = new Set(priced.map((season) => season.origin));
  return { matches, rps: weighted("rps"), logLoss: weighted("logLoss"), origin: origins.size === 1 ? priced[0].origin : "mixed" };
}
