import type { ShippedClosingLine } from "../data/closingLine";
import type { HistoricalMatch } from "../data/historicalResults";
import { DIXON_COLES } from "../domain/dixonColes";
import { meanScores, rankedProbabilityScore, type ForecastScores } from "../domain/metrics";
import { DIXON_COLES_SHOTS, resolveShotsTuning, type ShotsTuning } from "../domain/shotsModel";
import { calibrationBins, type CalibrationBin } from "./calibration";
import { type ClosingLineScores, pooledClosingLine, seasonClosingLine } from "./closingLine";
import {
  BASELINE_SEASONS,
  walkForward,
  type BacktestForecast,
  type ModelKey,
  type WalkForwardOptions,
  type WalkForwardResult,
} from "./walkForward";

/** The stored model name of each compared model. */
export const MODEL_NAMES: Readonly<Record<ModelKey, string>> = { goals: DIXON_COLES, shots: DIXON_COLES_SHOTS };

/** The new model's RPS minus the goals model's, match by match (negative: the new model is better). */
export interface PairedDifference {
  mean: number;
  /** Standard error of the mean paired difference. */
  standardError: number;
}

export interface ModelComparison extends Record<ModelKey, ForecastScores> {
  /** Previous seasons' home/draw/away frequencies of the same league. */
  baseline: ForecastScores;
  /**
   * The bookmakers' closing line (implied probabilities with the margin removed proportionally), over the matches
   * that have closing odds (`matches` says how many): from the stored odds where the matches carry them, else the
   * shipped figures (`origin` says which); null where neither has the season.
   */
  closingOdds: ClosingLineScores | null;
  rpsDifference: PairedDifference;
}

export interface SeasonScores extends ModelComparison {
  season: string;
}

export interface BacktestReport {
  league: string;
  fromSeason: string;
  toSeason: string;
  models: Readonly<Record<ModelKey, string>>;
  tuning: ShotsTuning;
  baselineSeasons: number;
  refits: number;
  fitMs: number;
  wallMs: number;
  seasons: SeasonScores[];
  pooled: ModelComparison;
  /** Seasons in which the shot-blended model has the lower RPS. */
  seasonsWon: number;
  /** Each model's calibration over all predicted matches. */
  calibration: Record<ModelKey, CalibrationBin[]>;
}

/** `shipped`: the closing line's derived figures, for the seasons whose matches carry no closing odds. */
export function runBacktest(
  matches: readonly HistoricalMatch[],
  options: WalkForwardOptions,
  shipped: readonly ShippedClosingLine[] = [],
): BacktestReport {
  const started = performance.now();
  const result = walkForward(matches, options);
  return summariseBacktest(options, result, performance.now() - started, shipped);
}

/** Scores a finished walk-forward run per season and pooled, with each model's calibration. */
export function summariseBacktest(
  options: WalkForwardOptions,
  result: WalkForwardResult,
  wallMs: number,
  shipped: readonly ShippedClosingLine[] = [],
): BacktestReport {
  const { forecasts, refits, fitMs } = result;
  const seasons = [...new Set(forecasts.map((forecast) => forecast.season))].map((season) => {
    const own = forecasts.filter((forecast) => forecast.season === season);
    return { season, ...compare(own), closingOdds: seasonClosingLine(options.league, season, own, shipped) };
  });
  return {
    league: options.league,
    fromSeason: options.fromSeason,
    toSeason: options.toSeason,
    models: MODEL_NAMES,
    tuning: resolveShotsTuning({ goals: options.tuning, shots: options.shotsTuning }),
    baselineSeasons: BASELINE_SEASONS,
    refits,
    fitMs,
    wallMs,
    seasons,
    pooled: { ...compare(forecasts), closingOdds: pooledClosingLine(seasons.map((season) => season.closingOdds)) },
    seasonsWon: seasons.filter((season) => season.shots.rps < season.goals.rps).length,
    calibration: {
      goals: calibrationBins(scored(forecasts, "goals")),
      shots: calibrationBins(scored(forecasts, "shots")),
    },
  };
}

const scored = (forecasts: readonly BacktestForecast[], model: ModelKey | "baseline") =>
  forecasts.map((forecast) => ({ forecast: forecast[model], outcome: forecast.outcome }));

function compare(forecasts: readonly BacktestForecast[]): Omit<ModelComparison, "closingOdds"> {
  const differences = forecasts.map(
    ({ goals, shots, outcome }) => rankedProbabilityScore(shots, outcome) - rankedProbabilityScore(goals, outcome),
  );
  return {
    goals: meanScores(scored(forecasts, "goals")),
    shots: meanScores(scored(forecasts, "shots")),
    baseline: meanScores(scored(forecasts, "baseline")),
    rpsDifference: meanWithError(differences),
  };
}

function meanWithError(values: readonly number[]): PairedDifference {
  const count = values.length;
  const mean = values.reduce((sum, value) => sum + value, 0) / count;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Math.max(1, count - 1);
  return { mean, standardError: Math.sqrt(variance / count) };
}

const COLUMNS = [
  "season",
  "matches",
  "RPS goals",
  "RPS +shots",
  "difference",
  "naive RPS",
  "closing RPS",
  "LL goals",
  "LL +shots",
  "naive LL",
  "closing LL",
  "Brier goals",
  "Brier +shots",
  "naive Brier",
];

/** The report as a fixed-width table: one row per season, then the pooled row and the paired comparison. */
export function formatReport(report: BacktestReport): string {
  const rows = [...report.seasons, { season: "pooled", ...report.pooled }].map((row) => [
    row.season,
    String(row.goals.matches),
    row.goals.rps.toFixed(4),
    row.shots.rps.toFixed(4),
    signed(row.rpsDifference.mean),
    row.baseline.rps.toFixed(4),
    closing(row, "rps"),
    row.goals.logLoss.toFixed(4),
    row.shots.logLoss.toFixed(4),
    row.baseline.logLoss.toFixed(4),
    closing(row, "logLoss"),
    row.goals.brier.toFixed(4),
    row.shots.brier.toFixed(4),
    row.baseline.brier.toFixed(4),
  ]);
  const widths = COLUMNS.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  ");
  const { tuning } = report;
  const { mean, standardError } = report.pooled.rpsDifference;
  const { goals, shots } = tuning;
  const { weights } = tuning;
  return [
    `Walk-forward backtest of ${report.league} ${report.fromSeason} to ${report.toSeason}: both models refitted ` +
      `before each match day on all earlier ${report.league} results (${report.refits} fits, ` +
      `${(report.fitMs / 1000).toFixed(1)} s fitting, ${(report.wallMs / 1000).toFixed(1)} s in all).`,
    `goals: ${report.models.goals}, Dixon-Coles on goals. xi ${goals.xi}/day, league xi ${goals.leagueXi}/day, ` +
      `prior strength ${goals.priorStrength}, arrival prior strength ${goals.arrivalPriorStrength}, newcomer ` +
      `attack ${goals.newcomerAttack}, newcomer defence ${goals.newcomerDefence}.`,
    `+shots: ${report.models.shots}, the goals model's ratings blended with ratings on shots on target and on ` +
      `all shots (xi ${shots.xi}/day, prior strength ${shots.priorStrength}, arrival prior strength ` +
      `${shots.arrivalPriorStrength}); attack and defence ${weights.goals} x goals + ${weights.shotsOnTarget} x ` +
      `on target + ${weights.shots} x shots.`,
    `Naive baseline: previous ${report.baselineSeasons} seasons' home/draw/away frequencies. Closing: the ` +
      "bookmakers' closing odds (Pinnacle's, else the market average's) as probabilities, 1/odds divided by their " +
      "sum to remove the margin; - where the data has no closing odds, * where only some matches have them (scored " +
      "over those). Lower is better for every score; difference is RPS +shots minus RPS goals.",
    closingOrigin(report),
    "",
    line(COLUMNS),
    ...rows.slice(0, -1).map(line),
    widths.map((width) => "-".repeat(width)).join("  "),
    line(rows[rows.length - 1]),
    "",
    `+shots has the lower RPS in ${report.seasonsWon} of ${report.seasons.length} seasons; pooled paired RPS ` +
      `difference ${signed(mean)} (standard error ${standardError.toFixed(4)}).`,
  ].join("\n");
}

/** A closing-line score for the table: marked when it covers only part of the row's matches. */
function closing(row: ModelComparison, score: "rps" | "logLoss"): string {
  if (row.closingOdds === null) return "-";
  const partial = row.closingOdds.matches < row.goals.matches ? "*" : "";
  return `${partial}${row.closingOdds[score].toFixed(4)}`;
}

/** Which seasons' closing line comes from odds stored with the matches and which from the shipped figures. */
function closingOrigin(report: BacktestReport): string {
  const seasons = (origin: "stored" | "shipped") =>
    report.seasons.filter((season) => season.closingOdds?.origin === origin).map((season) => season.season);
  const stored = seasons("stored");
  const shipped = seasons("shipped");
  const parts = [
    stored.length > 0 ? `from the closing odds stored with the matches in ${stored.join(", ")}` : "",
    shipped.length > 0 ? `from the shipped derived figures (service/data/closing-line.csv) in ${shipped.join(", ")}` : "",
  ].filter((part) => part !== "");
  return parts.length === 0 ? "Closing line: no closing odds for these seasons." : `Closing line: ${parts.join("; ")}.`;
}

const signed = (value: number): string => (value >= 0 ? "+" : "") + value.toFixed(4);

