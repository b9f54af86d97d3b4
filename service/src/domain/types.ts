/** A played match as the model sees it. Dates are ISO calendar dates (yyyy-mm-dd). */
export interface MatchResult {
  date: string;
  homeTeam: string;
  awayTeam: string;
  homeGoals: number;
  awayGoals: number;
  /** Shots and shots on target per side, where the source has them. */
  shots?: SideCounts | null;
  shotsOnTarget?: SideCounts | null;
}

export interface SideCounts {
  home: number;
  away: number;
}

export interface TeamRating {
  attack: number;
  defence: number;
  /** Time-weighted number of matches behind the rating; small values mean the prior dominates. */
  weightedMatches: number;
}

/** Everything needed to predict: serialisable as JSON so it can be stored as a model version row. */
export interface DixonColesParameters {
  /** Log-scale goal intercept (league scoring level). */
  intercept: number;
  homeAdvantage: number;
  /** Dixon-Coles low-score dependence parameter. */
  rho: number;
  /** Exponential time-decay rate per day used in the fit. */
  xi: number;
  teams: Record<string, TeamRating>;
  /** Rating given to a team the fit has never seen (e.g. a promoted side). */
  newcomer: Omit<TeamRating, "weightedMatches">;
}

export interface FitMetrics {
  matches: number;
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  durationMs: number;
}

export interface FittedModel {
  league: string;
  /** First and last match date in the data the model was fitted on. */
  dataFrom: string;
  dataTo: string;
  /** The date the time decay is measured from. */
  asOf: string;
  parameters: DixonColesParameters;
  metrics: FitMetrics;
}

export interface ScorelineProbability {
  homeGoals: number;
  awayGoals: number;
  probability: number;
}

export interface MatchPrediction {
  homeWin: number;
  draw: number;
  awayWin: number;
  expectedGoals: { home: number; away: number };
  /** Most likely scorelines, most likely first. */
  likelyScores: ScorelineProbability[];
  over25: number;
  under25: number;
  bothTeamsToScore: number;
}
