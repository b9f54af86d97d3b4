import type { Scenario } from "./report";

/** The HTTP scenarios, in the order a full run measures them. */
export const SCENARIO_IDS = [
  "health",
  "prediction-cached",
  "prediction-cold",
  "fixtures-cached",
  "fixtures-cold",
  "prediction-1000-connections",
  "prediction-redis-absent",
] as const;

export type ScenarioId = (typeof SCENARIO_IDS)[number];

/**
 * What `--only` asks for: the whole run; the web page alone; what each layer of the service's middleware costs
 * (bench/layers.ts, not part of a full run); or some HTTP scenarios, each still taking turns with its bare Koa runs,
 * for comparing one change against another (printed only: a partial run is no result to keep).
 */
export type Selection =
  | { kind: "all" }
  | { kind: "page" }
  | { kind: "layers" }
  | { kind: "scenarios"; ids: ReadonlySet<ScenarioId> };

const isScenarioId = (id: string): id is ScenarioId => (SCENARIO_IDS as readonly string[]).includes(id);

export function parseSelection(only: string | undefined): Selection {
  if (only === undefined) return { kind: "all" };
  if (only === "page") return { kind: "page" };
  if (only === "layers") return { kind: "layers" };
  const ids = only.split(",").map((id) => id.trim());
  const unknown = ids.filter((id) => !isScenarioId(id));
  if (unknown.length > 0 || ids.length === 0) {
    throw new Error(`--only takes page, layers, or scenario ids separated by commas: ${SCENARIO_IDS.join(", ")} (not "${only}")`);
  }
  return { kind: "scenarios", ids: new Set(ids.filter(isScenarioId)) };
}

export const selects = (selection: Selection, id: ScenarioId) =>
  selection.kind === "all" || (selection.kind === "scenarios" && selection.ids.has(id));

/** A partial run's figures as console lines: each scenario's ratios to bare Koa, and its CPU per request. */
export function summariseRatios(scenarios: readonly Scenario[]): string {
  const lines = scenarios.map((scenario) => {
    const { service, yardstick, ratios } = scenario;
    const missed = scenario.targets.filter((target) => !target.met).map((target) => target.description);
    return [
      `${scenario.title}: throughput ratio ${ratios.requestsPerSecond.toFixed(2)}`,
      `(${Math.round(service.requestsPerSecond)} against ${Math.round(yardstick.requestsPerSecond)} req/s),`,
      `p99 ratio ${ratios.p99Latency.toFixed(2)} (${service.latencyMs.p99} against ${yardstick.latencyMs.p99} ms),`,
      `CPU ${service.serverCpuMicrosecondsPerRequest.toFixed(0)} against ${yardstick.serverCpuMicrosecondsPerRequest.toFixed(0)} µs/request`,
      `(the service's GC pauses ${service.serverGcMicrosecondsPerRequest?.toFixed(1) ?? "unknown"});`,
      missed.length === 0 ? "all targets met" : `missed: ${missed.join("; ")}`,
    ].join(" ");
  });
  return lines.join("\n");
}
