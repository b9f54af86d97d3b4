/**
 * Fills the closing-odds columns of service/data/matches.csv from football-data.co.uk season files:
 * `npm run data:closing-odds -- <dir>` reads `<dir>/<league>-<season>.csv` (e.g. `E0-2014-2015.csv`) for every
 * league and season the file ships, with the importer's own parser, so the shipped odds and the imported ones are
 * chosen alike (Pinnacle's closing prices, else the market average's). A season without a file keeps empty cells;
 * a shipped match its season's file lacks, or a record the parser refuses, stops the script naming it.
 */
import fs from "node:fs";
import path from "node:path";
import { MATCHES_CSV_PATH, SHIPPED_LEAGUES, loadHistoricalResults } from "../service/src/data/historicalResults";
import type { ClosingOdds } from "../service/src/domain/closingOdds";
import { teamNameKey } from "../service/src/domain/teamNames";
import { parseFootballDataCsv } from "../service/src/importer/sources/footballDataCsv";

const HEADER =
  "league,season,date,home_team,away_team,home_goals,away_goals,home_shots,away_shots,home_shots_on_target," +
  "away_shots_on_target,home_closing_odds,draw_closing_odds,away_closing_odds,closing_odds_source";

const cell = (value: string | number | null | undefined): string => {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** Each season file's closing odds by date and pairing; undefined when the season has no file. */
function seasonOdds(dir: string, league: string, season: string): Map<string, ClosingOdds | null> | undefined {
  const file = path.join(dir, `${league}-${season}.csv`);
  if (!fs.existsSync(file)) return undefined;
  const timeZone = SHIPPED_LEAGUES.find((info) => info.code === league)?.timeZone ?? "Europe/London";
  const parsed = parseFootballDataCsv(fs.readFileSync(file, "utf8"), {
    league,
    season,
    source: "football-data-csv",
    code: league,
    timeZone,
  });
  if (parsed.problems.length > 0) {
    throw new Error(`${file}: ${parsed.problems.map((problem) => problem.reason).join("; ")}`);
  }
  return new Map(
    parsed.rows.map((row) => [`${row.date}:${teamNameKey(row.homeName)}:${teamNameKey(row.awayName)}`, row.closingOdds]),
  );
}

function main(dir: string): void {
  const matches = loadHistoricalResults();
  const bySeason = new Map<string, Map<string, ClosingOdds | null> | undefined>();
  const lines = [HEADER];
  const counts = new Map<string, number>();
  for (const match of matches) {
    const seasonKey = `${match.league}-${match.season}`;
    if (!bySeason.has(seasonKey)) bySeason.set(seasonKey, seasonOdds(dir, match.league, match.season));
    const odds = bySeason.get(seasonKey);
    const key = `${match.date}:${teamNameKey(match.homeTeam)}:${teamNameKey(match.awayTeam)}`;
    if (odds !== undefined && !odds.has(key)) {
      throw new Error(`${seasonKey}.csv has no ${match.homeTeam} v ${match.awayTeam} on ${match.date}`);
    }
    const closing = odds?.get(key) ?? null;
    const tally = `${seasonKey} ${closing?.source ?? "none"}`;
    counts.set(tally, (counts.get(tally) ?? 0) + 1);
    lines.push(
      [
        match.league,
        match.season,
        match.date,
        match.homeTeam,
        match.awayTeam,
        match.homeGoals,
        match.awayGoals,
        match.shots?.home,
        match.shots?.away,
        match.shotsOnTarget?.home,
        match.shotsOnTarget?.away,
        closing?.home,
        closing?.draw,
        closing?.away,
        closing?.source,
      ]
        .map(cell)
        .join(","),
    );
  }
  fs.writeFileSync(MATCHES_CSV_PATH, `${lines.join("\n")}\n`);
  for (const [tally, count] of counts) console.log(`${tally}: ${count}`);
}

if (require.main === module) {
  const dir = process.argv[2];
  if (dir === undefined) {
    console.error("usage: npm run data:closing-odds -- <directory of football-data.co.uk season files>");
    process.exitCode = 2;
  } else {
    try {
      main(dir);
    } catch (error) {
      console.error(`closing-odds: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  }
}
