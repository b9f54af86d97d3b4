/**
 * Writes service/data/closing-line.csv, the bookmakers' closing line's benchmark figures per league and season, from
 * football-data.co.uk season files: `npm run data:closing-odds -- <dir>` reads `<dir>/<league>-<season>.csv` (e.g.
 * `E0-2014-2015.csv`) for every league and season of the shipped results. The files are parsed with the importer's
 * own parser, so the odds are chosen as an import chooses them (Pinnacle's closing prices, else the market
 * average's), and scored with the backtest's own code. Only the derived figures are written, never a price: the
 * odds' redistribution terms are unclear (service/data/SOURCE.md). A season without a file or without any closing
 * odds gets no row; a shipped match its season's file lacks, or a record the parser refuses, stops the script
 * naming it.
 */
import fs from "node:fs";
import path from "node:path";
import { storedClosingLine } from "../service/src/backtest/closingLine";
import { CLOSING_LINE_CSV_PATH, type ShippedClosingLine, formatShippedClosingLine } from "../service/src/data/closingLine";
import { type HistoricalMatch, SHIPPED_LEAGUES, loadHistoricalResults } from "../service/src/data/historicalResults";
import { type ClosingOdds, closingLineProbabilities } from "../service/src/domain/closingOdds";
import { outcomeOf } from "../service/src/domain/metrics";
import { teamNameKey } from "../service/src/domain/teamNames";
import { parseFootballDataCsv } from "../service/src/importer/sources/footballDataCsv";

const matchKey = (date: string, home: string, away: string) => `${date}:${teamNameKey(home)}:${teamNameKey(away)}`;

/** A season file's closing odds by date and pairing; undefined when the season has no file. */
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
  return new Map(parsed.rows.map((row) => [matchKey(row.date, row.homeName, row.awayName), row.closingOdds]));
}

/** The closing line's figures of one league and season of the shipped results; undefined without odds. */
function seasonFigures(dir: string, matches: readonly HistoricalMatch[]): ShippedClosingLine | undefined {
  const { league, season } = matches[0];
  const odds = seasonOdds(dir, league, season);
  if (odds === undefined) return undefined;
  const priced = matches.map((match) => {
    const key = matchKey(match.date, match.homeTeam, match.awayTeam);
    if (!odds.has(key)) throw new Error(`${league}-${season}.csv has no ${match.homeTeam} v ${match.awayTeam} on ${match.date}`);
    return { odds: odds.get(key) ?? null, outcome: outcomeOf(match) };
  });
  const scores = storedClosingLine(
    priced.map(({ odds, outcome }) => ({ closingOdds: odds === null ? null : closingLineProbabilities(odds), outcome })),
  );
  if (scores === null) return undefined;
  const sources = [...new Set(priced.flatMap(({ odds }) => (odds === null ? [] : [odds.source])))].sort().reverse();
  return {
    league,
    season,
    matchesPriced: scores.matches,
    matches: matches.length,
    rps: scores.rps,
    logLoss: scores.logLoss,
    method: "proportional",
    source: sources.join("+"),
  };
}

function main(dir: string): void {
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${dir} is not a directory`);
  const bySeason = new Map<string, HistoricalMatch[]>();
  for (const match of loadHistoricalResults()) {
    const key = `${match.league} ${match.season}`;
    bySeason.set(key, [...(bySeason.get(key) ?? []), match]);
  }
  const figures = [...bySeason.values()].flatMap((matches) => seasonFigures(dir, matches) ?? []);
  fs.writeFileSync(CLOSING_LINE_CSV_PATH, formatShippedClosingLine(figures));
  for (const row of figures) {
    console.log(`${row.league} ${row.season}: ${row.matchesPriced} of ${row.matches} priced (${row.source}), RPS ${row.rps.toFixed(4)}`);
  }
  console.log(`wrote ${path.relative(process.cwd(), CLOSING_LINE_CSV_PATH)} (${figures.length} seasons)`);
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
