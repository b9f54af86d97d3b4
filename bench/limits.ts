import type { LoadFigures } from "./load";
import type { Scenario } from "./report";
import { TARGETS } from "./targets";
import { LOG_WRITE_BYTES } from "../service/src/logger";

export const SOAK_CONNECTIONS = 1_000;
export const CONNECTIONS = 100;

/** The service's own handling time over a run, from its access log. */
export interface HandlingTimes {
  requests: number;
  p99Ms: number;
  maxMs: number;
}

/** The access log writes `ms` to a tenth of a millisecond: 0 is anything shorter than half of that. */
const loggedMs = (ms: number) => (ms === 0 ? "under 0.05 ms" : `${ms} ms`);

/** The "what limits it" paragraphs, from this run's own figures. */
export function limits(
  cores: number,
  scenarios: Scenario[],
  soak: Scenario,
  handling: HandlingTimes,
): string[] {
  const byId = (id: string) => scenarios.find((scenario) => scenario.id === id) as Scenario;
  const cpu = (figures: LoadFigures) => Math.round(figures.serverCpuMicrosecondsPerRequest);
  const gc = (figures: LoadFigures) => figures.serverGcMicrosecondsPerRequest?.toFixed(1) ?? "an unknown";
  const health = byId("health");
  const cached = byId("prediction-cached");
  const cold = byId("prediction-cold");
  const absent = byId("prediction-redis-absent");
  const fixturesCached = byId("fixtures-cached");
  const fixturesCold = byId("fixtures-cold");
  const rps = (figures: LoadFigures) => Math.round(figures.requestsPerSecond).toLocaleString("en-US");
  const cores2 = (value: number) => value.toFixed(2);
  const ratio2 = (value: number) => value.toFixed(2);
  return [
    `Everything shares ${cores} cores: autocannon (one Node process) used ${cores2(cached.service.generatorCores)} ` +
      `cores while driving cached predictions at 100 connections and ${cores2(soak.service.generatorCores)} at ` +
      `1,000, the service ${cores2(cached.service.serverCores)} and ${cores2(soak.service.serverCores)}; ` +
      "PostgreSQL, Redis and whatever else runs on the machine take the rest (see the load averages in the JSON). " +
      "Throughput is therefore CPU-bound on every side, and absolute figures move with the machine's other load; " +
      "the ratios compare two servers measured in alternating runs under the same conditions.",
    `CPU per request: bare Koa ${cpu(health.yardstick)} µs, /health ${cpu(health.service)} µs, a cached prediction ` +
      `${cpu(cached.service)} µs, a prediction nobody asked for ${cpu(cold.service)} µs with Redis and ` +
      `${cpu(absent.service)} µs without (PostgreSQL's own CPU not counted). Beyond bare Koa, every response carries ` +
      "a request id and metrics, and every API response security headers; API requests add routing, input " +
      `validation, the rate limit, an access-log line (buffered: one write system call per ${LOG_WRITE_BYTES / 1024} kB of lines) and a ` +
      "larger body. A prediction nobody asked for is made in process and serialised (a score grid and some dozens " +
      "of probabilities); with Redis the match comes from the process's copy of every match, without it from a " +
      "PostgreSQL statement shared by the requests of a round trip (a second one for a fixture's stored " +
      "forecast, never a write). A fixtures page costs " +
      `${cpu(fixturesCached.service)} µs cached and ${cpu(fixturesCold.service)} µs uncached: one statement ` +
      "(the matches, each with the current model's stored forecast or, under way or played, its pre-match " +
      "prediction) and a body of some dozens of predictions to serialise.",
    "Of that CPU, garbage collection paused the service for " +
      [health, cached, fixturesCached]
        .map((scenario) => `${gc(scenario.service)} µs per request (${scenario.title})`)
        .join(", ") +
      ". The pauses are the figure that varies most from one service process to the next: in some processes V8 " +
      "promotes most young objects to the old generation at every scavenge, pauses grow several times longer and " +
      "everything the process does costs more; the table's GC column tells such a run apart.",
    `Latency under a closed loop is bounded by throughput (Little's law): each connection waits for its answer, ` +
      `so mean latency is about connections / throughput. At ${rps(soak.service)} req/s, 1,000 connections wait ` +
      `${Math.round((1000 * soak.service.connections) / soak.service.requestsPerSecond)} ms on average. Against bare ` +
      "Koa at the same connections, a scenario's p99 ratio is therefore about the inverse of its throughput ratio " +
      "(times the ratio of the two tails' shapes): a p99 within " +
      `${TARGETS.p99RatioMax} times bare Koa's takes about ${(1 / TARGETS.p99RatioMax).toFixed(2)} of its throughput, ` +
      `more than the ${TARGETS.cachedRatio} and ${TARGETS.databaseRatio} the throughput targets ask. Here, the ` +
      "throughput and p99 ratios were " +
      [cached, cold, fixturesCached]
        .map((scenario) => `${ratio2(scenario.ratios.requestsPerSecond)} and ${ratio2(scenario.ratios.p99Latency)} (${scenario.title})`)
        .join(", ") +
      ". The service's own handling time at 1,000 connections (its access log, from the first middleware to the " +
      `response): p99 ${loggedMs(handling.p99Ms)}, at most ${loggedMs(handling.maxMs)}.`,
    ...(soak.service.timeouts + soak.yardstick.timeouts > 0
      ? [
          `At 1,000 connections ${soak.service.timeouts} requests to the service and ${soak.yardstick.timeouts} to bare ` +
            "Koa got no answer within 10 s." +
            (handling.maxMs < 10_000
              ? " The service never took that long over a request, so that time passed before it read them: on " +
                "connections not accepted yet. 1,000 connections opened at once against a server busy answering " +
                "the others wait in (or overflow) its listen queue (Node's default backlog, 511) and on TCP " +
                "retransmissions; a connection that timed out reconnects and may wait again."
              : ""),
        ]
      : []),
  ];
}
