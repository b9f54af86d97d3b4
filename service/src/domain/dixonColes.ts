import { minimiseNewton, type MinimiseResult } from "./newton";
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
  /**
   * Exponential time-decay rate per day of the team ratings: a match `t` days before `asOf` has weight
   * `exp(-xi * t)`.
   */
  xi?: number;
  /**
   * Decay rate per day for the league-wide home advantage and low-score dependence rho. They drift far more
   * slowly than team strengths, and fitted with `xi` they would chase noise (rho swings between -0.08 and
   * +0.07 from season to season in the Premier League), so they are fitted first with this slower decay and
   * then held while the intercept and the ratings are fitted with `xi`.
   */
  leagueXi?: number;
  /**
   * Ridge strength, in weighted matches, pulling each team toward the newcomer rating. Established teams
   * have far more weight than this and barely move; teams with little recent history land near the prior.
   */
  priorStrength?: number;
  /**
   * Extra ridge strength toward the newcomer rating, dated at the start of each team's latest stint in the
   * data and decayed like a match of that date: a promoted side starts close to the newcomer rating and its own
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

/**
 * Tuned by walk-forward backtests on Premier League seasons 2014-15 to 2024-25 only (pooled RPS, refit before
 * each match day). The optimum is flat: xi 0.0027-0.0033 (half-life about 230 days), leagueXi 0.0006-0.0014,
 * a base ridge of 0.1-1, an arrival prior of 15-25 and newcomer offsets within 0.05 of these all score within
 * 0.00003 of it. The arrival prior (0.0006 better than none) and the slower league-wide decay (0.0001 better
 * than one decay for everything) are what took the model past a plain time-weighted fit.
 */
export const DEFAULT_TUNING: Readonly<DixonColesTuning> = Object.freeze({
  xi: 0.003,
  leagueXi: 0.001,
  priorStrength: 0.3,
  arrivalPriorStrength: 20,
  newcomerAttack: -0.3,
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

/** The matches as flat typed arrays, so the fitting loops touch no objects. */
interface MatchTable {
  teams: string[];
  home: Int32Array;
  away: Int32Array;
  homeGoals: Int32Array;
  awayGoals: Int32Array;
  /** Days from each match to asOf. */
  age: Float64Array;
  /** Days from the start of each team's latest stint to asOf. */
  arrivalAge: Float64Array;
  /** Index of each match's (home team, away team) pairing, and each pairing's teams. */
  pairing: Int32Array;
  pairHome: Int32Array;
  pairAway: Int32Array;
  /** The low-score cell of each match: 0 for 0-0, 1 for 0-1, 2 for 1-0, 3 for 1-1, else -1. */
  lowScoreCell: Int8Array;
  /** The matches with the earliest and latest dates. */
  oldest: number;
  newest: number;
}

/**
 * A match table weighted with one decay rate, summed per pairing. Every match of a pairing has the same
 * Poisson means, so the likelihood needs only each pairing's weighted match count, weighted goals and
 * weighted count per low-score cell: evaluating it costs one step per pairing, not per match.
 */
interface FitData extends MatchTable {
  weight: Float64Array;
  /** Time-weighted matches per team. */
  teamWeight: Float64Array;
  /** Ridge strength per team: the base prior plus the decayed arrival prior. */
  priorStrength: Float64Array;
  pairWeight: Float64Array;
  pairHomeGoals: Float64Array;
  pairAwayGoals: Float64Array;
  /** Weighted matches per pairing and low-score cell, four per pairing. */
  pairCellWeight: Float64Array;
}

/** A team absent for longer than this (a summer break is at most about 100 days) left the league and came back. */
const STINT_GAP_DAYS = 200;

/**
 * Fits a Dixon-Coles model by penalised, time-weighted maximum likelihood, in two passes: the league-wide
 * home advantage and rho with the slow `leagueXi` decay, then the intercept and team ratings with `xi`,
 * holding those two. Deterministic: teams are ordered by name and the optimiser has no randomness, so the
 * same input gives bit-identical parameters (only `metrics.durationMs` varies). `warmStart` only changes the
 * starting point, e.g. the previous fit.
 */
export function fitDixonColes(
  league: string,
  matches: readonly MatchResult[],
  options: DixonColesOptions,
  warmStart?: DixonColesParameters,
): FittedModel {
  const started = performance.now();
  const tuning = resolveTuning(options);
  const table = tabulate(matches, options.asOf);
  const leagueData = withDecay(table, tuning, tuning.leagueXi);
  const slow = maximisePosterior(leagueData, tuning, startingPoint(leagueData, tuning, warmStart), []);
  const data = withDecay(table, tuning, tuning.xi);
  const start = startingPoint(data, tuning, warmStart);
  start[1] = slow.x[1];
  start[2] = slow.x[2];
  const result = maximisePosterior(data, tuning, start, [1, 2]);
  const x = result.x;
  const n = data.teams.length;

  const teams: Record<string, TeamRating> = {};
  data.teams.forEach((team, i) => {
    teams[team] = { attack: x[FIXED + i], defence: x[FIXED + n + i], weightedMatches: data.teamWeight[i] };
  });
  return {
    league,
    dataFrom: matches[table.oldest].date,
    dataTo: matches[table.newest].date,
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
      iterations: slow.iterations + result.iterations,
      converged: slow.converged && result.converged,
      durationMs: performance.now() - started,
    },
  };
}

/** Minimises negative log-likelihood plus prior, holding the parameters at the `frozen` indices. */
function maximisePosterior(
  data: FitData,
  tuning: DixonColesTuning,
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

function tabulate(matches: readonly MatchResult[], asOf: string): MatchTable {
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
  const pairingOf = new Map<number, number>();
  const pairHome: number[] = [];
  const pairAway: number[] = [];
  const table: MatchTable = {
    teams,
    home: new Int32Array(count),
    away: new Int32Array(count),
    homeGoals: new Int32Array(count),
    awayGoals: new Int32Array(count),
    age: new Float64Array(count),
    arrivalAge: new Float64Array(teams.length),
    pairing: new Int32Array(count),
    pairHome: new Int32Array(0),
    pairAway: new Int32Array(0),
    lowScoreCell: new Int8Array(count),
    oldest: 0,
    newest: 0,
  };
  matches.forEach((match, k) => {
    const age = asOfDay - dayNumber(match.date);
    if (age < 0) throw new Error(`fitDixonColes: match on ${match.date} is after asOf ${asOf}`);
    const home = index.get(match.homeTeam) as number;
    const away = index.get(match.awayTeam) as number;
    const key = home * teams.length + away;
    let pairing = pairingOf.get(key);
    if (pairing === undefined) {
      pairing = pairHome.length;
      pairingOf.set(key, pairing);
      pairHome.push(home);
      pairAway.push(away);
    }
    table.home[k] = home;
    table.away[k] = away;
    table.homeGoals[k] = match.homeGoals;
    table.awayGoals[k] = match.awayGoals;
    table.age[k] = age;
    table.pairing[k] = pairing;
    table.lowScoreCell[k] = match.homeGoals <= 1 && match.awayGoals <= 1 ? 2 * match.homeGoals + match.awayGoals : -1;
    if (age > table.age[table.oldest]) table.oldest = k;
    if (age < table.age[table.newest]) table.newest = k;
  });
  table.pairHome = Int32Array.from(pairHome);
  table.pairAway = Int32Array.from(pairAway);
  findArrivals(table);
  return table;
}

/** Sets each team's arrivalAge: the age of its first match after its last absence of over STINT_GAP_DAYS. */
function findArrivals(table: MatchTable): void {
  const { age, home, away, arrivalAge } = table;
  let order = Array.from(age.keys());
  // Oldest first; sorting only when the caller did not already pass the matches in date order.
  if (age.some((value, k) => k > 0 && value > age[k - 1])) order = order.sort((a, b) => age[b] - age[a]);
  const lastSeen = new Float64Array(arrivalAge.length).fill(Number.NaN);
  const see = (team: number, matchAge: number): void => {
    if (!(lastSeen[team] - matchAge <= STINT_GAP_DAYS)) arrivalAge[team] = matchAge;
    lastSeen[team] = matchAge;
  };
  for (const k of order) {
    see(home[k], age[k]);
    see(away[k], age[k]);
  }
}

function withDecay(table: MatchTable, tuning: DixonColesTuning, xi: number): FitData {
  const pairings = table.pairHome.length;
  const data: FitData = {
    ...table,
    weight: table.age.map((age) => Math.exp(-xi * age)),
    teamWeight: new Float64Array(table.teams.length),
    priorStrength: table.arrivalAge.map(
      (age) => tuning.priorStrength + tuning.arrivalPriorStrength * Math.exp(-xi * age),
    ),
    pairWeight: new Float64Array(pairings),
    pairHomeGoals: new Float64Array(pairings),
    pairAwayGoals: new Float64Array(pairings),
    pairCellWeight: new Float64Array(4 * pairings),
  };
  data.weight.forEach((w, k) => {
    const pairing = table.pairing[k];
    data.teamWeight[table.home[k]] += w;
    data.teamWeight[table.away[k]] += w;
    data.pairWeight[pairing] += w;
    data.pairHomeGoals[pairing] += w * table.homeGoals[k];
    data.pairAwayGoals[pairing] += w * table.awayGoals[k];
    if (table.lowScoreCell[k] >= 0) data.pairCellWeight[4 * pairing + table.lowScoreCell[k]] += w;
  });
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
 * Weighted negative log-likelihood (without the constant log-factorial terms), summed per pairing. Home
 * goals ~ Poisson(exp(intercept + home + attack[home] - defence[away])), away goals ~
 * Poisson(exp(intercept + attack[away] - defence[home])), with the Dixon-Coles factor tau on 0-0, 0-1, 1-0
 * and 1-1. Writes the gradient and Hessian when given. Returns Infinity where tau would be non-positive,
 * which the line search treats as a wall.
 */
function negativeLogLikelihood(x: Float64Array, data: FitData, gradient?: Float64Array, hessian?: Float64Array): number {
  const n = data.teams.length;
  const dimension = x.length;
  const { pairHome, pairAway, pairWeight, pairHomeGoals, pairAwayGoals, pairCellWeight } = data;
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
  for (let p = 0; p < pairWeight.length; p++) {
    const h = pairHome[p];
    const a = pairAway[p];
    const w = pairWeight[p];
    const etaHome = intercept + homeAdvantage + x[FIXED + h] - x[defenceOffset + a];
    const etaAway = intercept + x[FIXED + a] - x[defenceOffset + h];
    const lambda = Math.exp(etaHome);
    const mu = Math.exp(etaAway);
    let logLik = pairHomeGoals[p] * etaHome - w * lambda + pairAwayGoals[p] * etaAway - w * mu;
    // First and second derivatives of the log-likelihood in (eta1, eta2, rho), Poisson part first.
    let d1 = pairHomeGoals[p] - w * lambda;
    let d2 = pairAwayGoals[p] - w * mu;
    let dRho = 0;
    let d11 = -w * lambda;
    let d22 = -w * mu;
    let d12 = 0;
    let d1Rho = 0;
    let d2Rho = 0;
    let dRhoRho = 0;

    const w00 = pairCellWeight[4 * p];
    if (w00 > 0) {
      const product = lambda * mu;
      const tau = 1 - product * rho;
      if (!(tau > 0)) return Number.POSITIVE_INFINITY;
      const tau2 = tau * tau;
      logLik += w00 * Math.log(tau);
      d1 -= (w00 * product * rho) / tau;
      d2 -= (w00 * product * rho) / tau;
      dRho -= (w00 * product) / tau;
      d11 -= (w00 * product * rho) / tau2;
      d22 -= (w00 * product * rho) / tau2;
      d12 -= (w00 * product * rho) / tau2;
      d1Rho -= (w00 * product) / tau2;
      d2Rho -= (w00 * product) / tau2;
      dRhoRho -= (w00 * product * product) / tau2;
    }
    const w01 = pairCellWeight[4 * p + 1];
    if (w01 > 0) {
      const tau = 1 + lambda * rho;
      if (!(tau > 0)) return Number.POSITIVE_INFINITY;
      const tau2 = tau * tau;
      logLik += w01 * Math.log(tau);
      d1 += (w01 * lambda * rho) / tau;
      dRho += (w01 * lambda) / tau;
      d11 += (w01 * lambda * rho) / tau2;
      d1Rho += (w01 * lambda) / tau2;
      dRhoRho -= (w01 * lambda * lambda) / tau2;
    }
    const w10 = pairCellWeight[4 * p + 2];
    if (w10 > 0) {
      const tau = 1 + mu * rho;
      if (!(tau > 0)) return Number.POSITIVE_INFINITY;
      const tau2 = tau * tau;
      logLik += w10 * Math.log(tau);
      d2 += (w10 * mu * rho) / tau;
      dRho += (w10 * mu) / tau;
      d22 += (w10 * mu * rho) / tau2;
      d2Rho += (w10 * mu) / tau2;
      dRhoRho -= (w10 * mu * mu) / tau2;
    }
    const w11 = pairCellWeight[4 * p + 3];
    if (w11 > 0) {
      const tau = 1 - rho;
      if (!(tau > 0)) return Number.POSITIVE_INFINITY;
      logLik += w11 * Math.log(tau);
      dRho -= w11 / tau;
      dRhoRho -= w11 / (tau * tau);
    }

    value -= logLik;
    if (!gradient || !hessian) continue;
    homeIndex[2] = FIXED + h;
    homeIndex[3] = defenceOffset + a;
    awayIndex[1] = FIXED + a;
    awayIndex[2] = defenceOffset + h;
    for (let q = 0; q < 4; q++) gradient[homeIndex[q]] -= d1 * homeSign[q];
    for (let q = 0; q < 3; q++) gradient[awayIndex[q]] -= d2 * awaySign[q];
    gradient[2] -= dRho;
    addOuter(hessian, dimension, homeIndex, homeSign, homeIndex, homeSign, -d11);
    addOuter(hessian, dimension, awayIndex, awaySign, awayIndex, awaySign, -d22);
    if (d12 !== 0) {
      addOuter(hessian, dimension, homeIndex, homeSign, awayIndex, awaySign, -d12);
      addOuter(hessian, dimension, awayIndex, awaySign, homeIndex, homeSign, -d12);
    }
    for (let q = 0; q < 4; q++) addSymmetric(hessian, dimension, homeIndex[q], 2, -d1Rho * homeSign[q]);
    for (let q = 0; q < 3; q++) addSymmetric(hessian, dimension, awayIndex[q], 2, -d2Rho * awaySign[q]);
    hessian[2 * dimension + 2] -= dRhoRho;
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
