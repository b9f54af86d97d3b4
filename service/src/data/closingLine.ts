import { readFileSync } from "node:fs";
import path from "node:path";
import { isSeason, parseShippedCsv } from "./historicalResults";

/**
 * The bookmakers' closing line as shipped: per league and season, only the benchmark figures derived from
 * football-data.co.uk's closing odds (how many matches were priced and how the line scored), never the prices
 * themselves, whose redistribution terms are unclear. `npm run data:closing-odds -- <dir>` writes the file.
 */
export interface ShippedClosingLine {
  league: string;
  season: string;
  /** Matches of the season with closing odds: the ones the figures are over. */
  matchesPriced: number;
  /** Matches of the season in the shipped results. */
  matches: number;
  /** Mean ranked probability score of the closing line over the priced matches. */
  rps: number;
  logLoss: number;
  /** How the odds became probabilities: `proportional` (1/odds divided by their sum, removing the margin). */
  method: "proportional";
  /** Whose prices: Pinnacle's closing odds, the market average's, or both (`+`) where Pinnacle's stop midway. */
  source: string;
}

/** Resolved from this module so it holds both under ts-node (src/data) and after tsc (dist/data). */
export const CLOSING_LINE_CSV_PATH = path.join(__dirname, "../../data/closing-line.csv");

export const CLOSING_LINE_COLUMNS = [
  "league",
  "season",
  "matches_priced",
  "matches",
  "rps",
  "log_loss",
  "method",
  "source",
] as const;

const SOURCE = /^(pinnacle-closing|market-average-closing)(\+(pinnacle-closing|market-average-closing))?$/;

/** Reads and validates the shipped figures. */
export function loadShippedClosingLine(filePath: string = CLOSING_LINE_CSV_PATH): ShippedClosingLine[] {
  return parseShippedClosingLine(readFileSync(filePath, "utf8"), path.basename(filePath));
}

/** Parses the figures' CSV text; throws naming `source` and the line of the first bad row. */
export function parseShippedClosingLine(csvText: string, source = "closing-line.csv"): ShippedClosingLine[] {
  const seen = new Set<string>();
  return parseShippedCsv(csvText, source, CLOSING_LINE_COLUMNS).map(({ row, line }) => {
    const fail = (problem: string): never => {
      throw new Error(`${source} line ${line}: ${problem}`);
    };
    if (!/^[A-Z][A-Z0-9]{0,9}$/.test(row.league)) fail(`league "${row.league}" is not a league code like E0`);
    if (!isSeason(row.season)) fail(`season "${row.season}" is not of the form 2014-2015`);
    const key = `${row.league} ${row.season}`;
    if (seen.has(key)) fail(`${key} appears twice`);
    seen.add(key);
    const count = (column: "matches_priced" | "matches"): number =>
      /^\d{1,4}$/.test(row[column]) ? Number(row[column]) : fail(`${column} "${row[column]}" is not a whole number`);
    const score = (column: "rps" | "log_loss"): number => {
      const value = /^\d+\.\d+$/.test(row[column]) ? Number(row[column]) : Number.NaN;
      return value > 0 && value < 10 ? value : fail(`${column} "${row[column]}" is not a positive score`);
    };
    const figures = {
      league: row.league,
      season: row.season,
      matchesPriced: count("matches_priced"),
      matches: count("matches"),
      rps: score("rps"),
      logLoss: score("log_loss"),
      method: row.method === "proportional" ? ("proportional" as const) : fail(`method "${row.method}" is not proportional`),
      source: SOURCE.test(row.source)
        ? row.source
        : fail(`source "${row.source}" is not pinnacle-closing, market-average-closing or both joined by +`),
    };
    if (figures.matchesPriced === 0 || figures.matchesPriced > figures.matches) {
      fail(`matches_priced ${figures.matchesPriced} is not between 1 and matches ${figures.matches}`);
    }
    return figures;
  });
}

/** The figures as the committed CSV text (the inverse of parseShippedClosingLine). */
export function formatShippedClosingLine(figures: readonly ShippedClosingLine[]): string {
  const lines = figures.map((f) =>
    [f.league, f.season, f.matchesPriced, f.matches, f.rps.toFixed(6), f.logLoss.toFixed(6), f.method, f.source].join(","),
  );
  return `${[CLOSING_LINE_COLUMNS.join(","), ...lines].join("\n")}\n`;
}
