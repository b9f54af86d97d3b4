import { parse } from "csv-parse/sync";
import { teamNameKey } from "../../domain/teamNames";
import type { ClosingOdds, ClosingOddsSource } from "../../domain/closingOdds";
import type { SideCounts } from "../../domain/types";
import { isCalendarDate, localKickoff } from "../seasons";
import { type Feed, FeedError, type ParsedFeed, type RecordProblem, type SourceRow } from "../types";
import { readRecords } from "./matchList";

/**
 * football-data.co.uk's season files (`/mmz4281/2627/E0.csv`): one row per match with `Div`, `Date`, optional `Time`
 * (UK time, whatever the league's country), `HomeTeam`, `AwayTeam`, `FTHG`, `FTAG`, the shots `HS`/`AS` and shots on
 * target `HST`/`AST` and the closing odds (Pinnacle's `PSCH`/`PSCD`/`PSCA`, else the market average `AvgCH`/`AvgCD`/
 * `AvgCA`) where the file has them, and dozens of other statistics and odds columns that are ignored.
 * Dates are day-first, `dd/mm/yy` or `dd/mm/yyyy` depending on the season; recent files are CRLF with a byte-order
 * mark; counts may be written as `2.0` (the pandas-processed files). A row without goals is a fixture without a
 * result; a pair of shot columns left empty is a match whose shots are not known (yet), and so is a triple of closing
 * odds (a fixture's odds close at kick-off; older seasons have none).
 */
export function parseFootballDataCsv(text: string, feed: Feed): ParsedFeed {
  let records: Array<{ record: Record<string, string>; line: number }>;
  try {
    records = parse<{ record: Record<string, string>; line: number }, Record<string, string>>(text, {
      bom: true,
      columns: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      on_record: (record, context) => ({ record, line: context.lines }),
    });
  } catch (error) {
    throw new FeedError(`not a CSV file: ${(error as Error).message}`);
  }
  const columns = Object.keys(records[0]?.record ?? {});
  const missing = ["Date", "HomeTeam", "AwayTeam", "FTHG", "FTAG"].filter((column) => !columns.includes(column));
  if (records.length > 0 && missing.length > 0) {
    throw new FeedError(`not a football-data.co.uk season file: no ${missing.join(", ")} column`);
  }
  for (const [home, away] of Object.values(STAT_COLUMNS)) {
    if (columns.includes(home) !== columns.includes(away)) {
      const [has, lacks] = columns.includes(home) ? [home, away] : [away, home];
      throw new FeedError(`not a football-data.co.uk season file: a ${has} column but no ${lacks} column`);
    }
  }
  for (const triple of Object.values(CLOSING_ODDS_COLUMNS)) {
    const present = triple.filter((column) => columns.includes(column));
    if (present.length > 0 && present.length < triple.length) {
      const lacking = triple.filter((column) => !columns.includes(column));
      throw new FeedError(`not a football-data.co.uk season file: a ${present[0]} column but no ${lacking.join(", ")} column`);
    }
  }
  // The pandas-processed files end with a row of empty fields.
  const filled = records.filter(({ record }) => Object.values(record).some((value) => value !== ""));
  return readRecords(filled, ({ record, line }) => toRow(record, line, feed));
}

const CSV_TIME_ZONE = "Europe/London";

/** `dd/mm/yy` (20xx) or `dd/mm/yyyy`, as yyyy-mm-dd; undefined when it is neither. */
function isoDate(text: string): string | undefined {
  const match = /^(\d{2})\/(\d{2})\/(\d{2}|\d{4})$/.exec(text);
  if (match === null) return undefined;
  const year = match[3].length === 2 ? `20${match[3]}` : match[3];
  const date = `${year}-${match[2]}-${match[1]}`;
  return isCalendarDate(date) ? date : undefined;
}

/** Goals and shots as whole numbers from 0 to 99; `2.0` is how pandas wrote them in some seasons. */
function count(text: string): number | undefined {
  return /^\d{1,2}(\.0+)?$/.test(text) ? Number(text) : undefined;
}

/** The home and away columns of each statistic the importer stores. */
const STAT_COLUMNS = { shots: ["HS", "AS"], shotsOnTarget: ["HST", "AST"] } as const;

/** A statistic's pair: null when both cells are empty or the file has no such columns, else both counts or what is wrong. */
function sidePair(record: Record<string, string>, [home, away]: readonly [string, string]): SideCounts | null | string {
  const [homeText, awayText] = [record[home] ?? "", record[away] ?? ""];
  if (homeText === "" && awayText === "") return null;
  if (homeText === "" || awayText === "") {
    const [filled, empty] = homeText === "" ? [away, home] : [home, away];
    return `${filled} "${record[filled]}" but ${empty} is empty: a pair is given for both sides or neither`;
  }
  const homeCount = count(homeText);
  const awayCount = count(awayText);
  if (homeCount === undefined) return `${home} "${homeText}" is not a whole number from 0 to 99`;
  if (awayCount === undefined) return `${away} "${awayText}" is not a whole number from 0 to 99`;
  return { home: homeCount, away: awayCount };
}

/** The closing odds columns (home, draw, away) by preference: Pinnacle's, then the market average. */
const CLOSING_ODDS_COLUMNS: Readonly<Record<ClosingOddsSource, readonly [string, string, string]>> = {
  "pinnacle-closing": ["PSCH", "PSCD", "PSCA"],
  "market-average-closing": ["AvgCH", "AvgCD", "AvgCA"],
};

/**
 * The row's closing odds: Pinnacle's triple when it is filled, else the market average's, else null. A triple with
 * some cells empty, or a cell that is not a decimal number, is what is wrong with the row (whether the prices are
 * odds above 1 is the gate's to judge, as for every source).
 */
function closingOdds(record: Record<string, string>): ClosingOdds | null | string {
  for (const [source, columns] of Object.entries(CLOSING_ODDS_COLUMNS) as Array<[ClosingOddsSource, readonly string[]]>) {
    const texts = columns.map((column) => record[column] ?? "");
    if (texts.every((text) => text === "")) continue;
    const empty = columns.filter((_, i) => texts[i] === "");
    if (empty.length > 0) {
      const filled = columns.filter((_, i) => texts[i] !== "");
      return `${filled.join(", ")} filled but ${empty.join(", ")} empty: closing odds are given for all three outcomes or none`;
    }
    const bad = columns.findIndex((_, i) => !/^\d+(\.\d+)?$/.test(texts[i]));
    if (bad >= 0) return `${columns[bad]} "${texts[bad]}" is not decimal odds`;
    const [home, draw, away] = texts.map(Number);
    return { home, draw, away, source };
  }
  return null;
}

function toRow(record: Record<string, string>, line: number, feed: Feed): SourceRow | RecordProblem {
  const home = record.HomeTeam ?? "";
  const away = record.AwayTeam ?? "";
  const recordKey = home && away ? `${feed.season}:${teamNameKey(home)}:${teamNameKey(away)}` : `${feed.season}:line ${line}`;
  const problem = (code: RecordProblem["code"], reason: string): RecordProblem => ({
    recordKey,
    code,
    reason: `line ${line}: ${reason}`,
    raw: record,
  });
  if (home === "" || away === "") return problem("schema", "HomeTeam and AwayTeam must be names");
  const date = isoDate(record.Date ?? "");
  if (date === undefined) return problem("invalid_date", `Date "${record.Date}" is not dd/mm/yy or dd/mm/yyyy`);
  const time = record.Time ?? "";
  if (time !== "" && !/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) return problem("schema", `Time "${time}" is not hh:mm`);
  const shots = sidePair(record, STAT_COLUMNS.shots);
  if (typeof shots === "string") return problem("invalid_shots", shots);
  const shotsOnTarget = sidePair(record, STAT_COLUMNS.shotsOnTarget);
  if (typeof shotsOnTarget === "string") return problem("invalid_shots", shotsOnTarget);
  const odds = closingOdds(record);
  if (typeof odds === "string") return problem("invalid_odds", odds);
  const base = {
    recordKey,
    sourceId: null,
    date,
    kickoff: time === "" ? null : localKickoff(date, time, CSV_TIME_ZONE),
    matchday: null,
    homeName: home,
    awayName: away,
    awarded: false,
    shots,
    shotsOnTarget,
    closingOdds: odds,
    raw: record,
  };
  if ((record.FTHG ?? "") === "" && (record.FTAG ?? "") === "") return { ...base, status: "scheduled", score: null };
  const homeGoals = count(record.FTHG ?? "");
  const awayGoals = count(record.FTAG ?? "");
  if (homeGoals === undefined || awayGoals === undefined) {
    return problem("invalid_score", `FTHG "${record.FTHG}" and FTAG "${record.FTAG}" are not whole numbers of goals`);
  }
  return { ...base, status: "played", score: { home: homeGoals, away: awayGoals } };
}
