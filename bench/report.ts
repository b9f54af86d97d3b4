import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, release, totalmem } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../test/support/processes";
import type { LoadFigures } from "./load";
import { ORDER } from "./measure";
import type { ModelFigures } from "./model";
import { type PageFigures, renderPageMarkdown } from "./page";
import { TARGETS } from "./targets";

export interface Machine {
  cpuModel: string;
  cores: number;
  totalMemoryBytes: number;
  freeMemoryBytesAtStart: number;
  /** 1, 5 and 15 minute load averages when the benchmark started. */
  loadAverageAtStart: number[];
  node: string;
  kernel: string;
}

export function describeMachine(): Machine {
  const modelLine = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
  return {
    cpuModel: modelLine?.[1] ?? cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    totalMemoryBytes: totalmem(),
    freeMemoryBytesAtStart: freemem(),
    loadAverageAtStart: loadavg(),
    node: process.version,
    kernel: release(),
  };
}

export interface Target {
  /** The targets every scenario is tabled by: its throughput and p99 against bare Koa's. */
  kind?: "throughput-ratio" | "p99-ratio";
  description: string;
  measured: string;
  met: boolean;
}

export interface Scenario {
  id: string;
  title: string;
  request: string;
  setup: string;
  service: LoadFigures;
  yardstick: LoadFigures;
  /** The size of bare Koa's answers in this scenario: the service's mean body size in it. */
  yardstickBodyBytes: number;
  /** Service over yardstick; for CPU per request, how many times the yardstick's cost. */
  ratios: { requestsPerSecond: number; p99Latency: number; cpuPerRequest: number };
  targets: Target[];
}

export interface MemorySamples {
  startBytes: number;
  halfwayBytes: number;
  endBytes: number;
  maxBytes: number;
  /** One sample a second through the run. */
  samplesBytes: number[];
}

export interface BenchResult {
  date: string;
  startedAt: string;
  code: { commit: string; uncommittedChanges: boolean };
  machine: Machine;
  settings: Record<string, string | number | boolean>;
  scenarios: Scenario[];
  soakMemory: MemorySamples;
  /** The service's own handling time during the 1,000-connection run, from its access log. */
  soakHandling: { requests: number; p99Ms: number; maxMs: number };
  model: ModelFigures & { targets: Target[] };
  page: PageFigures;
  limits: string[];
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const fixed = (value: number, digits = 2) => value.toFixed(digits);
const whole = (value: number) => Math.round(value).toLocaleString("en-US");
const yesNo = (met: boolean) => (met ? "yes" : "**no**");

/** When a run started, on what code and machine: what every results file records first. */
export type RunHeader = Pick<BenchResult, "startedAt" | "code" | "machine">;

/** Which command ran, when, on what code and machine: the opening lines of each results file. */
export function runLines(command: string, run: RunHeader): string[] {
  const { machine } = run;
  return [
    `Run with \`${command}\` (started ${run.startedAt}) on commit ${run.code.commit}` +
      `${run.code.uncommittedChanges ? " plus uncommitted changes" : ""}. Machine: ${machine.cpuModel}, ${machine.cores} cores,`,
    `${mb(machine.totalMemoryBytes)} memory (${mb(machine.freeMemoryBytesAtStart)} free), Linux ${machine.kernel}, Node ${machine.node};`,
    `load average at start ${machine.loadAverageAtStart.map((value) => fixed(value)).join(" / ")} (1/5/15 min).`,
  ];
}

/** "yes"/"no" against the scenario's target of that kind, with the bound; "–" when it has none. */
function verdict(scenario: Scenario, kind: NonNullable<Target["kind"]>): string {
  const target = scenario.targets.find((candidate) => candidate.kind === kind);
  return target === undefined ? "–" : yesNo(target.met);
}

function scenarioRows(scenario: Scenario): string {
  const { service, yardstick, ratios } = scenario;
  const failures = (figures: LoadFigures) => figures.errors + figures.non2xx;
  return [
    `| ${scenario.title} | ${service.connections} | ${whole(scenario.yardstickBodyBytes)}`,
    `| ${whole(service.requestsPerSecond)} | ${whole(yardstick.requestsPerSecond)}`,
    `| **${fixed(ratios.requestsPerSecond)}** | ${verdict(scenario, "throughput-ratio")}`,
    `| ${service.latencyMs.p50} / ${service.latencyMs.p99} | ${yardstick.latencyMs.p50} / ${yardstick.latencyMs.p99}`,
    `| **${fixed(ratios.p99Latency)}** | ${verdict(scenario, "p99-ratio")}`,
    `| ${whole(service.serverCpuMicrosecondsPerRequest)} | ${service.serverGcMicrosecondsPerRequest?.toFixed(1) ?? "–"}`,
    `| ${whole(yardstick.serverCpuMicrosecondsPerRequest)}`,
    `| ${failures(service)} (${failures(yardstick)}) |`,
  ].join(" ");
}

export function renderMarkdown(result: BenchResult): string {
  const { fit, predict } = result.model;
  const lines = [
    `# Benchmark ${result.date}`,
    "",
    ...runLines("npm run bench", result),
    "",
    "Settings: " +
      Object.entries(result.settings)
        .map(([name, value]) => `${name} ${value}`)
        .join("; ") +
      ".",
    "",
    "## HTTP: the service against bare Koa",
    "",
    "Each scenario alternates the service (S) with the yardstick (B, bare Koa in its own process) at the same",
    `connections, in ${ORDER.length} runs of equal length in the order ${ORDER}, so that the machine's changes of speed weigh`,
    "on both alike (the uncached fixtures page, which asks for each range once, and the 1,000-connection run,",
    "sampled through one unbroken run, have the service's run, then bare Koa's). Bare Koa",
    "answers a body of the mean size the service's answers had in the scenario (\"bytes\"): what an answer's size",
    "costs the kernel and the load generator sharing the machine is then the same on both sides, and the ratio is",
    "the service's own overhead. Latency in ms, to the microsecond, of a closed loop (each",
    "connection sends its next request when its answer arrives); CPU is the server process's own CPU time per",
    "request (PostgreSQL's and Redis's not included), and of it the service's garbage-collection pauses (its",
    "nodejs_gc_duration_seconds). Errors count connection errors and timeouts (no answer",
    "within 10 s); bare Koa's in brackets. The targets: throughput at least",
    `${TARGETS.healthRatio} of bare Koa's for /health, ${TARGETS.cachedRatio} for a cached prediction or fixtures page,`,
    `${TARGETS.databaseRatio} for an uncached prediction ("–": none set); every scenario's p99 at most`,
    `${TARGETS.p99RatioMax} times bare Koa's.`,
    "",
    "| scenario | connections | bytes | req/s | bare Koa req/s | ratio | ratio met | p50 / p99 | bare Koa p50 / p99 | p99 ratio | p99 met | CPU µs/req | of it GC pauses | bare Koa CPU µs/req | errors + non-2xx |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...result.scenarios.map(scenarioRows),
    "",
    "| scenario | target | measured | met |",
    "|---|---|---|---|",
    ...result.scenarios.flatMap((scenario) =>
      scenario.targets.map(
        (target) => `| ${scenario.title} | ${target.description} | ${target.measured} | ${yesNo(target.met)} |`,
      ),
    ),
    ...result.model.targets.map((target) => `| model | ${target.description} | ${target.measured} | ${yesNo(target.met)} |`),
    "",
    "Scenarios:",
    "",
    ...result.scenarios.map((scenario) => `- **${scenario.title}** (\`${scenario.request}\`): ${scenario.setup}`),
    "",
    `Resident memory of the service through the 1,000-connection run: ${mb(result.soakMemory.startBytes)} at the start,`,
    `${mb(result.soakMemory.halfwayBytes)} halfway, ${mb(result.soakMemory.endBytes)} at the end, ${mb(result.soakMemory.maxBytes)} at most`,
    "(one sample a second in the JSON).",
    "",
    "## Model (in-process micro-benchmarks, no yardstick)",
    "",
    `- Fit (${fit.model}, cold): ${fit.league} seasons ${fit.seasons.join(" to ")}, ${whole(fit.matches)} matches: median ${fixed(fit.medianMs, 1)} ms`,
    `  over ${fit.runs} fits (min ${fixed(fit.minMs, 1)}, max ${fixed(fit.maxMs, 1)}; median CPU time ${fixed(fit.cpuMedianMs, 1)} ms); ${fit.iterations} Newton iterations, converged: ${fit.converged};`,
    `  the goals model alone: median ${fixed(fit.goalsOnlyMedianMs, 1)} ms.`,
    `- Prediction: median ${fixed(predict.medianMicroseconds)} µs per \`predictMatch\` call (best round ${fixed(predict.minMicroseconds)} µs;`,
    `  ${predict.rounds} rounds of ${whole(predict.callsPerRound)} calls over all pairs of ${predict.teams} teams).`,
    "",
    ...renderPageMarkdown(result.page),
    "## What limits it",
    "",
    ...result.limits.flatMap((paragraph) => [paragraph, ""]),
  ];
  return `${lines.join("\n").trimEnd()}\n`;
}

const RESULTS_DIR = path.join(REPO_ROOT, "bench/results");

/**
 * A run's name: `base` (its UTC date, with `-layers`, `-page` or `-compare` for those runs alone), then <base>-2,
 * -3… for later runs of the kind that day, so that no run replaces the figures of another that may be committed
 * and cited (a quick run is named <base>-quick instead, and replaces only the day's earlier quick run).
 */
export function unusedRunName(base: string): string {
  const taken = (name: string) => existsSync(path.join(RESULTS_DIR, `${name}.json`));
  let name = base;
  for (let n = 2; taken(name); n++) name = `${base}-${n}`;
  return name;
}

/** Writes bench/results/<name>.json and .md; what it wrote, for the log. */
export function writeResults(name: string, json: string, markdown: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, `${name}.json`), json);
  writeFileSync(path.join(RESULTS_DIR, `${name}.md`), markdown);
  return `bench/results/${name}.json and .md`;
}
