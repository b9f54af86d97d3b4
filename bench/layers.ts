import Koa, { type Middleware } from "koa";
import { resolveClientAddress } from "../service/src/http/clientAddress";
import { type AppState, sendJsonText } from "../service/src/http/context";
import { handleErrors } from "../service/src/http/middleware/errors";
import { observe } from "../service/src/http/middleware/observe";
import { rateLimit } from "../service/src/http/middleware/rateLimit";
import { securityHeaders } from "../service/src/http/securityHeaders";
import { type Logger, createLogger } from "../service/src/logger";
import { Metrics } from "../service/src/metrics";
import { BYTES_PREFIX, bodyOf } from "./bodies";
import { type Paths, driveInTurn, figuresOf } from "./load";
import { freePort } from "../test/support/net";
import { type ServerProcess, serverEntry, startServer } from "./processes";
import { type RunHeader, runLines } from "./report";

interface LayerDeps {
  logger: Logger;
  metrics: Metrics;
}

/** As the benchmark's service is run (RATE_LIMIT_PER_MINUTE), so that no request is refused. */
const RATE_LIMIT_PER_MINUTE = 1_000_000_000;

/**
 * The middleware the service runs around every API answer, in createApp's order (service/src/http/app.ts), each
 * built as the service builds it and logging at info to stdout as the benchmark's service does. Left out: the
 * draining check (a flag read) and the rate limit's /api guard (a prefix test), which app.ts does not export. The
 * rate limit counts in process: the service's leases (rateLimit.ts) take a Redis round trip once per 1% of the
 * limit, never at the benchmark's.
 */
export const LAYERS: ReadonlyArray<{
  name: string;
  make: (deps: LayerDeps) => Middleware<AppState> | Promise<Middleware<AppState>>;
}> = [
  { name: "request id, metrics and access log", make: ({ metrics, logger }) => observe(metrics, logger) },
  { name: "security headers", make: () => securityHeaders() },
  { name: "client address", make: () => resolveClientAddress([]) },
  { name: "error handling", make: ({ logger }) => handleErrors(logger) },
  { name: "rate limit", make: ({ metrics }) => rateLimit(metrics, { perMinute: RATE_LIMIT_PER_MINUTE }) },
];

/** The yardstick's answer (`/bytes/<n>`), sent as the service sends its JSON text. */
const answerYardstickBody: Middleware<AppState> = (ctx) => {
  if (ctx.path.startsWith(BYTES_PREFIX)) sendJsonText(ctx, bodyOf(ctx.path.slice(BYTES_PREFIX.length)));
};

/**
 * Koa with the first `count` LAYERS in front of the yardstick's answer (bench/layeredServer.ts serves it), logging
 * at info to stdout unless given another logger.
 */
export async function layeredApp(count: number, logger: Logger = createLogger("info")): Promise<Koa<AppState>> {
  if (!Number.isInteger(count) || count < 0 || count > LAYERS.length) {
    throw new Error(`LAYERS must be a whole number from 0 to ${LAYERS.length} (not "${count}")`);
  }
  const deps = { logger, metrics: new Metrics() };
  const app = new Koa<AppState>({ proxy: false });
  for (const layer of LAYERS.slice(0, count)) app.use(await layer.make(deps));
  app.use(answerYardstickBody);
  return app;
}

/** bench/layeredServer.ts with the first `count` layers, in a process of its own, its output in `logFile`. */
export async function startLayeredServer(count: number, logFile: string): Promise<ServerProcess> {
  return startServer({
    name: `layers-${count}`,
    args: [serverEntry("layeredServer")],
    env: { LAYERS: String(count) },
    port: await freePort(),
    readyPath: `${BYTES_PREFIX}2`,
    logFile,
  });
}

export interface LayersRun {
  /** Starts bench/layeredServer.ts with the first `count` layers. */
  start: (count: number) => Promise<ServerProcess>;
  /** The service, its cached predictions warmed, and their paths. */
  service: ServerProcess;
  servicePaths: readonly string[];
  connections: number;
  /** Each server's measured seconds in all, in ROUNDS runs. */
  seconds: number;
  warmupSeconds: number;
  log: (message: string) => void;
}

/** One server's figures; the CPU it added is its CPU per request less the row's above (none for the first). */
export interface LayerRow {
  server: string;
  requestsPerSecond: number;
  ratioToFirst: number;
  cpuMicrosecondsPerRequest: number;
  addedCpuMicroseconds?: number;
  p99Ms: number;
  failures: number;
}

export interface LayersFigures {
  connections: number;
  answerBytes: number;
  rounds: number;
  secondsPerRun: number;
  rows: LayerRow[];
}

/** Each server runs once a round; the order turns round every other round, so that drift weighs on all alike. */
const ROUNDS = 4;

/**
 * What each piece of the service's work around an answer costs (`npm run bench -- --only layers`): Koa and the
 * yardstick's answer alone, then with one more of LAYERS at a time, then the service answering cached predictions
 * of the same size, all driven in turn at the same connections.
 */
export async function measureLayers(run: LayersRun): Promise<LayersFigures> {
  const answer = await fetch(`${run.service.baseUrl}${run.servicePaths[0]}`);
  const answerBytes = Buffer.byteLength(await answer.text());
  const servers: Array<{ name: string; server: ServerProcess; paths: Paths }> = [];
  const sameSize: Paths = { kind: "fixed", path: `${BYTES_PREFIX}${answerBytes}` };
  for (let count = 0; count <= LAYERS.length; count++) {
    const name = count === 0 ? "Koa and the answer alone" : `+ ${LAYERS[count - 1].name}`;
    servers.push({ name, server: await run.start(count), paths: sameSize });
  }
  servers.push({
    name: "the service: + routing, validation and the cached answer's lookup",
    server: run.service,
    paths: { kind: "cycle", paths: run.servicePaths },
  });
  const secondsPerRun = run.seconds / ROUNDS;
  run.log(`layers: ${servers.length} servers in turn, ${ROUNDS} runs of ${secondsPerRun} s each, ${answerBytes} bytes`);
  const { connections, warmupSeconds } = run;
  const samples = await driveInTurn(servers, { rounds: ROUNDS, connections, seconds: secondsPerRun, warmupSeconds });
  const figures = samples.map((sample) => figuresOf(sample));
  const rows = figures.map((figure, index): LayerRow => {
    const cpu = figure.serverCpuMicrosecondsPerRequest;
    return {
      server: servers[index].name,
      requestsPerSecond: figure.requestsPerSecond,
      ratioToFirst: figure.requestsPerSecond / figures[0].requestsPerSecond,
      cpuMicrosecondsPerRequest: cpu,
      ...(index === 0 ? {} : { addedCpuMicroseconds: cpu - figures[index - 1].serverCpuMicrosecondsPerRequest }),
      p99Ms: figure.latencyMs.p99,
      failures: figure.errors + figure.timeouts + figure.non2xx,
    };
  });
  return { connections, answerBytes, rounds: ROUNDS, secondsPerRun, rows };
}

/** The results file of `--only layers`: how it was run, then the table. */
export function renderLayersMarkdown(run: RunHeader & { date: string; layers: LayersFigures }): string {
  const { layers } = run;
  const rows = layers.rows.map((row) =>
    [
      "",
      row.server,
      Math.round(row.requestsPerSecond).toLocaleString("en-US"),
      row.ratioToFirst.toFixed(2),
      row.cpuMicrosecondsPerRequest.toFixed(1),
      row.addedCpuMicroseconds?.toFixed(1) ?? "–",
      row.p99Ms,
      row.failures,
      "",
    ]
      .join(" | ")
      .trim(),
  );
  return [
    `# Benchmark ${run.date}: the service's middleware in layers`,
    "",
    ...runLines("npm run bench -- --only layers", run),
    "",
    `Koa answering ${layers.answerBytes}-byte JSON bodies (a cached prediction's size) alone, then behind one more of`,
    "the service's middleware at a time, in the service's order and built by its own code (`bench/layers.ts`), then",
    "the service answering cached predictions; each server in its own process, driven in turn at",
    `${layers.connections} connections, ${layers.rounds} runs of ${layers.secondsPerRun} s each (the order reversed`,
    `every other round). "Added" is the row's CPU per request less the row's above.`,
    "",
    "| server | req/s | ratio to the first | CPU µs/req | added | p99 ms | failures |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}
