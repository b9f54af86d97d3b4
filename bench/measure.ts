import { request } from "node:http";
import { type LoadFigures, type Paths, drive } from "./load";
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
  /** Targets read off the service right after its run, before anything else asks it for anything. */
  afterService?: () => Promise<Target[]>;
}

const firstPath = (paths: Paths) => (paths.kind === "fixed" ? paths.path : paths.paths[0]);

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
 * Runs one scenario if the selection has it: the service first, then bare Koa with the same connections and
 * duration, answering bodies of the mean size the service's were (its mean bytes on the wire less its headers).
 * The figures, the ratios and the targets (`targets`, `afterService`'s, and the p99 ratio every scenario has) are
 * appended to the context's scenarios.
 */
export async function measure(
  context: MeasureContext,
  scenario: ScenarioDescription,
  server: ServerProcess,
  run: ScenarioRun,
  targets: (service: LoadFigures, yardstick: LoadFigures) => Target[],
): Promise<Scenario | undefined> {
  if (!selects(context.selection, scenario.id)) return undefined;
  const { log, warmupSeconds } = context;
  const length = run.paths.kind === "each-once" ? `${run.paths.paths.length} requests` : `${run.seconds} s`;
  log(`${scenario.title}: the service (${length}), then bare Koa (${run.seconds} s), ${run.connections} connections`);
  const figures = await drive(server, { ...run, warmupSeconds, gcSeconds: () => gcPauseSeconds(server) });
  const serviceTargets = (await run.afterService?.()) ?? [];
  const headers = await headerBytes(server, firstPath(run.paths));
  const bodyBytes = Math.max(0, Math.round(figures.responseBytes - headers));
  const bare = await drive(context.yardstick, {
    connections: run.connections,
    seconds: run.seconds,
    paths: { kind: "fixed", path: `/bytes/${bodyBytes}` },
    warmupSeconds,
  });
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
