import { FIXED, addPrior, fullLogLikelihood, negativeLogLikelihood } from "./likelihood";
import { tabulate, withDecay, type CountedMatch, type FitData } from "./matchTable";
import { minimiseNewton, type MinimiseResult } from "./newton";
import type { Ratings, TeamRating } from "./types";

/** How one count model (goals, shots or shots on target) is fitted. */
export interface RatingsTuning {
  /**
   * Exponential time-decay rate per day of the team ratings: a match `t` days before `asOf` has weight
   * `exp(-xi * t)`.
   */
  xi: number;
  /**
   * Decay rate per day for the league-wide home advantage and low-score dependence rho. They drift far more
   * slowly than team strengths, and fitted with `xi` they would chase noise (rho swings between -0.08 and
   * +0.07 from season to season in the Premier League), so they are fitted first with this slower decay and
   * then held while the intercept and the ratings are fitted with `xi`.
   */
  leagueXi: number;
  /**
   * Ridge strength, in weighted matches, pulling each team toward the newcomer rating. Established teams
   * have far more weight than this and barely move; teams with little recent history land near the prior.
   */
  priorStrength: number;
  /**
   * Extra ridge strength toward the newcomer rating, dated at the start of each team's latest stint in the
   * data and decayed like a match of that date: a promoted side starts close to the newcomer rating and its own
   * results take over as they accumulate, while a side present for years is no longer held by it.
   */
  arrivalPriorStrength: number;
  /** Newcomer attack relative to the league's data-weighted mean attack (0); negative means weaker. */
  newcomerAttack: number;
  /** Newcomer defence relative to the league's data-weighted mean defence (0); negative means weaker. */
  newcomerDefence: number;
  maxIterations: number;
  /** Largest absolute gradient component (log-likelihood units) accepted as converged. */
  gradientTolerance: number;
}

export interface RatingsFit {
  ratings: Ratings;
  /** Dates of the earliest and latest match fitted. */
  dataFrom: string;
  dataTo: string;
  logLikelihood: number;
  iterations: number;
  converged: boolean;
}

const HOME_ADVANTAGE = 1;
const RHO = 2;

/**
 * Fits team ratings by penalised, time-weighted maximum likelihood, in two passes: the league-wide home
 * advantage and rho with the slow `leagueXi` decay, then the intercept and team ratings with `xi`, holding
 * those two. Without `lowScoreDependence` (counts of shots) rho is held at 0. Deterministic: teams are ordered
 * by name and the optimiser has no randomness, so the same input gives bit-identical ratings. `warmStart` only
 * changes the starting point, e.g. the previous fit.
 */
export function fitRatings(
  matches: readonly CountedMatch[],
  asOf: string,
  tuning: RatingsTuning,
  lowScoreDependence: boolean,
  warmStart?: Ratings,
): RatingsFit {
  const table = tabulate(matches, asOf, lowScoreDependence);
  const held = lowScoreDependence ? [] : [RHO];
  const leagueData = withDecay(table, tuning, tuning.leagueXi);
  const leagueStart = startingPoint(leagueData, tuning, lowScoreDependence, warmStart);
  const slow = maximisePosterior(leagueData, tuning, leagueStart, held);
  const data = withDecay(table, tuning, tuning.xi);
  const start = startingPoint(data, tuning, lowScoreDependence, warmStart);
  start[HOME_ADVANTAGE] = slow.x[HOME_ADVANTAGE];
  start[RHO] = slow.x[RHO];
  const result = maximisePosterior(data, tuning, start, [HOME_ADVANTAGE, RHO]);
  const x = result.x;
  const n = data.teams.length;

  const teams: Record<string, TeamRating> = {};
  data.teams.forEach((team, i) => {
    teams[team] = { attack: x[FIXED + i], defence: x[FIXED + n + i], weightedMatches: data.teamWeight[i] };
  });
  return {
    ratings: { intercept: x[0], homeAdvantage: x[HOME_ADVANTAGE], rho: x[RHO], teams },
    dataFrom: matches[table.oldest].date,
    dataTo: matches[table.newest].date,
    logLikelihood: fullLogLikelihood(x, data),
    iterations: slow.iterations + result.iterations,
    converged: slow.converged && result.converged,
  };
}

/** Minimises negative log-likelihood plus prior, holding the parameters at the `frozen` indices. */
function maximisePosterior(
  data: FitData,
  tuning: RatingsTuning,
  start: Float64Array,
  frozen: readonly number[],
): MinimiseResult {
  const objective = (x: Float64Array, gradient: Float64Array, hessian: Float64Array): number =>
    negativeLogLikelihood(x, data, gradient, hessian) + addPrior(x, data, tuning, gradient, hessian);
  return minimiseNewton(objective, start, {
    maxIterations: tuning.maxIterations,
    gradientTolerance: tuning.gradientTolerance,
    frozen,
  });
}

/**
 * Starts from the warm-start parameters where they know a team, else from the newcomer rating, with the
 * intercept and home advantage read off the mean counts so a cold start is already close.
 */
function startingPoint(
  data: FitData,
  tuning: RatingsTuning,
  lowScoreDependence: boolean,
  warmStart?: Ratings,
): Float64Array {
  const n = data.teams.length;
  const x = new Float64Array(FIXED + 2 * n);
  if (warmStart) {
    x[0] = warmStart.intercept;
    x[HOME_ADVANTAGE] = warmStart.homeAdvantage;
    x[RHO] = lowScoreDependence ? warmStart.rho : 0;
  } else {
    let weightSum = 0;
    let homeSum = 0;
    let awaySum = 0;
    for (let k = 0; k < data.weight.length; k++) {
      weightSum += data.weight[k];
      homeSum += data.weight[k] * data.homeCount[k];
      awaySum += data.weight[k] * data.awayCount[k];
    }
    x[0] = Math.log(Math.max(awaySum, 0.5) / weightSum);
    x[HOME_ADVANTAGE] = Math.log(Math.max(homeSum, 0.5) / Math.max(awaySum, 0.5));
  }
  data.teams.forEach((team, i) => {
    const known = warmStart && Object.hasOwn(warmStart.teams, team) ? warmStart.teams[team] : undefined;
    x[FIXED + i] = known?.attack ?? tuning.newcomerAttack;
    x[FIXED + n + i] = known?.defence ?? tuning.newcomerDefence;
  });
  return x;
}
