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

/** The league-wide parameters and team ratings of one count model, on the log scale of its Poisson means. */
export interface Ratings {
  /** Log-scale intercept (the league's level of the count). */
  intercept: number;
  homeAdvantage: number;
  /** Dixon-Coles low-score dependence; 0 for counts fitted without it (shots). */
  rho: number;
  teams: Record<string, TeamRating>;
}

/**
 * Everything needed to predict: serialisable as JSON so it can be stored as a model version row. `intercept`,
 * `homeAdvantage`, `rho` and `teams` are the ratings predictions use, whichever model made them.
 */
export interface DixonColesParameters extends Ratings {
  /** The model that made them (see MODEL_NAMES); rows stored before it was recorded are `dixon-coles/1`. */
  model?: string;
  /** Exponential time-decay rate per day of the goals model's team ratings. */
  xi: number;
  /** Rating given to a team the fit has never seen (e.g. a promoted side). */
  newcomer: Omit<TeamRating, "weightedMatches">;
  /** Set by the shot-blended model: the parts the ratings were blended from. */
  shots?: ShotBlend;
}

/** How the shot-blended model made its ratings, kept with them for inspection and for warm starts. */
export interface ShotBlend {
  /** The goals model's own fit. */
  goals: Ratings;
  /** The fits on shots on target and on all shots, over the matches that have both. */
  shotsOnTarget: Ratings;
  shots: Ratings;
  /** Per team: the time-weighted share of its recent matches that have shot data; 0 means goals alone. */
  coverage: Record<string, number>;
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
