// `npm run bench -- --compare <dir>`: the service as built before a change (a copy of service/dist in <dir>) against
// the service as built now, both answering cached predictions in turn. Ratios to bare Koa from separate runs move
// with the VM's speed by more than most changes save; two builds alternating round by round resolve about 1.5 µs
// of CPU per request.
import { existsSync } from "node:fs";
import path from "node:path";
import { type LoadSample, type Paths, driveInTurn, figuresOf } from "./load";
import type { ServerProcess } from "./processes";
import { type RunHeader, runLines } from "./report";

/** Runs of each build, in rounds whose order turns round every other round (AB, BA, AB…; see driveInTurn). */
export const COMPARE_RUNS = { full: { rounds: 10, secondsPerRun: 4 }, quick: { rounds: 3, secondsPerRun: 2 } };

/** Each build's mean CPU per request, and the candidate's difference round by round. */
export interface ComparisonStats {
  baselineMicroseconds: number;
  candidateMicroseconds: number;
  /** The mean of candidate less baseline over the rounds: negative when the candidate costs less. */
  differenceMicroseconds: number;
  /** Of that mean, from the rounds' spread. */
  standardErrorMicroseconds: number;
  /** Rounds in which the candidate cost less. */
  candidateLower: number;
  rounds: number;
}

export function compareRounds(baseline: readonly number[], candidate: readonly number[]): ComparisonStats {
  if (baseline.length !== candidate.length || baseline.length < 2) {
    throw new Error(`a comparison needs as many rounds of each build, at least two (not ${baseline.length} and ${candidate.length})`);
  }
  const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const differences = candidate.map((value, round) => value - baseline[round]);
  const difference = mean(differences);
  const variance = differences.reduce((sum, value) => sum + (value - difference) ** 2, 0) / (differences.length - 1);
  return {
    baselineMicroseconds: mean(baseline),
    candidateMicroseconds: mean(candidate),
    differenceMicroseconds: difference,
    standardErrorMicroseconds: Math.sqrt(variance / differences.length),
    candidateLower: differences.filter((value) => value < 0).length,
    rounds: differences.length,
  };
}

/**
 * The baseline's entry point, `<dir>/main.js`, `dir` as given on the command line (relative to where it was run).
 * It must lie inside the checkout: the copy's `require`s find the packages in the checkout's node_modules.
 */
export function baselineEntry(dir: string, invocationDir: string, repoRoot: string): string {
  const resolved = path.resolve(invocationDir, dir);
  const entry = path.join(resolved, "main.js");
  const inside = path.relative(repoRoot, resolved);
  if (inside === "" || inside.startsWith("..") || path.isAbsolute(inside)) {
    throw new Error(`--compare ${dir}: ${resolved} is not inside the checkout ${repoRoot}, where its packages resolve`);
  }
  if (!existsSync(entry)) {
    throw new Error(`--compare ${dir}: no main.js in ${resolved}; copy the build there before the change (cp -r service/dist service/dist-before)`);
  }
  return entry;
}

export interface ComparisonRun {
  baseline: ServerProcess;
  candidate: ServerProcess;
  paths: Paths;
  connections: number;
  rounds: number;
  secondsPerRun: number;
  warmupSeconds: number;
  log: (message: string) => void;
}

interface BuildFigures {
  cpuMicrosecondsPerRequest: number[];
  requestsPerSecond: number;
  failures: number;
}

export interface ComparisonFigures {
  connections: number;
  rounds: number;
  secondsPerRun: number;
  baseline: BuildFigures;
  candidate: BuildFigures;
  stats: ComparisonStats;
}

const cpuMicroseconds = (sample: LoadSample) => figuresOf([sample]).serverCpuMicrosecondsPerRequest;

export async function measureComparison(run: ComparisonRun): Promise<ComparisonFigures> {
  const { connections, paths, rounds, secondsPerRun: seconds, warmupSeconds } = run;
  run.log(`compare: the baseline and the candidate in turn, ${rounds} runs of ${seconds} s each, ${connections} connections`);
  const builds = [run.baseline, run.candidate].map((server) => ({ server, paths }));
  const samples = await driveInTurn(builds, {
    rounds,
    connections,
    seconds,
    warmupSeconds,
    afterRound: (round, [baseline, candidate]) =>
      run.log(
        `  round ${round + 1}: baseline ${cpuMicroseconds(baseline[round]).toFixed(1)}, ` +
          `candidate ${cpuMicroseconds(candidate[round]).toFixed(1)} µs/request`,
      ),
  });
  const [baseline, candidate] = samples.map((runs): BuildFigures => {
    const figures = figuresOf(runs);
    return {
      cpuMicrosecondsPerRequest: runs.map(cpuMicroseconds),
      requestsPerSecond: figures.requestsPerSecond,
      failures: figures.errors + figures.timeouts + figures.non2xx,
    };
  });
  const stats = compareRounds(baseline.cpuMicrosecondsPerRequest, candidate.cpuMicrosecondsPerRequest);
  return { connections, rounds, secondsPerRun: seconds, baseline, candidate, stats };
}

/** One line: the two builds' CPU per request, the difference with its standard error, and the rounds it won. */
export function summariseComparison(figures: ComparisonFigures): string {
  const { stats } = figures;
  const sign = stats.differenceMicroseconds > 0 ? "+" : "";
  return (
    `baseline ${stats.baselineMicroseconds.toFixed(1)}, candidate ${stats.candidateMicroseconds.toFixed(1)} µs/request: ` +
    `${sign}${stats.differenceMicroseconds.toFixed(2)} ± ${stats.standardErrorMicroseconds.toFixed(2)} µs (standard error), ` +
    `the candidate lower in ${stats.candidateLower} of ${stats.rounds} rounds; ` +
    `${Math.round(figures.baseline.requestsPerSecond)} against ${Math.round(figures.candidate.requestsPerSecond)} req/s`
  );
}

/** The results file of `--compare`: how it was run, the summary, then each round. */
export function renderComparisonMarkdown(run: RunHeader & { name: string; baselineDir: string; comparison: ComparisonFigures }): string {
  const { comparison } = run;
  const rows = comparison.baseline.cpuMicrosecondsPerRequest.map(
    (baseline, round) =>
      `| ${round + 1} | ${baseline.toFixed(1)} | ${comparison.candidate.cpuMicrosecondsPerRequest[round].toFixed(1)} |`,
  );
  return [
    `# Benchmark ${run.name}: two builds of the service compared`,
    "",
    ...runLines(`npm run bench -- --compare ${run.baselineDir}`, run),
    "",
    `The baseline (\`${run.baselineDir}/main.js\`) and the candidate (\`service/dist/main.js\`, the commit above) answering`,
    `cached predictions, each in its own process on one database, driven in turn at ${comparison.connections} connections,`,
    `${comparison.rounds} runs of ${comparison.secondsPerRun} s each (the order reversed every other round). Failures: baseline`,
    `${comparison.baseline.failures}, candidate ${comparison.candidate.failures}.`,
    "",
    summariseComparison(comparison),
    "",
    "| round | baseline CPU µs/request | candidate CPU µs/request |",
    "|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}
