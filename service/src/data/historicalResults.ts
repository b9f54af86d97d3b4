import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import type { ClosingOdds } from "../domain/closingOdds";
import type { MatchResult, SideCounts } from "../domain/types";

/**
 * One result (with shots where the source has them): a model input plus its league and season, and, where a
 * deployment stored them (its own import of football-data.co.uk files), the bookmakers' closing odds the backtest
 * measures the model against. The shipped file carries no odds.
 */
export interface HistoricalMatch extends MatchResult {
  /** football-data.co.uk league code, e.g. `E0`. */
  league: string;
  /** Season as `yyyy-yyyy`, e.g. `2014-2015`. */
  season: string;
  /** Stored closing odds, where the database has them; never set from the shipped file. */
  closingOdds?: ClosingOdds | null;
}

export interface LeagueInfo {
  code: string;
  name: string;
  country: string;
  /** Clubs in a season: the importer's season-shape check. */
  teams: number;
  /** Where kick-off times without a zone (openfootball, football-data.co.uk) are local, and dates are reckoned. */
  timeZone: string;
}

export const SHIPPED_LEAGUES: readonly LeagueInfo[] = Object.freeze([
  { code: "E0", name: "Premier League", country: "England", teams: 20, timeZone: "Europe/London" },
  { code: "D1", name: "Bundesliga", country: "Germany", teams: 18, timeZone: "Europe/Berlin" },
  { code: "SP1", name: "La Liga", country: "Spain", teams: 20, timeZone: "Europe/Madrid" },
]);

/** Resolved from this module so it holds both under ts-node (src/data) and after tsc (dist/data). */
export const MATCHES_CSV_PATH = path.join(__dirname, "../../data/matches.csv");

const COLUMNS = [
  "league",
  "season",
  "date",
  "home_team",
  "away_team",
  "home_goals",
  "away_goals",
  "home_shots",
  "away_shots",
  "home_shots_on_target",
  "away_shots_on_target",
] as const;
type CsvRow = Record<(typeof COLUMNS)[number], string>;

/** Reads and validates the shipped results, in file order (league, then date). */
export function loadHistoricalResults(filePath: string = MATCHES_CSV_PATH): HistoricalMatch[] {
  return parseHistoricalResults(readFileSync(filePath, "utf8"), path.basename(filePath));
}

/**
 * Parses results CSV text. Throws an Error naming `source` and the line of the first bad row, because a
 * silently skipped or mistyped result would skew every model fitted afterwards.
 */
export function parseHistoricalResults(csvText: string, source = "matches.csv"): HistoricalMatch[] {
  return parseShippedCsv(csvText, source, COLUMNS).map(({ row, line }) => toHistoricalMatch(row, `${source} line ${line}`));
}

/**
 * The rows of a shipped CSV file with exactly `columns` as its header, each with its line number. Throws naming
 * `source` (and the line, where the parser knows it) for a wrong header or a malformed row.
 */
export function parseShippedCsv<Column extends string>(
  csvText: string,
  source: string,
  columns: readonly Column[],
): Array<{ row: Record<Column, string>; line: number }> {
  type Row = Record<string, string>;
  try {
    // The header is checked to be exactly `columns`, so every row has those keys.
    return parse<{ row: Row; line: number }, Row>(csvText, {
      columns: (header: string[]) => {
        const expected = columns.join(",");
        if (header.join(",") !== expected) {
          throw new Error(`${source} line 1: expected header "${expected}", got "${header.join(",")}"`);
        }
        return header;
      },
      skip_empty_lines: true,
      trim: true,
      on_record: (row, context) => ({ row, line: context.lines }),
    }) as Array<{ row: Record<Column, string>; line: number }>;
  } catch (error) {
    const message = (error as Error).message;
    if (message.startsWith(source)) throw error;
    throw new Error(`${source}: ${message}`, { cause: error });
  }
}

function toHistoricalMatch(row: CsvRow, where: string): HistoricalMatch {
  const fail = (problem: string): never => {
    throw new Error(`${where}: ${problem}`);
  };
  if (!/^[A-Z][A-Z0-9]{0,9}$/.test(row.league)) fail(`league "${row.league}" is not a league code like E0`);
  if (!isSeason(row.season)) fail(`season "${row.season}" is not of the form 2014-2015`);
  if (!isIsoDate(row.date)) fail(`date "${row.date}" is not a calendar date yyyy-mm-dd`);
  if (row.home_team === "") fail("home_team is empty");
  if (row.away_team === "") fail("away_team is empty");
  if (row.home_team === row.away_team) fail(`home_team and away_team are both "${row.home_team}"`);
  return {
    league: row.league,
    season: row.season,
    date: row.date,
    homeTeam: row.home_team,
    awayTeam: row.away_team,
    homeGoals: parseCount(row.home_goals) ?? fail(`home_goals "${row.home_goals}" is not a whole number`),
    awayGoals: parseCount(row.away_goals) ?? fail(`away_goals "${row.away_goals}" is not a whole number`),
    shots: sidePair(row, "home_shots", "away_shots", fail),
    shotsOnTarget: sidePair(row, "home_shots_on_target", "away_shots_on_target", fail),
  };
}

/** A count per side that the source may not have: both cells empty is null, one of them empty an error. */
function sidePair(row: CsvRow, home: keyof CsvRow, away: keyof CsvRow, fail: (problem: string) => never): SideCounts | null {
  if (row[home] === "" && row[away] === "") return null;
  const count = (column: keyof CsvRow): number =>
    parseCount(row[column]) ??
    fail(`${column} "${row[column]}" is not a whole number (leave both ${home} and ${away} empty when unknown)`);
  return { home: count(home), away: count(away) };
}

/** `2014-2015`: two consecutive years. */
export function isSeason(value: string): boolean {
  const match = /^(\d{4})-(\d{4})$/.exec(value);
  return match !== null && Number(match[2]) === Number(match[1]) + 1;
}

function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}

function parseCount(value: string): number | undefined {
  return /^\d{1,2}$/.test(value) ? Number(value) : undefined;
}
