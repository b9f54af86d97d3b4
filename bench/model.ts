import { loadHistoricalResults } from "../service/src/data/historicalResults";
import { fitDixonColes, predictMatch } from "../service/src/domain/dixonColes";
import { fitShotsModel } from "../service/src/domain/shotsModel";
import type { DixonColesParameters } from "../service/src/domain/types";

export interface ModelFigures {
  fit: {
    /** The model the service fits (the shot-blended one, which includes the goals model). */
    model: string;
    league: string;
    seasons: string[];
    matches: number;
    runs: number;
    medianMs: number;
    minMs: number;
    maxMs: number;
    /**
     * Median CPU time of the process during a fit: on a machine shared with other work the wall time also counts
     * the time the fit waited for a core.
     */
    cpuMedianMs: number;
    iterations: number;
    converged: boolean;
    /** The goals model alone on the same matches, for comparison. */
    goalsOnlyMedianMs: number;
  };
  predict: {
    teams: number;
    callsPerRound: number;
    rounds: number;
    medianMicroseconds: number;
    minMicroseconds: number;
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** `calls` predictions cycling through every ordered pair of teams; microseconds per call. */
function timePredictions(parameters: DixonColesParameters, calls: number): number {
  const teams = Object.keys(parameters.teams);
  const pairs = teams.flatMap((home) => teams.filter((away) => away !== home).map((away) => [home, away]));
  let sink = 0;
  const started = process.hrtime.bigint();
  for (let call = 0; call < calls; call++) {
    const [home, away] = pairs[call % pairs.length];
    sink += predictMatch(parameters, home, away).homeWin;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1000;
  if (Number.isNaN(sink)) throw new Error("predictMatch returned NaN");
  return elapsed / calls;
}

/**
 * In-process micro-benchmarks of the model, on the shipped data: a cold refit of one league's whole history as
 * the worker does it (all seventeen Premier League seasons are 6,460 matches with goals and shots), and
 * predicting one match from the fitted parameters.
 */
export function benchmarkModel(options: {
  league: string;
  fitRuns: number;
  predictRounds: number;
  predictCalls: number;
}): ModelFigures {
  const matches = loadHistoricalResults().filter((match) => match.league === options.league);
  const seasons = [...new Set(matches.map((match) => match.season))].sort();
  const asOf = matches.reduce((latest, match) => (match.date > latest ? match.date : latest), matches[0].date);

  const fit = () => fitShotsModel(options.league, matches, { asOf });
  const warm = fit();
  const fitMs: number[] = [];
  const cpuMs: number[] = [];
  const goalsOnlyMs: number[] = [];
  for (let run = 0; run < options.fitRuns; run++) {
    const cpuBefore = process.cpuUsage();
    fitMs.push(fit().metrics.durationMs);
    const cpu = process.cpuUsage(cpuBefore);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    goalsOnlyMs.push(fitDixonColes(options.league, matches, { asOf }).metrics.durationMs);
  }

  timePredictions(warm.parameters, options.predictCalls);
  const predictMicros: number[] = [];
  for (let round = 0; round < options.predictRounds; round++) {
    predictMicros.push(timePredictions(warm.parameters, options.predictCalls));
  }

  return {
    fit: {
      model: warm.parameters.model ?? "",
      league: options.league,
      seasons: [seasons[0], seasons[seasons.length - 1]],
      matches: matches.length,
      runs: options.fitRuns,
      medianMs: median(fitMs),
      minMs: Math.min(...fitMs),
      maxMs: Math.max(...fitMs),
      cpuMedianMs: median(cpuMs),
      iterations: warm.metrics.iterations,
      converged: warm.metrics.converged,
      goalsOnlyMedianMs: median(goalsOnlyMs),
    },
    predict: {
      teams: Object.keys(warm.parameters.teams).length,
      callsPerRound: options.predictCalls,
      rounds: options.predictRounds,
      medianMicroseconds: median(predictMicros),
      minMicroseconds: Math.min(...predictMicros),
    },
  };
}
