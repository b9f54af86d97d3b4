import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadShippedClosingLine, type ShippedClosingLine } from "../data/closingLine";
import { loadHistoricalResults, type HistoricalMatch } from "../data/historicalResults";
import type { DixonColesTuning } from "../domain/dixonColes";
import type { RatingsTuning } from "../domain/ratings";
import { displayPath, resolveFromInvocation } from "../paths";
import { calibrationSvg } from "./calibration";
import { formatReport, runBacktest } from "./report";
import { MODELS, type ModelKey, type WalkForwardOptions } from "./walkForward";

export interface CliOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

const consoleOutput: CliOutput = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

export const USAGE = `Usage: backtest [--league E0] [--from 2014-2015] [--to 2024-2025] [--json] [--svg-dir <dir>]
         [--xi <per day>] [--league-xi <per day>] [--prior-strength <matches>]
         [--arrival-prior-strength <matches>] [--newcomer-attack=<log rate>] [--newcomer-defence=<log rate>]
         [--shots-xi <per day>] [--shots-prior-strength <matches>]
Compares Dixon-Coles on goals with the model that blends in shots, beside the naive baseline and the bookmakers'
closing line (the shipped results carry no odds: its figures come from service/data/closing-line.csv, written by
npm run data:closing-odds). Defaults: league E0, from the league's
second season to its last, calibration plots calibration-<league>-goals.svg and calibration-<league>-shots.svg
in service/out/backtest, and the tuned model defaults. A relative --svg-dir is relative to where you run the
command. Negative values need the --option=value form.`;

/** service/out/backtest, from src/backtest under ts-node and from dist/backtest after tsc alike. */
const DEFAULT_SVG_DIR = path.join(__dirname, "..", "..", "out", "backtest");

/** A command-line mistake: reported with the usage and exit code 2. */
class UsageError extends Error {}

interface BacktestCommand {
  help: boolean;
  options: WalkForwardOptions;
  json: boolean;
  /** Absolute; the plots are printed relative to where the command ran. */
  svgDir: string;
}

/**
 * The `backtest` command. Returns the exit code: 0 on success, 2 for a bad argument (the message names it),
 * 1 if the backtest itself fails.
 */
export async function runBacktestCli(argv: string[], output: CliOutput = consoleOutput): Promise<number> {
  let matches: HistoricalMatch[];
  let shipped: ShippedClosingLine[];
  let command: BacktestCommand;
  try {
    matches = loadHistoricalResults();
    shipped = loadShippedClosingLine();
    command = parseCommand(argv, matches);
  } catch (error) {
    output.err(`backtest: ${(error as Error).message}`);
    if (!(error instanceof UsageError)) return 1;
    output.err(USAGE);
    return 2;
  }
  if (command.help) {
    output.out(USAGE);
    return 0;
  }
  try {
    const report = runBacktest(matches, command.options, shipped);
    const { league, fromSeason, toSeason } = command.options;
    mkdirSync(command.svgDir, { recursive: true });
    const plots = {} as Record<ModelKey, string>;
    for (const model of MODELS) {
      const file = path.join(command.svgDir, `calibration-${league}-${model}.svg`);
      const title =
        `${report.models[model]}, ${league} ${fromSeason} to ${toSeason}: ` +
        `calibration of ${report.pooled[model].matches} forecasts`;
      writeFileSync(file, calibrationSvg(report.calibration[model], title));
      plots[model] = displayPath(file);
    }
    if (command.json) output.out(JSON.stringify({ ...report, calibrationSvg: plots }, null, 2));
    else output.out(`${formatReport(report)}\n\nCalibration plots: ${plots.goals}, ${plots.shots}`);
    return 0;
  } catch (error) {
    output.err(`backtest: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

function parseCommand(argv: string[], matches: readonly HistoricalMatch[]): BacktestCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean", short: "h" },
        league: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        json: { type: "boolean" },
        "svg-dir": { type: "string" },
        xi: { type: "string" },
        "league-xi": { type: "string" },
        "prior-strength": { type: "string" },
        "arrival-prior-strength": { type: "string" },
        "newcomer-attack": { type: "string" },
        "newcomer-defence": { type: "string" },
        "shots-xi": { type: "string" },
        "shots-prior-strength": { type: "string" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

  const league = values.league ?? "E0";
  const seasons = [...new Set(matches.filter((match) => match.league === league).map((match) => match.season))].sort();
  if (seasons.length === 0) {
    const known = [...new Set(matches.map((match) => match.league))].join(", ");
    throw new UsageError(`--league ${league}: no such league in the data (known: ${known})`);
  }
  const fromSeason = values.from ?? seasons[Math.min(1, seasons.length - 1)];
  const toSeason = values.to ?? seasons[seasons.length - 1];
  checkSeason("--from", fromSeason, league, seasons);
  checkSeason("--to", toSeason, league, seasons);
  if (fromSeason === seasons[0]) {
    throw new UsageError(
      `--from ${fromSeason}: the ${league} data starts that season, so no earlier result exists to fit on; ` +
        `use ${seasons[1] ?? "a later season"} or later`,
    );
  }
  if (toSeason < fromSeason) throw new UsageError(`--to ${toSeason} is before --from ${fromSeason}`);

  const tuning: Partial<DixonColesTuning> = {
    xi: optionalNumber("--xi", values.xi, (value) => value >= 0),
    leagueXi: optionalNumber("--league-xi", values["league-xi"], (value) => value >= 0),
    priorStrength: optionalNumber("--prior-strength", values["prior-strength"], (value) => value > 0),
    arrivalPriorStrength: optionalNumber("--arrival-prior-strength", values["arrival-prior-strength"], (value) => value >= 0),
    newcomerAttack: optionalNumber("--newcomer-attack", values["newcomer-attack"], Number.isFinite),
    newcomerDefence: optionalNumber("--newcomer-defence", values["newcomer-defence"], Number.isFinite),
  };
  const shotsTuning: Partial<RatingsTuning> = {
    xi: optionalNumber("--shots-xi", values["shots-xi"], (value) => value >= 0),
    priorStrength: optionalNumber("--shots-prior-strength", values["shots-prior-strength"], (value) => value > 0),
  };
  return {
    help: values.help ?? false,
    options: { league, fromSeason, toSeason, tuning, shotsTuning },
    json: values.json ?? false,
    svgDir: values["svg-dir"] === undefined ? DEFAULT_SVG_DIR : resolveFromInvocation(values["svg-dir"]),
  };
}

function checkSeason(flag: string, season: string, league: string, seasons: readonly string[]): void {
  if (!/^\d{4}-\d{4}$/.test(season)) throw new UsageError(`${flag} ${season}: expected a season like 2014-2015`);
  if (!seasons.includes(season)) {
    throw new UsageError(
      `${flag} ${season}: no ${league} data for that season (have ${seasons[0]} to ${seasons[seasons.length - 1]})`,
    );
  }
}

function optionalNumber(flag: string, text: string | undefined, valid: (value: number) => boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || !valid(value)) {
    throw new UsageError(`${flag} ${text}: not a valid number for this option`);
  }
  return value;
}
