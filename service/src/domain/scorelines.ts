import type { MatchPrediction, ScorelineProbability } from "./types";

/** Scorelines beyond this many goals per side are cut off and the rest renormalised. */
export const MAX_GOALS = 10;

const SIDE = MAX_GOALS + 1;
const homePmf = new Float64Array(SIDE);
const awayPmf = new Float64Array(SIDE);
const TOP_SCORES = 5;

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

/**
 * The probability of each scoreline up to `maxGoals` a side (rows: home goals, columns: away goals), on the same
 * renormalised distribution as predictFromRates, for drawing the score grid.
 */
export function scoreGrid(lambda: number, mu: number, rho: number, maxGoals: number): number[][] {
  poissonPmf(lambda, homePmf);
  poissonPmf(mu, awayPmf);
  // The total over every scoreline up to MAX_GOALS: the product of the two marginals' sums, corrected in the four
  // low-score cells (computed, not summed cell by cell: every uncached prediction draws a grid).
  let total = sum(homePmf) * sum(awayPmf);
  for (let i = 0; i <= 1; i++) {
    for (let j = 0; j <= 1; j++) total += homePmf[i] * awayPmf[j] * (Math.max(0, lowScoreFactor(i, j, lambda, mu, rho)) - 1);
  }
  const side = Math.min(maxGoals, MAX_GOALS) + 1;
  const grid: number[][] = [];
  for (let i = 0; i < side; i++) {
    const row: number[] = [];
    for (let j = 0; j < side; j++) {
      const tau = i <= 1 && j <= 1 ? Math.max(0, lowScoreFactor(i, j, lambda, mu, rho)) : 1;
      row.push((homePmf[i] * awayPmf[j] * tau) / total);
    }
    grid.push(row);
  }
  return grid;
}

function sum(values: Float64Array): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
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
