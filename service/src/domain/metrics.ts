import type { MatchPrediction, MatchResult } from "./types";

/** A forecast of the three outcomes, ordered home win, draw, away win (the order RPS depends on). */
export type OutcomeProbabilities = Pick<MatchPrediction, "homeWin" | "draw" | "awayWin">;

export type Outcome = "home" | "draw" | "away";

export function outcomeOf(match: Pick<MatchResult, "homeGoals" | "awayGoals">): Outcome {
  if (match.homeGoals > match.awayGoals) return "home";
  return match.homeGoals === match.awayGoals ? "draw" : "away";
}

function indicators(outcome: Outcome): [number, number, number] {
  return [outcome === "home" ? 1 : 0, outcome === "draw" ? 1 : 0, outcome === "away" ? 1 : 0];
}

/**
 * Ranked probability score (Constantinou & Fenton 2012): the mean squared difference of the cumulative
 * forecast and cumulative outcome over the r - 1 = 2 thresholds, so a draw forecast counts as "closer"
 * to a home win than an away win forecast does. 0 is perfect, lower is better.
 */
export function rankedProbabilityScore(forecast: OutcomeProbabilities, outcome: Outcome): number {
  const [home, draw] = indicators(outcome);
  const first = forecast.homeWin - home;
  const second = forecast.homeWin + forecast.draw - home - draw;
  return (first * first + second * second) / 2;
}

/** Negative natural log of the probability given to the observed outcome. */
export function logLoss(forecast: OutcomeProbabilities, outcome: Outcome): number {
  return -Math.log(probabilityOf(forecast, outcome));
}

/** Multi-class Brier score: squared errors summed over the three outcomes (range 0 to 2). */
export function brierScore(forecast: OutcomeProbabilities, outcome: Outcome): number {
  const [home, draw, away] = indicators(outcome);
  return (forecast.homeWin - home) ** 2 + (forecast.draw - draw) ** 2 + (forecast.awayWin - away) ** 2;
}

export function probabilityOf(forecast: OutcomeProbabilities, outcome: Outcome): number {
  if (outcome === "home") return forecast.homeWin;
  return outcome === "draw" ? forecast.draw : forecast.awayWin;
}

/**
 * The naive baseline forecast: the observed home/draw/away frequencies of `matches` (e.g. a league's
 * previous five seasons). Without matches it is the uniform forecast.
 */
export function naiveBaseline(matches: readonly Pick<MatchResult, "homeGoals" | "awayGoals">[]): OutcomeProbabilities {
  if (matches.length === 0) return { homeWin: 1 / 3, draw: 1 / 3, awayWin: 1 / 3 };
  const counts = { home: 0, draw: 0, away: 0 };
  for (const match of matches) counts[outcomeOf(match)]++;
  return {
    homeWin: counts.home / matches.length,
    draw: counts.draw / matches.length,
    awayWin: counts.away / matches.length,
  };
}

export interface ForecastScores {
  matches: number;
  rps: number;
  logLoss: number;
  brier: number;
}

/** Mean scores of a set of forecasts; `matches` is 0 and the means NaN for an empty set. */
export function meanScores(forecasts: readonly { forecast: OutcomeProbabilities; outcome: Outcome }[]): ForecastScores {
  let rps = 0;
  let log = 0;
  let brier = 0;
  for (const { forecast, outcome } of forecasts) {
    rps += rankedProbabilityScore(forecast, outcome);
    log += logLoss(forecast, outcome);
    brier += brierScore(forecast, outcome);
  }
  const count = forecasts.length;
  return { matches: count, rps: rps / count, logLoss: log / count, brier: brier / count };
}
