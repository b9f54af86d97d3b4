import { DEFAULT_TUNING, fitDixonColes, resolveTuning, type DixonColesTuning } from "./dixonColes";
import { counted, dayNumber, type CountedMatch } from "./matchTable";
import { fitRatings, type RatingsTuning } from "./ratings";
import type { DixonColesParameters, FittedModel, MatchResult, Ratings, TeamRating } from "./types";

/** The shot-blended model's name in stored parameters. */
export const DIXON_COLES_SHOTS = "dixon-coles-shots/1";

/** How much each model's rating counts in a blended attack and defence (they need not sum to 1). */
export interface BlendWeights {
  goals: number;
  shotsOnTarget: number;
  shots: number;
}

export interface ShotsTuning {
  /** The goals model within the blend: the Dixon-Coles model itself. */
  goals: DixonColesTuning;
  /** The two shot models (shots on target and all shots), each a Poisson rating model without rho. */
  shots: RatingsTuning;
  weights: BlendWeights;
}

/**
 * Tuned by walk-forward backtests on Premier League seasons 2014-15 to 2024-25 only (pooled RPS, refit before
 * each match day), then used unchanged for the Bundesliga and La Liga. Shots measure a side with far less
 * noise than goals, so the shot models forget fast: a half-life of about five weeks (xi 0.02; 0.01 and 0.04
 * score 0.0001-0.0002 worse), against about 230 days for goals. The optimum is flat: prior strengths of 0.3-3,
 * arrival priors of 0-20, measuring time in match weeks instead of days, separate weights for attack and
 * defence and a correction to the scoring level all move the pooled RPS by under 0.0001. Weights summing to
 * more than 1 make up for the shot ratings' shrinkage toward the mean.
 */
export const DEFAULT_SHOTS_TUNING: Readonly<ShotsTuning> = Object.freeze({
  goals: DEFAULT_TUNING,
  shots: Object.freeze({
    ...DEFAULT_TUNING,
    xi: 0.02,
    priorStrength: 1,
    arrivalPriorStrength: 5,
    newcomerAttack: -0.15,
    newcomerDefence: -0.15,
  }),
  weights: Object.freeze({ goals: 0.68, shotsOnTarget: 0.14, shots: 0.38 }),
});

export interface ShotsOptions {
  /** ISO date the time decay is measured from; no fitted match may be later. */
  asOf: string;
  /** Overrides of the goals model's tuning, as for fitDixonColes. */
  goals?: Partial<DixonColesTuning>;
  shots?: Partial<RatingsTuning>;
  weights?: BlendWeights;
}

/** The defaults overridden by every option that is set. */
export function resolveShotsTuning(options: Omit<ShotsOptions, "asOf">): ShotsTuning {
  return {
    goals: resolveTuning(options.goals ?? {}),
    shots: resolveTuning(options.shots ?? {}, DEFAULT_SHOTS_TUNING.shots),
    weights: options.weights ?? DEFAULT_SHOTS_TUNING.weights,
  };
}

/**
 * Fits the Dixon-Coles model on goals and two rating models on shots on target and on all shots (over the
 * matches that have both), and blends each team's attack and defence: goal rating plus coverage times
 * (blend minus goal rating), where coverage is the time-weighted share of the team's recent matches that
 * have shot data (with the shot models' fast decay). A league or season without shot data therefore falls
 * back to the goals model by itself, smoothly as shot data thin out; without any shot data the result is the
 * goals model, named as such. Home advantage, rho, the scoring level and the newcomer rating are the goals
 * model's. Deterministic like its parts; `warmStart` (any earlier parameters) only changes starting points.
 */
export function fitShotsModel(
  league: string,
  matches: readonly MatchResult[],
  options: ShotsOptions,
  warmStart?: DixonColesParameters,
): FittedModel {
  const started = performance.now();
  const tuning = resolveShotsTuning(options);
  const { asOf } = options;
  const goalsModel = fitDixonColes(league, matches, { ...tuning.goals, asOf }, warmStart);
  // Shots decay fast: matches past the horizon would weigh under 1e-6 and only slow the fits down.
  const asOfDay = dayNumber(asOf);
  const horizon = Math.log(1e6) / tuning.shots.xi;
  const recent = matches.filter((match) => asOfDay - dayNumber(match.date) <= horizon);
  const withShots = recent.filter(hasShots);
  if (withShots.length === 0) return goalsModel;

  const { intercept, homeAdvantage, rho, teams } = goalsModel.parameters;
  const goals: Ratings = { intercept, homeAdvantage, rho, teams };
  const previous = warmStart?.shots;
  const fitShots = (counts: CountedMatch[], start: Ratings | undefined) =>
    fitRatings(counts, asOf, tuning.shots, false, start);
  const onTarget = fitShots(withShots.map(onTargetCounts), previous?.shotsOnTarget);
  const shots = fitShots(withShots.map(shotCounts), previous?.shots);
  const coverage = shotCoverage(recent, asOfDay, tuning.shots.xi);
  return {
    ...goalsModel,
    parameters: {
      ...goalsModel.parameters,
      model: DIXON_COLES_SHOTS,
      teams: blendTeams(goals, onTarget.ratings, shots.ratings, coverage, tuning.weights),
      shots: { goals, shotsOnTarget: onTarget.ratings, shots: shots.ratings, coverage },
    },
    metrics: {
      ...goalsModel.metrics,
      iterations: goalsModel.metrics.iterations + onTarget.iterations + shots.iterations,
      converged: goalsModel.metrics.converged && onTarget.converged && shots.converged,
      durationMs: performance.now() - started,
    },
  };
}

function blendTeams(
  goals: Ratings,
  shotsOnTarget: Ratings,
  shots: Ratings,
  coverage: Record<string, number>,
  weights: BlendWeights,
): Record<string, TeamRating> {
  const blend = (goal: number, onTarget: number, all: number, share: number): number =>
    goal + share * (weights.goals * goal + weights.shotsOnTarget * onTarget + weights.shots * all - goal);
  const teams: Record<string, TeamRating> = {};
  // Team names come from users (a promoted side's fixture): own properties only, never Object.prototype's.
  const own = <T>(record: Record<string, T>, team: string): T | undefined =>
    Object.hasOwn(record, team) ? record[team] : undefined;
  for (const [team, rating] of Object.entries(goals.teams)) {
    const share = own(coverage, team) ?? 0;
    const sot = own(shotsOnTarget.teams, team);
    const all = own(shots.teams, team);
    teams[team] =
      share === 0 || sot === undefined || all === undefined
        ? rating
        : {
            attack: blend(rating.attack, sot.attack, all.attack, share),
            defence: blend(rating.defence, sot.defence, all.defence, share),
            weightedMatches: rating.weightedMatches,
          };
  }
  return teams;
}

/** Per team: the share of its time-weighted matches (weight `exp(-xi * age)`) that have shot data. */
function shotCoverage(matches: readonly MatchResult[], asOfDay: number, xi: number): Record<string, number> {
  const total = new Map<string, number>();
  const covered = new Map<string, number>();
  for (const match of matches) {
    const weight = Math.exp(-xi * (asOfDay - dayNumber(match.date)));
    const shot = hasShots(match);
    for (const team of [match.homeTeam, match.awayTeam]) {
      total.set(team, (total.get(team) ?? 0) + weight);
      if (shot) covered.set(team, (covered.get(team) ?? 0) + weight);
    }
  }
  const coverage: Record<string, number> = {};
  for (const team of [...total.keys()].sort()) {
    const weight = total.get(team) as number;
    coverage[team] = weight > 0 ? (covered.get(team) ?? 0) / weight : 0;
  }
  return coverage;
}

const hasShots = (match: MatchResult): boolean => Boolean(match.shots && match.shotsOnTarget);

const onTargetCounts = (match: MatchResult) =>
  counted(match, match.shotsOnTarget?.home as number, match.shotsOnTarget?.away as number);
const shotCounts = (match: MatchResult) => counted(match, match.shots?.home as number, match.shots?.away as number);
