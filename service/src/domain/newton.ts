/**
 * Evaluates the function at `x`, writes its gradient into `gradient` and its Hessian (row-major, n x n) into
 * `hessian`, and returns the value. Returning a non-finite value marks `x` as outside the domain; the line
 * search then steps back.
 */
export type TwiceDifferentiable = (x: Float64Array, gradient: Float64Array, hessian: Float64Array) => number;

export interface MinimiseOptions {
  maxIterations?: number;
  /**
   * Converged once every gradient component is at most this in absolute value, or once the Newton step
   * promises a decrease lost in rounding.
   */
  gradientTolerance?: number;
  /** Indices of parameters held at their start values. */
  frozen?: readonly number[];
}

export interface MinimiseResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
}

const ARMIJO = 1e-4;
const MAX_BACKTRACKS = 40;
const PRECISION_FLOOR = 1e-13;

/**
 * Damped Newton's method with a backtracking Armijo line search. Where the Hessian is not positive
 * definite, a multiple of the identity is added until it is (Levenberg style), so every step is a descent
 * step. Deterministic: the same objective and start always give the same iterates.
 */
export function minimiseNewton(
  objective: TwiceDifferentiable,
  start: Float64Array,
  options: MinimiseOptions = {},
): MinimiseResult {
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.gradientTolerance ?? 1e-6;
  const n = start.length;
  const frozen = options.frozen ?? [];
  const evaluate = (x: Float64Array, gradient: Float64Array, hessian: Float64Array): number => {
    const value = objective(x, gradient, hessian);
    freeze(frozen, gradient, hessian);
    return value;
  };

  let x = Float64Array.from(start);
  let gradient = new Float64Array(n);
  let hessian = new Float64Array(n * n);
  let value = evaluate(x, gradient, hessian);
  if (!Number.isFinite(value)) throw new Error("minimiseNewton: the objective is not finite at the start point");

  const direction = new Float64Array(n);
  const factor = new Float64Array(n * n);
  let trialX = new Float64Array(n);
  let trialGradient = new Float64Array(n);
  let trialHessian = new Float64Array(n * n);
  let iterations = 0;
  let converged = false;

  while (iterations < maxIterations) {
    if (maxAbs(gradient) <= tolerance) {
      converged = true;
      break;
    }
    newtonDirection(hessian, gradient, factor, direction);
    const slope = dot(direction, gradient);
    // The predicted decrease is below rounding noise: a tolerance too tight for the scale of the objective.
    if (-slope <= PRECISION_FLOOR * Math.max(1, Math.abs(value))) {
      converged = true;
      break;
    }
    let step = 1;
    let trialValue = Number.NaN;
    let accepted = false;
    for (let backtrack = 0; backtrack < MAX_BACKTRACKS; backtrack++) {
      for (let i = 0; i < n; i++) trialX[i] = x[i] + step * direction[i];
      trialValue = evaluate(trialX, trialGradient, trialHessian);
      if (Number.isFinite(trialValue) && trialValue <= value + ARMIJO * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    iterations++;
    [x, trialX] = [trialX, x];
    [gradient, trialGradient] = [trialGradient, gradient];
    [hessian, trialHessian] = [trialHessian, hessian];
    value = trialValue;
  }
  return { x, value, iterations, converged };
}

/** Makes frozen parameters invisible to the step: no gradient, and an identity row and column in the Hessian. */
function freeze(frozen: readonly number[], gradient: Float64Array, hessian: Float64Array): void {
  const n = gradient.length;
  for (const i of frozen) {
    gradient[i] = 0;
    for (let j = 0; j < n; j++) {
      hessian[i * n + j] = 0;
      hessian[j * n + i] = 0;
    }
    hessian[i * n + i] = 1;
  }
}

/** Solves (H + damping I) d = -g, raising the damping from zero until the Cholesky factorisation succeeds. */
function newtonDirection(hessian: Float64Array, gradient: Float64Array, factor: Float64Array, direction: Float64Array): void {
  const n = gradient.length;
  let largestDiagonal = 0;
  for (let i = 0; i < n; i++) largestDiagonal = Math.max(largestDiagonal, Math.abs(hessian[i * n + i]));
  let damping = 0;
  for (;;) {
    factor.set(hessian);
    for (let i = 0; i < n; i++) factor[i * n + i] += damping;
    if (choleskyInPlace(factor, n)) break;
    damping = damping === 0 ? 1e-10 * Math.max(largestDiagonal, 1) : damping * 10;
  }
  for (let i = 0; i < n; i++) direction[i] = -gradient[i];
  choleskySolveInPlace(factor, n, direction);
}

/** Overwrites the lower triangle of `a` with L such that a = L L^T; false if `a` is not positive definite. */
function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let diagonal = a[j * n + j];
    for (let k = 0; k < j; k++) diagonal -= a[j * n + k] * a[j * n + k];
    if (!(diagonal > 0)) return false;
    const pivot = Math.sqrt(diagonal);
    a[j * n + j] = pivot;
    for (let i = j + 1; i < n; i++) {
      let sum = a[i * n + j];
      for (let k = 0; k < j; k++) sum -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = sum / pivot;
    }
  }
  return true;
}

function choleskySolveInPlace(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i * n + k] * b[k];
    b[i] = sum / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let sum = b[i];
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i] * b[k];
    b[i] = sum / l[i * n + i];
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function maxAbs(values: Float64Array): number {
  let largest = 0;
  for (const value of values) largest = Math.max(largest, Math.abs(value));
  return largest;
}
