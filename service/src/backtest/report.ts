import type { HistoricalMatch } from "../data/historicalResults";
import { resolveTuning, type DixonColesTuning } from "../domain/dixonColes";
import { meanScores, type ForecastScores } from "../domain/metrics";
import { calibrationBins, type CalibrationBin } from "./calibration";
import {
  BASELINE_SEASONS,
  walkForward,
  type BacktestForecast,
  type WalkForwardOptions,
  type WalkForwardResult,
} from "./walkForward";

export interface ModelVsBaseline {
  model: ForecastScores;
  /** Previous seasons' home/draw/away frequencies of the same league. */
  baseline: ForecastScores;
}

export interface SeasonScores extends ModelVsBaseline {
  season: string;
}

export interface BacktestReport {
  league: string;
  fromSeason: string;
  toSeason: string;
  tuning: DixonColesTuning;
  baselineSeasons: number;
  refits: number;
  fitMs: number;
  wallMs: number;
  seasons: SeasonScores[];
  pooled: ModelVsBaseline;
  /** Model calibration over all predicted matches. */
  calibration: CalibrationBin[];
}

export function runBacktest(matches: readonly HistoricalMatch[], options: WalkForwardOptions): BacktestReport {
  const started = performance.now();
  const result = walkForward(matches, options);
  return summariseBacktest(options, result, performance.now() - started);
}

/** Scores a finished walk-forward run per season and pooled, with the model's calibration. */
export function summariseBacktest(options: WalkForwardOptions, result: WalkForwardResult, wallMs: number): BacktestReport {
  const { forecasts, refits, fitMs } = result;
  const seasons = [...new Set(forecasts.map((forecast) => forecast.season))].map((season) => ({
    season,
    ...score(forecasts.filter((forecast) => forecast.season === season)),
  }));
  return {
    league: options.league,
    fromSeason: options.fromSeason,
    toSeason: options.toSeason,
    tuning: resolveTuning(options.tuning ?? {}),
    baselineSeasons: BASELINE_SEASONS,
    refits,
    fitMs,
    wallMs,
    seasons,
    pooled: score(forecasts),
    calibration: calibrationBins(forecasts.map(({ model, outcome }) => ({ forecast: model, outcome }))),
  };
}

function score(forecasts: readonly BacktestForecast[]): ModelVsBaseline {
  return {
    model: meanScores(forecasts.map(({ model, outcome }) => ({ forecast: model, outcome }))),
    baseline: meanScores(forecasts.map(({ baseline, outcome }) => ({ forecast: baseline, outcome }))),
  };
}

/** The report as a fixed-width table: one row per season, then the pooled row. */
export function formatReport(report: BacktestReport): string {
  const header = ["season", "matches", "RPS", "naive RPS", "log-loss", "naive LL", "Brier", "naive Brier"];
  const rows = [...report.seasons, { season: "pooled", ...report.pooled }].map(({ season, model, baseline }) => [
    season,
    String(model.matches),
    model.rps.toFixed(4),
    baseline.rps.toFixed(4),
    model.logLoss.toFixed(4),
    baseline.logLoss.toFixed(4),
    model.brier.toFixed(4),
    baseline.brier.toFixed(4),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  ");
  const { tuning } = report;
  return [
    `Walk-forward backtest of ${report.league} ${report.fromSeason} to ${report.toSeason}: Dixon-Coles refitted ` +
      `before each match day on all earlier ${report.league} results (${report.refits} fits, ` +
      `${(report.fitMs / 1000).toFixed(1)} s fitting, ${(report.wallMs / 1000).toFixed(1)} s in all).`,
    `Tuning: xi ${tuning.xi}/day, league xi ${tuning.leagueXi}/day, prior strength ${tuning.priorStrength}, ` +
      `arrival prior strength ${tuning.arrivalPriorStrength}, newcomer attack ${tuning.newcomerAttack}, ` +
      `newcomer defence ${tuning.newcomerDefence}. Naive baseline: previous ${report.baselineSeasons} ` +
      `seasons' home/draw/away frequencies. Lower is better for every score.`,
    "",
    line(header),
    ...rows.slice(0, -1).map(line),
    widths.map((width) => "-".repeat(width)).join("  "),
    line(rows[rows.length - 1]),
  ].join("\n");
}
