import { request } from "node:http";
import { BYTES_PREFIX } from "./bodies";
import { type LoadFigures, type LoadSample, type Paths, drive, figuresOf } from "./load";
import type { ServerProcess } from "./processes";
import type { Scenario, Target } from "./report";
import { gcPauseSeconds } from "./serviceProbes";
import { type ScenarioId, type Selection, selects } from "./selection";
import { TARGETS, failuresOf, p99RatioTarget, ratio } from "./targets";

export interface MeasureContext {
  selection: Selection;
  warmupSeconds: number;
  /** Bare Koa (bench/yardstick.ts). */
  yardstick: ServerProcess;
  /** Where each measured scenario is appended. */
  scenarios: Scenario[];
  log: (message: string) => void;
}

export type ScenarioDescription = Omit<
  Scenario,
  "id" | "service" | "yardstick" | "yardstickBodyBytes" | "ratios" | "targets"
> & {
  id: ScenarioId;
};

export interface ScenarioRun {
  connections: number;
  seconds: number;
  paths: Paths;
  onSecond?: () => void;
  /** Targets read off the service right after its last run, before anything else asks it for anything. */
  afterService?: () => Promise<Target[]>;
}

/**
 * A path whose answer's headers are measured: for paths asked for in turn, the next in turn, so that the request
 * repeats none of the rotation's (the answer it would repeat may still be kept, and an uncached run is to find none).
 */
function headersPath(paths: Paths, position: { next: number }): string {
  if (paths.kind === "fixed") return paths.path;
  if (paths.kind === "cycle") return paths.paths[0];
  return paths.paths[position.next++ % paths.paths.length];
}

/** The bytes of the status line and headers of `server`'s answer to `path`, as they went over the wire. */
function headerBytes(server: ServerProcess, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(`${server.baseUrl}${path}`, (response) => {
      const { rawHeaders, statusCode, statusMessage } = response;
      let bytes = `HTTP/1.1 ${statusCode} ${statusMessage}\r\n`.length + 2;
      for (let index = 0; index < rawHeaders.length; index += 2) {
        bytes += `${rawHeaders[index]}: ${rawHeaders[index + 1]}\r\n`.length;
      }
      response.resume().on("end", () => resolve(bytes));
    })
      .on("error", reject)
      .end();
  });
}

/**
 * The order of a scenario's runs, S the service's and B bare Koa's, each for an equal share of the scenario's
 * seconds. The VMs this runs on change speed by up to a third within seconds and in both directions (bare Koa alone,
 * measured again and again), and the service and bare Koa are not slowed alike: runs one after the other would
 * count a slow spell against whichever ran in it. Short runs in this order weigh such spells, and any steady drift,
 * on both alike.
 */
export const ORDER = "SBBSSBBS";

/** How long each run of a scenario of `seconds` lasts, its runs taking turns in `order`. */
export const turnSeconds = (seconds: number, order = ORDER) => seconds / (order.length / 2);

const unbroken = (run: ScenarioRun) => run.paths.kind === "each-once" || run.onSecond !== undefined;

/**
 * The service's and bare Koa's runs of a scenario, in ORDER. A scenario that asks for every path once, or samples
 * the service through one unbroken run (the 1,000-connection soak), runs the service once, then bare Koa for the
 * scenario's seconds. Each server's first run is preceded by the warm-up.
 */
async function alternate(
  context: MeasureContext,
  server: ServerProcess,
  run: ScenarioRun,
): Promise<{ service: LoadSample[]; bare: LoadSample[]; bodyBytes: number; serviceTargets: Target[] }> {
  const { warmupSeconds, yardstick } = context;
  const order = unbroken(run) ? "SB" : ORDER;
  const seconds = turnSeconds(run.seconds, order);
  const position = { next: 0 };
  const serviceRun = (warmup: number) =>
    drive(server, { ...run, seconds, warmupSeconds: warmup, position, gcSeconds: () => gcPauseSeconds(server) });
  const service = [await serviceRun(warmupSeconds)];
  const headers = await headerBytes(server, headersPath(run.paths, position));
  const bodyBytes = Math.max(0, Math.round(figuresOf(service).responseBytes - headers));
  const bareRun = (warmup: number) =>
    drive(yardstick, {
      connections: run.connections,
      seconds,
      paths: { kind: "fixed", path: `${BYTES_PREFIX}${bodyBytes}` },
      warmupSeconds: warmup,
    });
  const bare = [await bareRun(warmupSeconds)];
  for (const side of order.slice(2)) {
    if (side === "S") service.push(await serviceRun(0));
    else bare.push(await bareRun(0));
  }
  const serviceTargets = (await run.afterService?.()) ?? [];
  return { service, bare, bodyBytes, serviceTargets };
}

/**
 * Runs one scenario if the selection has it, the service's runs alternating with bare Koa's (`alternate`) at the
 * same connections, bare Koa answering bodies of the mean size the service's were (its mean bytes on the wire less
 * its headers). The figures, the ratios and the targets (`targets`, `afterService`'s, and the p99 ratio every
 * scenario has) are appended to the context's scenarios.
 */
export async function measure(
  context: MeasureContext,
  scenario: ScenarioDescription,
  server: ServerProcess,
  run: ScenarioRun,
  targets: (service: LoadFigures, yardstick: LoadFigures) => Target[],
): Promise<Scenario | undefined> {
  if (!selects(context.selection, scenario.id)) return undefined;
  const { log } = context;
  const order =
    run.paths.kind === "each-once"
      ? `the service (${run.paths.paths.length} requests), then bare Koa (${run.seconds} s)`
      : unbroken(run)
        ? `the service (${run.seconds} s), then bare Koa (${run.seconds} s)`
        : `the service (S) and bare Koa (B) in turn, ${ORDER} (${turnSeconds(run.seconds)} s each)`;
  log(`${scenario.title}: ${order}, ${run.connections} connections`);
  const samples = await alternate(context, server, run);
  const figures = figuresOf(samples.service);
  const bare = figuresOf(samples.bare);
  const { bodyBytes, serviceTargets } = samples;
  const result: Scenario = {
    ...scenario,
    service: figures,
    yardstick: bare,
    yardstickBodyBytes: bodyBytes,
    ratios: {
      requestsPerSecond: ratio(figures.requestsPerSecond, bare.requestsPerSecond),
      p99Latency: ratio(figures.latencyMs.p99, bare.latencyMs.p99),
      cpuPerRequest: ratio(figures.serverCpuMicrosecondsPerRequest, bare.serverCpuMicrosecondsPerRequest),
    },
    targets: [...targets(figures, bare), ...serviceTargets, p99RatioTarget(TARGETS.p99RatioMax, figures, bare)],
  };
  log(
    `  ${Math.round(figures.requestsPerSecond)} req/s (bare Koa ${Math.round(bare.requestsPerSecond)} with ` +
      `${bodyBytes}-byte bodies, ratio ${result.ratios.requestsPerSecond.toFixed(2)}), p99 ${figures.latencyMs.p99} ms ` +
      `(bare Koa ${bare.latencyMs.p99} ms), ${failuresOf(figures)} failures`,
  );
  context.scenarios.push(result);
  return result;
}
