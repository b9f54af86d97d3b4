import { loadavg } from "node:os";
import { type RecordableHistogram, createHistogram } from "node:perf_hooks";
import autocannon, { type Request } from "autocannon";
import type { ServerProcess } from "./processes";

/** Which paths the requests of a run ask for. */
export type Paths =
  | { kind: "fixed"; path: string }
  /** Each connection cycles through the list (autocannon builds each request once). */
  | { kind: "cycle"; paths: readonly string[] }
  /** Every path once, across all connections; the run lasts until all were asked for, whatever `seconds` says. */
  | { kind: "each-once"; paths: readonly string[] }
  /**
   * The paths in turn across all connections (the warm-up and the run continue one rotation), for `seconds`: with
   * more paths than the service keeps answers for, none is asked for again before its answer is gone.
   */
  | { kind: "rotate"; paths: readonly string[] };

export interface LoadRun {
  connections: number;
  seconds: number;
  paths: Paths;
  /** Seconds driven first and not measured, for the JIT and the connections; 0 for none, and none for each-once. */
  warmupSeconds: number;
  /** Called as the measured run starts, every second through it, and as it ends. */
  onSecond?: () => void;
  /** The server's garbage-collection pauses so far, in seconds, where it reports them; read before and after the run. */
  gcSeconds?: () => Promise<number>;
  /** Where "rotate" and "each-once" paths go on from; runs sharing it continue one rotation. */
  position?: { next: number };
}

export interface LoadFigures {
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  /** Of the 2xx answers, to the microsecond (autocannon's own figures are whole milliseconds). */
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** Mean size of an answer on the wire, headers included. */
  responseBytes: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** The server's CPU time during the run, per request. */
  serverCpuMicrosecondsPerRequest: number;
  /** The server's garbage-collection pauses during the run, per request (undefined where it does not report them). */
  serverGcMicrosecondsPerRequest?: number;
  /** Cores the server used on average. */
  serverCores: number;
  /** Cores the load generator (this process) used on average. */
  generatorCores: number;
  /** One-minute load average when the run ended. */
  loadAverage: number;
}

const EACH_ONCE_SAMPLE_MS = 50;

/** Requests that take the paths in turn, whichever connection sends them, from `position.next` on. */
function inTurn(paths: readonly string[], position: { next: number }): Request[] {
  const setupRequest = (request: Request) => ({ ...request, path: paths[position.next++ % paths.length] });
  return [{ method: "GET", setupRequest }];
}

function requestsFor(paths: Paths, position = { next: 0 }): Request[] {
  switch (paths.kind) {
    case "fixed":
      return [{ method: "GET", path: paths.path }];
    case "cycle":
      return paths.paths.map((path) => ({ method: "GET", path }));
    case "each-once":
    case "rotate":
      return inTurn(paths.paths, position);
  }
}

/**
 * What one run measured, kept raw so that several runs of a server add up to one set of figures (figuresOf).
 * Latencies are of the 2xx answers, in microseconds: autocannon's own histogram keeps whole milliseconds, and at
 * 100 connections a p99 of 2 ms against 3 ms is a ratio of 1.5 or of 1.0 by truncation alone.
 */
export interface LoadSample {
  connections: number;
  seconds: number;
  requests: number;
  latencies: RecordableHistogram;
  responses: number;
  responseBytes: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  serverCpuSeconds: number;
  /** Undefined where the server does not report its pauses. */
  serverGcSeconds?: number;
  generatorCpuSeconds: number;
  elapsedSeconds: number;
  loadAverage: number;
}

function recordResponses(instance: ReturnType<typeof autocannon>) {
  const latencies: RecordableHistogram = createHistogram();
  const totals = { responses: 0, responseBytes: 0 };
  instance.on("response", (_client, statusCode, bytes, responseTimeMs) => {
    if (statusCode < 200 || statusCode > 299) return;
    latencies.record(Math.max(1, Math.round(responseTimeMs * 1000)));
    totals.responses += 1;
    totals.responseBytes += bytes;
  });
  return { latencies, totals };
}

const sum = (samples: readonly LoadSample[], figure: (sample: LoadSample) => number) =>
  samples.reduce((total, sample) => total + figure(sample), 0);

/** The figures of one or more runs of the same server and connections, as if they had been one run. */
export function figuresOf(samples: readonly LoadSample[]): LoadFigures {
  const latencies = createHistogram();
  for (const sample of samples) latencies.add(sample.latencies);
  const seconds = sum(samples, (sample) => sample.seconds);
  const elapsed = sum(samples, (sample) => sample.elapsedSeconds);
  const requests = sum(samples, (sample) => sample.requests);
  const responses = sum(samples, (sample) => sample.responses);
  const serverCpu = sum(samples, (sample) => sample.serverCpuSeconds);
  const gcSeconds = samples.some((sample) => sample.serverGcSeconds === undefined)
    ? undefined
    : sum(samples, (sample) => sample.serverGcSeconds ?? 0);
  const perRequest = (total: number) => (requests === 0 ? 0 : (total * 1e6) / requests);
  const ms = (microseconds: number) => Math.round(microseconds / 10) / 100;
  return {
    connections: samples[0].connections,
    seconds,
    requests,
    requestsPerSecond: requests / seconds,
    latencyMs: {
      mean: responses === 0 ? 0 : ms(latencies.mean),
      p50: ms(latencies.percentile(50)),
      p90: ms(latencies.percentile(90)),
      p99: ms(latencies.percentile(99)),
      max: responses === 0 ? 0 : ms(latencies.max),
    },
    responseBytes: responses === 0 ? 0 : sum(samples, (sample) => sample.responseBytes) / responses,
    errors: sum(samples, (sample) => sample.errors),
    timeouts: sum(samples, (sample) => sample.timeouts),
    non2xx: sum(samples, (sample) => sample.non2xx),
    serverCpuMicrosecondsPerRequest: perRequest(serverCpu),
    ...(gcSeconds === undefined ? {} : { serverGcMicrosecondsPerRequest: perRequest(gcSeconds) }),
    serverCores: serverCpu / elapsed,
    generatorCores: sum(samples, (sample) => sample.generatorCpuSeconds) / elapsed,
    loadAverage: samples[samples.length - 1].loadAverage,
  };
}

/** Drives `server` with autocannon from this process and measures the server's CPU time alongside. */
export async function drive(server: ServerProcess, run: LoadRun): Promise<LoadSample> {
  const options = { url: server.baseUrl, connections: run.connections };
  const position = run.position ?? { next: 0 };
  if (run.warmupSeconds > 0 && run.paths.kind !== "each-once") {
    await autocannon({ ...options, requests: requestsFor(run.paths, position), duration: run.warmupSeconds });
  }
  const gcBefore = await run.gcSeconds?.();
  const serverCpuBefore = server.cpuSeconds();
  const generatorCpuBefore = process.cpuUsage();
  const started = performance.now();
  run.onSecond?.();
  const ticker = run.onSecond === undefined ? undefined : setInterval(run.onSecond, 1_000);
  const amount = run.paths.kind === "each-once" ? run.paths.paths.length : undefined;
  const instance = autocannon({
    ...options,
    requests: requestsFor(run.paths, position),
    duration: run.seconds,
    // autocannon notices the last of `amount` answers only at its next sample (lib/run.js, tickInterval): at one a
    // second, a run of a few seconds would be timed up to a second long and its throughput understated by a fifth.
    ...(amount === undefined ? {} : { amount, sampleInt: EACH_ONCE_SAMPLE_MS }),
  });
  const { latencies, totals } = recordResponses(instance);
  const result = await instance;
  clearInterval(ticker);
  run.onSecond?.();
  const elapsedSeconds = (performance.now() - started) / 1000;
  const serverCpuSeconds = server.cpuSeconds() - serverCpuBefore;
  const generatorCpu = process.cpuUsage(generatorCpuBefore);
  const gcAfter = await run.gcSeconds?.();
  return {
    connections: run.connections,
    seconds: result.duration,
    requests: result.requests.total,
    latencies,
    ...totals,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    serverCpuSeconds,
    ...(gcBefore === undefined || gcAfter === undefined ? {} : { serverGcSeconds: gcAfter - gcBefore }),
    generatorCpuSeconds: (generatorCpu.user + generatorCpu.system) / 1e6,
    elapsedSeconds,
    loadAverage: loadavg()[0],
  };
}

/**
 * Drives each server in turn for `rounds` rounds of `seconds`, the order reversed every other round so that a drift
 * of the machine's speed weighs on all alike, each server warmed up before its first run. Each server's samples, in
 * round order; `afterRound` sees them as each round ends.
 */
export async function driveInTurn(
  servers: ReadonlyArray<{ server: ServerProcess; paths: Paths }>,
  run: {
    rounds: number;
    connections: number;
    seconds: number;
    warmupSeconds: number;
    afterRound?: (round: number, samples: readonly LoadSample[][]) => void;
  },
): Promise<LoadSample[][]> {
  const { connections, seconds } = run;
  const samples: LoadSample[][] = servers.map(() => []);
  const forward = servers.map((_, index) => index);
  for (let round = 0; round < run.rounds; round++) {
    for (const index of round % 2 === 0 ? forward : [...forward].reverse()) {
      const { server, paths } = servers[index];
      const warmupSeconds = round === 0 ? run.warmupSeconds : 0;
      samples[index].push(await drive(server, { connections, seconds, paths, warmupSeconds }));
    }
    run.afterRound?.(round, samples);
  }
  return samples;
}
