// What the benchmark asks the service itself, beside the load: warming its caches, its counters and its access log.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { HandlingTimes } from "./limits";
import type { ServerProcess } from "./processes";
import type { Target } from "./report";
import { uncachedTarget } from "./targets";

/**
 * Asks for each path twice, one at a time: the first computes and stores the prediction, the second finds it in
 * Redis and leaves a copy in the service's memory. Without this, connections starting in step would all miss
 * on the same match at once.
 */
export async function warm(server: ServerProcess, paths: readonly string[]): Promise<void> {
  for (const requestPath of [...paths, ...paths]) {
    const response = await fetch(`${server.baseUrl}${requestPath}`);
    if (response.status !== 200) throw new Error(`${requestPath} answered ${response.status}: ${await response.text()}`);
  }
}

/**
 * How long the service itself took over the requests it logged between two instants: the `ms` of its access
 * log (from its first middleware to the response), which leaves out time spent waiting to be accepted or read.
 * Read line by line: a run's log outgrows the longest string Node can hold.
 */
export async function loggedDurations(logFile: string, from: Date, to: Date): Promise<HandlingTimes> {
  const durations: number[] = [];
  for await (const line of createInterface({ input: createReadStream(logFile), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (!line.includes('"msg":"request"')) continue;
    const entry = JSON.parse(line) as { time: string; ms: number };
    const time = new Date(entry.time);
    if (time >= from && time <= to) durations.push(entry.ms);
  }
  durations.sort((a, b) => a - b);
  return {
    requests: durations.length,
    p99Ms: durations[Math.floor(durations.length * 0.99)] ?? 0,
    maxMs: durations[durations.length - 1] ?? 0,
  };
}

/** The service's /metrics now, as a sum over the samples a pattern (global, multiline, value in group 1) matches. */
async function metricSums(server: ServerProcess): Promise<(pattern: RegExp) => number> {
  const text = await (await fetch(`${server.opsUrl}/metrics`)).text();
  return (pattern) => [...text.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
}

export interface PredictionCounters {
  hits: number;
  catalogueDrops: number;
}
/** Before a run that is not selected: nothing is read from it. */
export const UNREAD: PredictionCounters = { hits: 0, catalogueDrops: 0 };

/**
 * Predictions the service answered from a cache so far, and how often its copy of every match was dropped (its
 * /metrics): an uncached run must have no hit, and a drop during it is where hits come from (while the copy
 * reloads, predictions go through the database path, which fills Redis).
 */
export async function predictionCounters(server: ServerProcess): Promise<PredictionCounters> {
  const sum = await metricSums(server);
  return {
    hits: sum(/^cache_hits_total\{cache="predictions"\} (\d+)/gm),
    catalogueDrops: sum(/^match_catalogue_drops_total\{[^}]*\} (\d+)/gm),
  };
}

/** The uncached target of a run, from the counters before it and now. */
export async function uncachedSince(server: ServerProcess, before: PredictionCounters): Promise<Target> {
  const now = await predictionCounters(server);
  return uncachedTarget(now.hits - before.hits, now.catalogueDrops - before.catalogueDrops);
}

/**
 * The service's garbage-collection pauses so far, in seconds: prom-client's nodejs_gc_duration_seconds, summed over
 * its kinds (minor, major, incremental marking, weak callbacks). Time the main thread stood still for the collector,
 * which is part of the CPU time per request the benchmark reports, and the part that varies most between runs.
 */
export async function gcPauseSeconds(server: ServerProcess): Promise<number> {
  return (await metricSums(server))(/^nodejs_gc_duration_seconds_sum\{[^}]*\} ([\d.e+-]+)/gm);
}
