import type { HistoricalMatch } from "../data/historicalResults";
import { closingLineProbabilities } from "../domain/closingOdds";
import { goalsOnly, predictMatch, type DixonColesTuning } from "../domain/dixonColes";
import { naiveBaseline, outcomeOf, type Outcome, type OutcomeProbabilities } from "../domain/metrics";
import type { RatingsTuning } from "../domain/ratings";
import { fitShotsModel } from "../domain/shotsModel";
import type { DixonColesParameters } from "../domain/types";

export interface WalkForwardOptions {
  league: string;
  /** First and last season predicted, inclusive, as `yyyy-yyyy`. */
  fromSeason: string;
  toSeason: string;
  /** Overrides of the goals model's tuning (used by both models). */
  tuning?: Partial<DixonColesTuning>;
  /** Overrides of the shot models' tuning. */
  shotsTuning?: Partial<RatingsTuning>;
}

/** The two models compared: Dixon-Coles on goals alone, and blended with the shot models. */
export const MODELS = ["goals", "shots"] as const;
export type ModelKey = (typeof MODELS)[number];

export interface BacktestForecast extends Record<ModelKey, OutcomeProbabilities> {
  season: string;
  date: string;
  homeTeam: string;
  awayTeam: string;
  outcome: Outcome;
  baseline: OutcomeProbabilities;
  /** The bookmakers' closing line (margin removed), where the match has closing odds. */
  closingOdds: OutcomeProbabilities | null;
}

export interface WalkForwardResult {
  forecasts: BacktestForecast[];
  refits: number;
  /** Total time spent fitting. */
  fitMs: number;
}

/** Seasons of the naive baseline: the league's previous five, or as many as the data has. */
export const BASELINE_SEASONS = 5;

/**
 * Predicts every match of the league's seasons `fromSeason`..`toSeason` from models refitted before each
 * match day on all of the league's earlier results (every season back to the start of the data), with the
 * time decay measured from that day. One fit serves both models: the shot-blended model keeps the goals
 * model it blends, and that is exactly the Dixon-Coles fit of the same matches. Each fit is warm-started from
 * the previous one, which is what keeps a daily refit affordable. Throws if a predicted match has no earlier
 * result of the league to learn from.
 */
export function walkForward(allMatches: readonly HistoricalMatch[], options: WalkForwardOptions): WalkForwardResult {
  const matches = allMatches.filter((match) => match.league === options.league).sort(byDate);
  const baselines = baselinesBySeason(matches);
  const forecasts: BacktestForecast[] = [];
  let params: Record<ModelKey, DixonColesParameters> | undefined;
  let fittedFor = "";
  let refits = 0;
  let fitMs = 0;

  let firstOfDay = 0;
  for (let k = 0; k < matches.length; k++) {
    const match = matches[k];
    if (match.date !== matches[firstOfDay].date) firstOfDay = k;
    if (match.season < options.fromSeason || match.season > options.toSeason) continue;
    if (fittedFor !== match.date) {
      if (firstOfDay === 0) throw new Error(`no ${options.league} result before ${match.date} to fit on`);
      const fit = fitShotsModel(
        options.league,
        matches.slice(0, firstOfDay),
        { asOf: match.date, goals: options.tuning, shots: options.shotsTuning },
        params?.shots,
      );
      params = { goals: goalsOnly(fit.parameters), shots: fit.parameters };
      fittedFor = match.date;
      refits++;
      fitMs += fit.metrics.durationMs;
    }
    const fitted = params as Record<ModelKey, DixonColesParameters>;
    const forecast = (model: ModelKey): OutcomeProbabilities => {
      const { homeWin, draw, awayWin } = predictMatch(fitted[model], match.homeTeam, match.awayTeam);
      return { homeWin, draw, awayWin };
    };
    forecasts.push({
      season: match.season,
      date: match.date,
      homeTeam: match.homeTeam,
      awayTeam: match.awayTeam,
      outcome: outcomeOf(match),
      goals: forecast("goals"),
      shots: forecast("shots"),
      baseline: baselines.get(match.season) as OutcomeProbabilities,
      closingOdds: match.closingOdds ? closingLineProbabilities(match.closingOdds) : null,
    });
  }
  return { forecasts, refits, fitMs };
}

function byDate(a: HistoricalMatch, b: HistoricalMatch): number {
  return a.date < b.date ? -1 : a.date > b.date ? 1 : 0;
}

/** The naive forecast of each season, from the BASELINE_SEASONS seasons before it (uniform for the first). */
function baselinesBySeason(matches: readonly HistoricalMatch[]): Map<string, OutcomeProbabilities> {
  const seasons = [...new Set(matches.map((match) => match.season))].sort();
  const baselines = new Map<string, OutcomeProbabilities>();
  seasons.forEach((season, i) => {
    const previous = new Set(seasons.slice(Math.max(0, i - BASELINE_SEASONS), i));
    baselines.set(season, naiveBaseline(matches.filter((match) => previous.has(match.season))));
  });
  return baselines;
}
