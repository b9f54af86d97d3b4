import { minimiseNewton } from "./newton";
import type {
  DixonColesParameters,
  FittedModel,
  MatchPrediction,
  MatchResult,
  ScorelineProbability,
  TeamRating,
} from "./types";

export interface DixonColesOptions {
  /** ISO date the time decay is measured from; no fitted match may be later. */
  asOf: string;
  /** Exponential time-decay rate per day: a match `t` days before `asOf` has weight `exp(-xi * t)`. */
  xi?: number;
  /**
   * Ridge strength, in weighted matches, pulling each team toward the newcomer rating. Established teams
   * have far more weight than this and barely move; teams with little recent history land near the prior.
   */
  priorStrength?: number;
  /**
   * Extra ridge strength toward the newcomer rating, dated at the start of each team's latest stint in the
   * data and decayed with `xi` like a match: a promoted side starts close to the newcomer rating and its own
   * results take over as they accumulate, while a side present for years is no longer held by it.
   */
  arrivalPriorStrength?: number;
  /** Newcomer attack relative to the league's data-weighted mean attack (0); negative means weaker. */
  newcomerAttack?: number;
  /** Newcomer defence relative to the league's data-weighted mean defence (0); negative means weaker. */
  newcomerDefence?: number;
  maxIterations?: number;
  /** Largest absolute gradient component (log-likelihood units) accepted as converged. */
  gradientTolerance?: number;
}

export type DixonColesTuning = Required<Omit<DixonColesOptions, "asOf">>;

/** Tuned by walk-forward backtests on Premier League seasons 2014-15 to 2024-25 only. */
export const DEFAULT_TUNING: Readonly<DixonColesTuning> = Object.freeze({
  xi: 0.0019,
  priorStrength: 2,
  arrivalPriorStrength: 20,
  newcomerAttack: -0.25,
  newcomerDefence: -0.25,
  maxIterations: 100,
  gradientTolerance: 1e-4,
});

/** The defaults overridden by every option that is set (an option set to undefined keeps its default). */
export function resolveTuning(options: Partial<DixonColesTuning>): DixonColesTuning {
  const tuning: DixonColesTuning = { ...DEFAULT_TUNING };
  for (const key of Object.keys(tuning) as (keyof DixonColesTuning)[]) tuning[key] = options[key] ?? tuning[key];
  return tuning;
}

/** Scorelines beyond this many goals per side are cut off and the rest renormalised. */
export const MAX_GOALS = 10;

const DAY_MS = 86_400_000;
const FIXED = 3; // intercept, home advantage, rho precede the team ratings in the parameter vector

/** The matches as flat typed arrays, so the likelihood loop touches no objects. */
interface FitData {
  teams: string[];
  home: Int32Array;
  away: Int32Array;
  homeGoals: Int32Array;
  awayGoals: Int32Array;
  weight: Float64Array;
  /** Time-weighted matches per team. */
  teamWeight: Float64Array;
  /** Ridge strength per team: the base prior plus the decayed arrival prior. */
  priorStrength: Float64Array;
}

/** A team absent for longer than this (a summer break is at most about 100 days) left the league and came back. */
const STINT_GAP_DAYS = 200;

/**
 * Fits a Dixon-Coles model by penalised, time-weighted maximum likelihood. Deterministic: teams are
 * ordered by name and the optimiser has no randomness, so the same input gives bit-identical parameters
 * (only `metrics.durationMs` varies). `warmStart` only changes the starting point, e.g. the previous fit.
 */
export function fitDixonColes(
  league: string,
  matches: readonly MatchResult[],
  options: DixonColesOptions,
  warmStart?: DixonColesParameters,
): FittedModel {
  const started = performance.now();
  const tuning = resolveTuning(options);
  const data = prepareData(matches, options.asOf, tuning);
  const n = data.teams.length;

  const objective = (x: Float64Array, gradient: Float64Array, hessian: Float64Array): number =>
    negativeLogLikelihood(x, data, gradient, hessian) + addPrior(x, data, tuning, gradient, hessian);
  const result = minimiseNewton(objective, startingPoint(data, tuning, warmStart), {
    maxIterations: tuning.maxIterations,
    gradientTolerance: tuning.gradientTolerance,
  });
  const x = result.x;

  const teams: Record<string, TeamRating> = {};
  data.teams.forEach((team, i) => {
    teams[team] = { attack: x[FIXED + i], defence: x[FIXED + n + i], weightedMatches: data.teamWeight[i] };
  });
  return {
    league,
    ...dateRange(matches),
    asOf: options.asOf,
    parameters: {
      intercept: x[0],
      homeAdvantage: x[1],
      rho: x[2],
      xi: tuning.xi,
      teams,
      newcomer: { attack: tuning.newcomerAttack, defence: tuning.newcomerDefence },
    },
    metrics: {
      matches: matches.length,
      logLikelihood: fullLogLikelihood(x, data),
      iterations: result.iterations,
      converged: result.converged,
      durationMs: performance.now() - started,
    },
  };
}

function dateRange(matches: readonly MatchResult[]): { dataFrom: string; dataTo: string } {
  let dataFrom = matches[0].date;
  let dataTo = matches[0].date;
  for (const { date } of matches) {
    if (date < dataFrom) dataFrom = date;
    if (date > dataTo) dataTo = date;
  }
  return { dataFrom, dataTo };
}

function prepareData(matches: readonly MatchResult[], asOf: string, tuning: DixonColesTuning): FitData {
  if (matches.length === 0) throw new Error("fitDixonColes: no matches to fit");
  const asOfDay = dayNumber(asOf);
  const names = new Set<string>();
  for (const match of matches) {
    names.add(match.homeTeam);
    names.add(match.awayTeam);
  }
  // Plain code-unit order, not localeCompare, so the ordering cannot depend on the runtime's ICU data.
  const teams = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(teams.map((team, i) => [team, i]));

  const count = matches.length;
  const data: FitData = {
    teams,
    home: new Int32Array(count),
    away: new Int32Array(count),
    homeGoals: new Int32Array(count),
    awayGoals: new Int32Array(count),
    weight: new Float64Array(count),
    teamWeight: new Float64Array(teams.length),
    priorStrength: new Float64Array(teams.length),
  };
  const arrival = new Float64Array(teams.length).fill(Number.NaN);
  const lastSeen = new Float64Array(teams.length).fill(Number.NaN);
  matches.forEach((match, k) => {
    const day = dayNumber(match.date);
    const age = asOfDay - day;
    if (age < 0) throw new Error(`fitDixonColes: match on ${match.date} is after asOf ${asOf}`);
    const home = index.get(match.homeTeam) as number;
    const away = index.get(match.awayTeam) as number;
    const weight = Math.exp(-tuning.xi * age);
    data.home[k] = home;
    data.away[k] = away;
    data.homeGoals[k] = match.homeGoals;
    data.awayGoals[k] = match.awayGoals;
    data.weight[k] = weight;
    data.teamWeight[home] += weight;
    data.teamWeight[away] += weight;
    for (const team of [home, away]) {
      if (!(day - lastSeen[team] <= STINT_GAP_DAYS)) arrival[team] = day;
      lastSeen[team] = day;
    }
  });
  for (let i = 0; i < teams.length; i++) {
    const arrivalWeight = Math.exp(-tuning.xi * (asOfDay - arrival[i]));
    data.priorStrength[i] = tuning.priorStrength + tuning.arrivalPriorStrength * arrivalWeight;
  }
  return data;
}

/** Days since 1970-01-01, read digit by digit: string date parsing dominated the time of a warm refit. */
function dayNumber(isoDate: string): number {
  const year = digitsAt(isoDate, 0, 4);
  const month = digitsAt(isoDate, 5, 7);
  const day = digitsAt(isoDate, 8, 10);
  const shaped = isoDate.length === 10 && isoDate[4] === "-" && isoDate[7] === "-";
  if (!shaped || !(month >= 1 && month <= 12 && day >= 1 && day <= 31)) {
    throw new Error(`fitDixonColes: "${isoDate}" is not an ISO date`);
  }
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

/** The decimal number in text[from, to), or NaN if any character there is not a digit. */
function digitsAt(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Starts from the warm-start parameters where they know a team, else from the newcomer rating, with the
 * intercept and home advantage read off the mean goals so a cold start is already close.
 */
function startingPoint(data: FitData, tuning: DixonColesTuning, warmStart?: DixonColesParameters): Float64Array {
  const n = data.teams.length;
  const x = new Float64Array(FIXED + 2 * n);
  if (warmStart) {
    x[0] = warmStart.intercept;
    x[1] = warmStart.homeAdvantage;
    x[2] = warmStart.rho;
  } else {
    let weightSum = 0;
    let homeSum = 0;
    let awaySum = 0;
    for (let k = 0; k < data.weight.length; k++) {
      weightSum += data.weight[k];
      homeSum += data.weight[k] * data.homeGoals[k];
      awaySum += data.weight[k] * data.awayGoals[k];
    }
    x[0] = Math.log(Math.max(awaySum, 0.5) / weightSum);
    x[1] = Math.log(Math.max(homeSum, 0.5) / Math.max(awaySum, 0.5));
  }
  data.teams.forEach((team, i) => {
    const known = warmStart && Object.hasOwn(warmStart.teams, team) ? warmStart.teams[team] : undefined;
    x[FIXED + i] = known?.attack ?? tuning.newcomerAttack;
    x[FIXED + n + i] = known?.defence ?? tuning.newcomerDefence;
  });
  return x;
}

/**
 * Weighted negative log-likelihood (without the constant log-factorial terms). Home goals ~
 * Poisson(exp(intercept + home + attack[home] - defence[away])), away goals ~
 * Poisson(exp(intercept + attack[away] - defence[home])), with the Dixon-Coles factor tau on 0-0, 1-0, 0-1
 * and 1-1. Writes the gradient and Hessian when given. Returns Infinity where tau would be non-positive,
 * which the line search treats as a wall.
 */
function negativeLogLikelihood(x: Float64Array, data: FitData, gradient?: Float64Array, hessian?: Float64Array): number {
  const n = data.teams.length;
  const dimension = x.length;
  const { home, away, homeGoals, awayGoals, weight } = data;
  const intercept = x[0];
  const homeAdvantage = x[1];
  const rho = x[2];
  const defenceOffset = FIXED + n;
  gradient?.fill(0);
  hessian?.fill(0);
  // Parameters that the home (eta1) and away (eta2) log-means depend on, with their signs.
  const homeIndex = new Int32Array([0, 1, 0, 0]);
  const awayIndex = new Int32Array([0, 0, 0]);
  const homeSign = new Float64Array([1, 1, 1, -1]);
  const awaySign = new Float64Array([1, 1, -1]);

  let value = 0;
  for (let k = 0; k < weight.length; k++) {
    const h = home[k];
    const a = away[k];
    const goalsHome = homeGoals[k];
    const goalsAway = awayGoals[k];
    const etaHome = intercept + homeAdvantage + x[FIXED + h] - x[defenceOffset + a];
    const etaAway = intercept + x[FIXED + a] - x[defenceOffset + h];
    const lambda = Math.exp(etaHome);
    const mu = Math.exp(etaAway);
    let logLik = goalsHome * etaHome - lambda + goalsAway * etaAway - mu;
    // First and second derivatives of the log-likelihood in (eta1, eta2, rho), Poisson part first.
    let d1 = goalsHome - lambda;
    let d2 = goalsAway - mu;
    let dRho = 0;
    let d11 = -lambda;
    let d22 = -mu;
    let d12 = 0;
    let d1Rho = 0;
    let d2Rho = 0;
    let dRhoRho = 0;

    if (goalsHome <= 1 && goalsAway <= 1) {
      let tau: number;
      if (goalsHome === 0 && goalsAway === 0) {
        const product = lambda * mu;
        tau = 1 - product * rho;
        const tau2 = tau * tau;
        d1 -= (product * rho) / tau;
        d2 -= (product * rho) / tau;
        dRho = -product / tau;
        d11 -= (product * rho) / tau2;
        d22 -= (product * rho) / tau2;
        d12 = -(product * rho) / tau2;
        d1Rho = -product / tau2;
        d2Rho = -product / tau2;
        dRhoRho = -(product * product) / tau2;
      } else if (goalsHome === 0) {
        tau = 1 + lambda * rho;
        const tau2 = tau * tau;
        d1 += (lambda * rho) / tau;
        dRho = lambda / tau;
        d11 += (lambda * rho) / tau2;
        d1Rho = lambda / tau2;
        dRhoRho = -(lambda * lambda) / tau2;
      } else if (goalsAway === 0) {
        tau = 1 + mu * rho;
        const tau2 = tau * tau;
        d2 += (mu * rho) / tau;
        dRho = mu / tau;
        d22 += (mu * rho) / tau2;
        d2Rho = mu / tau2;
        dRhoRho = -(mu * mu) / tau2;
      } else {
        tau = 1 - rho;
        dRho = -1 / tau;
        dRhoRho = -1 / (tau * tau);
      }
      if (!(tau > 0)) return Number.POSITIVE_INFINITY;
      logLik += Math.log(tau);
    }

    const w = weight[k];
    value -= w * logLik;
    if (!gradient || !hessian) continue;
    homeIndex[2] = FIXED + h;
    homeIndex[3] = defenceOffset + a;
    awayIndex[1] = FIXED + a;
    awayIndex[2] = defenceOffset + h;
    for (let p = 0; p < 4; p++) gradient[homeIndex[p]] -= w * d1 * homeSign[p];
    for (let p = 0; p < 3; p++) gradient[awayIndex[p]] -= w * d2 * awaySign[p];
    gradient[2] -= w * dRho;
    addOuter(hessian, dimension, homeIndex, homeSign, homeIndex, homeSign, -w * d11);
    addOuter(hessian, dimension, awayIndex, awaySign, awayIndex, awaySign, -w * d22);
    if (d12 !== 0) {
      addOuter(hessian, dimension, homeIndex, homeSign, awayIndex, awaySign, -w * d12);
      addOuter(hessian, dimension, awayIndex, awaySign, homeIndex, homeSign, -w * d12);
    }
    if (dRhoRho !== 0) {
      for (let p = 0; p < 4; p++) addSymmetric(hessian, dimension, homeIndex[p], 2, -w * d1Rho * homeSign[p]);
      for (let p = 0; p < 3; p++) addSymmetric(hessian, dimension, awayIndex[p], 2, -w * d2Rho * awaySign[p]);
      hessian[2 * dimension + 2] -= w * dRhoRho;
    }
  }
  return value;
}

/** hessian += scale * (signsA x indexA) outer (signsB x indexB). */
function addOuter(
  hessian: Float64Array,
  dimension: number,
  indexA: Int32Array,
  signsA: Float64Array,
  indexB: Int32Array,
  signsB: Float64Array,
  scale: number,
): void {
  for (let p = 0; p < indexA.length; p++) {
    const row = indexA[p] * dimension;
    const rowScale = scale * signsA[p];
    for (let q = 0; q < indexB.length; q++) hessian[row + indexB[q]] += rowScale * signsB[q];
  }
}

function addSymmetric(hessian: Float64Array, dimension: number, i: number, j: number, amount: number): void {
  hessian[i * dimension + j] += amount;
  hessian[j * dimension + i] += amount;
}

/**
 * Ridge penalty pulling every attack toward (data-weighted mean attack + newcomerAttack), and likewise for
 * defence, each team with its own strength. Measuring the target from the weighted mean keeps the penalty
 * invariant to shifting all ratings, so only the data decide the league's scoring level. That shift is the
 * one direction the likelihood cannot see, so a quadratic term in the weighted mean itself pins it to zero
 * (the identifiability constraint) and keeps the Hessian positive definite. Adds its gradient and Hessian;
 * returns its value.
 */
function addPrior(
  x: Float64Array,
  data: FitData,
  tuning: DixonColesTuning,
  gradient: Float64Array,
  hessian: Float64Array,
): number {
  const n = data.teams.length;
  return (
    addGroupPrior(x, FIXED, data, tuning.newcomerAttack, gradient, hessian) +
    addGroupPrior(x, FIXED + n, data, tuning.newcomerDefence, gradient, hessian)
  );
}

function addGroupPrior(
  x: Float64Array,
  offset: number,
  data: FitData,
  newcomer: number,
  gradient: Float64Array,
  hessian: Float64Array,
): number {
  const { teamWeight, priorStrength } = data;
  const n = teamWeight.length;
  const dimension = x.length;
  let weightSum = 0;
  let strengthSum = 0;
  for (let i = 0; i < n; i++) {
    weightSum += teamWeight[i];
    strengthSum += priorStrength[i];
  }
  let weightedMean = 0;
  for (let i = 0; i < n; i++) weightedMean += (teamWeight[i] / weightSum) * x[offset + i];
  // The pinning term's scale matches the data's curvature so it neither dominates nor vanishes.
  const pin = weightSum;

  let value = 0.5 * pin * weightedMean * weightedMean;
  let pull = 0;
  for (let i = 0; i < n; i++) {
    const residual = x[offset + i] - weightedMean - newcomer;
    value += 0.5 * priorStrength[i] * residual * residual;
    pull += priorStrength[i] * residual;
    gradient[offset + i] += priorStrength[i] * residual;
  }
  for (let k = 0; k < n; k++) {
    const share = teamWeight[k] / weightSum;
    gradient[offset + k] += share * (pin * weightedMean - pull);
    const row = (offset + k) * dimension + offset;
    for (let l = 0; l < n; l++) {
      const otherShare = teamWeight[l] / weightSum;
      hessian[row + l] +=
        (strengthSum + pin) * share * otherShare - priorStrength[k] * otherShare - priorStrength[l] * share;
    }
    hessian[row + k] += priorStrength[k];
  }
  return value;
}

function fullLogLikelihood(x: Float64Array, data: FitData): number {
  let logFactorials = 0;
  for (let k = 0; k < data.weight.length; k++) {
    logFactorials += data.weight[k] * (logFactorial(data.homeGoals[k]) + logFactorial(data.awayGoals[k]));
  }
  return -negativeLogLikelihood(x, data) - logFactorials;
}

const LOG_FACTORIALS = [0];
function logFactorial(k: number): number {
  for (let i = LOG_FACTORIALS.length; i <= k; i++) LOG_FACTORIALS.push(LOG_FACTORIALS[i - 1] + Math.log(i));
  return LOG_FACTORIALS[k];
}

const SIDE = MAX_GOALS + 1;
const homePmf = new Float64Array(SIDE);
const awayPmf = new Float64Array(SIDE);
const TOP_SCORES = 5;

/** Predicts a match; a team the parameters do not know (e.g. just promoted) gets `params.newcomer`. */
export function predictMatch(params: DixonColesParameters, homeTeam: string, awayTeam: string): MatchPrediction {
  const home = Object.hasOwn(params.teams, homeTeam) ? params.teams[homeTeam] : params.newcomer;
  const away = Object.hasOwn(params.teams, awayTeam) ? params.teams[awayTeam] : params.newcomer;
  const lambda = Math.exp(params.intercept + params.homeAdvantage + home.attack - away.defence);
  const mu = Math.exp(params.intercept + away.attack - home.defence);
  return predictFromRates(lambda, mu, params.rho);
}

/** Scoreline distribution for Poisson means `lambda` (home) and `mu` (away) with dependence `rho`. */
export function predictFromRates(lambda: number, mu: number, rho: number): MatchPrediction {
  poissonPmf(lambda, homePmf);
  poissonPmf(mu, awayPmf);
  let homeWin = 0;
  let draw = 0;
  let awayWin = 0;
  let over = 0;
  let bothScore = 0;
  const topProbability = new Float64Array(TOP_SCORES).fill(-1);
  const topCell = new Int32Array(TOP_SCORES);

  for (let i = 0; i < SIDE; i++) {
    for (let j = 0; j < SIDE; j++) {
      let p = homePmf[i] * awayPmf[j];
      if (i <= 1 && j <= 1) p *= Math.max(0, lowScoreFactor(i, j, lambda, mu, rho));
      if (i > j) homeWin += p;
      else if (i === j) draw += p;
      else awayWin += p;
      if (i + j > 2) over += p;
      if (i > 0 && j > 0) bothScore += p;
      if (p > topProbability[TOP_SCORES - 1]) insertTop(topProbability, topCell, p, i * SIDE + j);
    }
  }

  const total = homeWin + draw + awayWin;
  const likelyScores: ScorelineProbability[] = [];
  for (let r = 0; r < TOP_SCORES; r++) {
    likelyScores.push({
      homeGoals: Math.floor(topCell[r] / SIDE),
      awayGoals: topCell[r] % SIDE,
      probability: topProbability[r] / total,
    });
  }
  return {
    homeWin: homeWin / total,
    draw: draw / total,
    awayWin: awayWin / total,
    expectedGoals: { home: lambda, away: mu },
    likelyScores,
    over25: over / total,
    under25: (total - over) / total,
    bothTeamsToScore: bothScore / total,
  };
}

/** Dixon & Coles' tau: the correction for 0-0, 1-0, 0-1 and 1-1, which leaves both marginal means unchanged. */
function lowScoreFactor(homeGoals: number, awayGoals: number, lambda: number, mu: number, rho: number): number {
  if (homeGoals === 0 && awayGoals === 0) return 1 - lambda * mu * rho;
  if (homeGoals === 0) return 1 + lambda * rho;
  if (awayGoals === 0) return 1 + mu * rho;
  return 1 - rho;
}

function poissonPmf(mean: number, target: Float64Array): void {
  target[0] = Math.exp(-mean);
  for (let k = 1; k < target.length; k++) target[k] = (target[k - 1] * mean) / k;
}

/** Keeps the top list sorted, most likely first; an equal probability keeps the earlier (lower) scoreline. */
function insertTop(probabilities: Float64Array, cells: Int32Array, p: number, cell: number): void {
  let r = probabilities.length - 1;
  while (r > 0 && p > probabilities[r - 1]) {
    probabilities[r] = probabilities[r - 1];
    cells[r] = cells[r - 1];
    r--;
  }
  probabilities[r] = p;
  cells[r] = cell;
}
