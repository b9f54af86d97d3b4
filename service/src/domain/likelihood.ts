import type { FitData } from "./matchTable";

/** Intercept, home advantage and rho precede the team attacks, then the defences, in the parameter vector. */
export const FIXED = 3;

/** The newcomer rating the ridge prior pulls toward, relative to the data-weighted mean rating. */
export interface PriorTarget {
  newcomerAttack: number;
  newcomerDefence: number;
}

/**
 * Weighted negative log-likelihood (without the constant log-factorial terms), summed per pairing. The home
 * count ~ Poisson(exp(intercept + home + attack[home] - defence[away])), the away count ~
 * Poisson(exp(intercept + attack[away] - defence[home])), with the Dixon-Coles factor tau on the 0-0, 0-1,
 * 1-0 and 1-1 matches the table marks (none for shot counts). Writes the gradient and Hessian when given.
 * Returns Infinity where tau would be non-positive, which the line search treats as a wall.
 */
export function negativeLogLikelihood(x: Float64Array, data: FitData, gradient?: Float64Array, hessian?: Float64Array): number {
  const n = data.teams.length;
  const dimension = x.length;
  const { pairHome, pairAway, pairWeight, pairHomeCount, pairAwayCount, pairCellWeight } = data;
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
    let logLik = pairHomeCount[p] * etaHome - w * lambda + pairAwayCount[p] * etaAway - w * mu;
    // First and second derivatives of the log-likelihood in (eta1, eta2, rho), Poisson part first.
    let d1 = pairHomeCount[p] - w * lambda;
    let d2 = pairAwayCount[p] - w * mu;
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
export function addPrior(
  x: Float64Array,
  data: FitData,
  target: PriorTarget,
  gradient: Float64Array,
  hessian: Float64Array,
): number {
  const n = data.teams.length;
  return (
    addGroupPrior(x, FIXED, data, target.newcomerAttack, gradient, hessian) +
    addGroupPrior(x, FIXED + n, data, target.newcomerDefence, gradient, hessian)
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

export function fullLogLikelihood(x: Float64Array, data: FitData): number {
  let logFactorials = 0;
  for (let k = 0; k < data.weight.length; k++) {
    logFactorials += data.weight[k] * (logFactorial(data.homeCount[k]) + logFactorial(data.awayCount[k]));
  }
  return -negativeLogLikelihood(x, data) - logFactorials;
}

const LOG_FACTORIALS = [0];
function logFactorial(k: number): number {
  for (let i = LOG_FACTORIALS.length; i <= k; i++) LOG_FACTORIALS.push(LOG_FACTORIALS[i - 1] + Math.log(i));
  return LOG_FACTORIALS[k];
}
