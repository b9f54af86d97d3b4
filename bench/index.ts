// `npm run bench [-- --duration 15] [--soak-duration 60] [--quick] [--skip-build] [--only page]`
//
// Builds the service and the web page, gives the service a fresh migrated, seeded and fitted database, runs it
// (PostgreSQL and Redis, one process, rate limit raised) next to a bare Koa yardstick, times the web page's first
// fixtures in Chromium, drives both servers with autocannon from this process and runs the model
// micro-benchmarks; writes bench/results/<date>.json and .md. `--only page` times the page alone and writes
// bench/results/<date>-page.json and .md. See README.md, "Performance".
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../test/support/net";
import { REPO_ROOT } from "../test/support/processes";
import { makeTempDir } from "../test/support/tempDir";
import { REDIS_URL, createBenchDatabase, deleteRedisKeys } from "./database";
import { type LoadFigures, type Paths, drive } from "./load";
import { benchmarkModel } from "./model";
import { type PageFigures, benchmarkPage, renderPageMarkdown } from "./page";
import { type ServerProcess, startServer } from "./processes";
import { type BenchResult, type MemorySamples, type Scenario, type Target, describeMachine, renderMarkdown } from "./report";

const HOT_MATCHES = 100;
const SOAK_CONNECTIONS = 1_000;
const CONNECTIONS = 100;
const TARGETS = {
  healthRatio: 0.85,
  cachedRatio: 0.6,
  cachedP99Ms: 10,
  databaseRatio: 0.3,
  soakP99Ms: 50,
  /**
   * Resident memory at the end of the 1,000-connection run at most this much above its value halfway: the first
   * half includes the heap growing to its working size under the load, steady growth after that is a leak.
   */
  soakRssGrowth: 0.1,
  /** A cold refit of a league's whole history (issue 15: well under 100 ms). */
  fitMs: 100,
  predictMicroseconds: 20,
};

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: "15" },
      "soak-duration": { type: "string", default: "60" },
      quick: { type: "boolean", default: false },
      "skip-build": { type: "boolean", default: false },
      only: { type: "string" },
    },
    strict: true,
  });
  const seconds = (name: string, text: string) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < 1) throw new Error(`--${name} must be a number of seconds (at least 1)`);
    return value;
  };
  const quick = values.quick;
  if (values.only !== undefined && values.only !== "page") throw new Error(`--only takes one scenario: page (not "${values.only}")`);
  return {
    onlyPage: values.only === "page",
    pageLoads: quick ? 3 : 10,
    quick,
    seconds: quick ? 3 : seconds("duration", values.duration),
    soakSeconds: quick ? 10 : seconds("soak-duration", values["soak-duration"]),
    warmupSeconds: quick ? 1 : 3,
    build: !values["skip-build"],
    /** Requests of each uncached scenario: every never-asked match of its half, or fewer when quick. */
    coldLimit: quick ? 1_500 : Number.POSITIVE_INFINITY,
    model: quick
      ? { league: "E0", fitRuns: 3, predictRounds: 3, predictCalls: 20_000 }
      : { league: "E0", fitRuns: 10, predictRounds: 7, predictCalls: 200_000 },
  };
}

/**
 * Asks for each path twice, one at a time: the first computes and stores the prediction, the second finds it in
 * Redis and leaves a copy in the service's memory. Without this, connections starting in step would all miss
 * on the same match at once.
 */
async function warm(server: ServerProcess, paths: readonly string[]): Promise<void> {
  for (const requestPath of [...paths, ...paths]) {
    const response = await fetch(`${server.baseUrl}${requestPath}`);
    if (response.status !== 200) throw new Error(`${requestPath} answered ${response.status}: ${await response.text()}`);
  }
}

/** The commit measured, and whether the working tree differed from it (read-only git commands). */
function codeVersion(): { commit: string; uncommittedChanges: boolean } {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  return { commit: git("rev-parse", "--short", "HEAD"), uncommittedChanges: git("status", "--porcelain") !== "" };
}

/**
 * How long the service itself took over the requests it logged between two instants: the `ms` of its access
 * log (from its first middleware to the response), which leaves out time spent waiting to be accepted or read.
 */
function loggedDurations(logFile: string, from: Date, to: Date): { requests: number; p99Ms: number; maxMs: number } {
  const durations: number[] = [];
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
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

const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

const ratio = (service: number, yardstick: number) => (yardstick === 0 ? 0 : service / yardstick);
const failuresOf = (figures: LoadFigures) => figures.errors + figures.timeouts + figures.non2xx;

function ratioTarget(minimum: number, service: LoadFigures, yardstick: LoadFigures): Target {
  const measured = ratio(service.requestsPerSecond, yardstick.requestsPerSecond);
  return {
    description: `at least ${minimum} of bare Koa's requests per second`,
    measured: measured.toFixed(2),
    met: measured >= minimum,
  };
}

function p99Target(maximumMs: number, figures: LoadFigures): Target {
  return {
    description: `p99 at most ${maximumMs} ms at ${figures.connections.toLocaleString("en-US")} connections`,
    measured: `${figures.latencyMs.p99} ms`,
    met: figures.latencyMs.p99 <= maximumMs,
  };
}

function noFailuresTarget(figures: LoadFigures): Target {
  return {
    description: "no errors, timeouts or non-2xx answers",
    measured: `${figures.errors} errors, ${figures.timeouts} timeouts, ${figures.non2xx} non-2xx`,
    met: failuresOf(figures) === 0,
  };
}

/**
 * The first HOT_MATCHES match ids are the cached ones; the others are split in two halves of never-asked
 * matches, one per uncached scenario, so each of their requests computes a prediction nobody asked for before.
 */
function matchPaths(matchIds: { min: number; max: number }, coldLimit: number) {
  const path = (id: number) => `/api/v1/predictions/${id}`;
  const ids = Array.from({ length: matchIds.max - matchIds.min + 1 }, (_, i) => matchIds.min + i);
  const cold = ids.slice(HOT_MATCHES);
  const half = Math.floor(cold.length / 2);
  return {
    hot: ids.slice(0, HOT_MATCHES).map(path),
    coldWithRedis: cold.slice(0, Math.min(half, coldLimit)).map(path),
    coldWithoutRedis: cold.slice(half, half + Math.min(half, coldLimit)).map(path),
  };
}

async function main(): Promise<void> {
  const settings = options();
  const startedAt = new Date();
  const date = startedAt.toISOString().slice(0, 10);
  const machine = describeMachine();
  log(`${machine.cpuModel}, ${machine.cores} cores, load average ${machine.loadAverageAtStart.join(" ")}`);

  if (settings.build) {
    log("building the web page and the service (npm run build)");
    execFileSync("npm", ["run", "--silent", "build"], { cwd: REPO_ROOT, stdio: "inherit" });
  }

  const runId = `${process.pid}_${randomBytes(3).toString("hex")}`;
  const cachePrefix = `fp-bench:${runId}:`;
  const workDir = makeTempDir("fp-bench-");
  const started: ServerProcess[] = [];
  log("creating, migrating, seeding and fitting a fresh database");
  const database = await createBenchDatabase(`fp_bench_${runId}`);
  try {
    const modelFigures = settings.onlyPage ? undefined : (log("model micro-benchmarks"), benchmarkModel(settings.model));

    const serviceEnv = {
      DATABASE_URL: database.url,
      REDIS_URL,
      CACHE_PREFIX: cachePrefix,
      RATE_LIMIT_PER_MINUTE: "1000000000",
      APP_ENV: "dev",
      JWT_SECRET: randomBytes(32).toString("hex"),
      LOG_LEVEL: "info",
      // Longer than the whole run, so the cached scenarios stay cached however long they are made to run.
      CACHE_TTL_SECONDS: "3600",
      SHUTDOWN_GRACE_SECONDS: "5",
    };
    const startService = async (name: string, env: Record<string, string>) => {
      const server = await startServer({
        name,
        args: [path.join(REPO_ROOT, "service/dist/main.js"), "serve"],
        env: { ...serviceEnv, ...env },
        port: await freePort(),
        opsPort: await freePort(),
        readyPath: "/ready",
        logFile: path.join(workDir, `${name}.log`),
      });
      started.push(server);
      return server;
    };
    const yardstick = await startServer({
      name: "yardstick",
      args: ["-r", "ts-node/register", path.join(REPO_ROOT, "bench/yardstick.ts")],
      env: {},
      port: await freePort(),
      readyPath: "/",
      logFile: path.join(workDir, "yardstick.log"),
    });
    started.push(yardstick);
    let service = await startService("service", {});
    log(`web page: ${settings.pageLoads} loads of the landing page in Chromium`);
    const page = await benchmarkPage(service, serviceEnv.JWT_SECRET, settings.pageLoads);
    log(`  first fixtures painted after ${page.firstFixturesPaintedMs.median.toFixed(0)} ms (median), the API call ${page.fixturesApiMs.median.toFixed(0)} ms`);
    if (settings.onlyPage || modelFigures === undefined) {
      writeResults(`${date}-page`, page, `${JSON.stringify({ date, startedAt, code: codeVersion(), machine, page }, null, 2)}\n`);
      return;
    }
    const paths = matchPaths(database.matchIds, settings.coldLimit);

    const scenarios: Scenario[] = [];
    const measure = async (
      scenario: Omit<Scenario, "service" | "yardstick" | "ratios" | "targets">,
      server: ServerProcess,
      run: { connections: number; seconds: number; paths: Paths; onSecond?: () => void },
      targets: (service: LoadFigures, yardstick: LoadFigures) => Target[],
    ) => {
      const length =
        run.paths.kind === "each-once" ? `${run.paths.paths.length} requests` : `${run.seconds} s`;
      log(`${scenario.title}: bare Koa (${run.seconds} s), then the service (${length}), ${run.connections} connections`);
      const warmupSeconds = settings.warmupSeconds;
      const bare = await drive(yardstick, {
        connections: run.connections,
        seconds: run.seconds,
        paths: { kind: "fixed", path: "/" },
        warmupSeconds,
      });
      const figures = await drive(server, { ...run, warmupSeconds });
      const result: Scenario = {
        ...scenario,
        service: figures,
        yardstick: bare,
        ratios: {
          requestsPerSecond: ratio(figures.requestsPerSecond, bare.requestsPerSecond),
          p99Latency: ratio(figures.latencyMs.p99, bare.latencyMs.p99),
          cpuPerRequest: ratio(figures.serverCpuMicrosecondsPerRequest, bare.serverCpuMicrosecondsPerRequest),
        },
        targets: targets(figures, bare),
      };
      log(
        `  ${Math.round(figures.requestsPerSecond)} req/s (bare Koa ${Math.round(bare.requestsPerSecond)}, ratio ` +
          `${result.ratios.requestsPerSecond.toFixed(2)}), p99 ${figures.latencyMs.p99} ms, ${failuresOf(figures)} failures`,
      );
      scenarios.push(result);
      return result;
    };

    await measure(
      { id: "health", title: "/health", request: "GET /health", setup: "liveness probe, on the ops port." },
      { ...service, baseUrl: service.opsUrl },
      { connections: CONNECTIONS, seconds: settings.seconds, paths: { kind: "fixed", path: "/health" } },
      (figures, bare) => [ratioTarget(TARGETS.healthRatio, figures, bare), noFailuresTarget(figures)],
    );

    await warm(service, paths.hot);
    await measure(
      {
        id: "prediction-cached",
        title: "prediction, cached",
        request: "GET /api/v1/predictions/:matchId",
        setup: `${HOT_MATCHES} matches, each connection cycling through them; all cached after the warm-up.`,
      },
      service,
      { connections: CONNECTIONS, seconds: settings.seconds, paths: { kind: "cycle", paths: paths.hot } },
      (figures, bare) => [
        ratioTarget(TARGETS.cachedRatio, figures, bare),
        p99Target(TARGETS.cachedP99Ms, figures),
        noFailuresTarget(figures),
      ],
    );

    await measure(
      {
        id: "prediction-cold",
        title: "prediction, cache cold",
        request: "GET /api/v1/predictions/:matchId",
        setup:
          `${paths.coldWithRedis.length.toLocaleString("en-US")} requests, each for a match nobody asked for ` +
          "before (no warm-up): a cache miss that reads the match from PostgreSQL, predicts it, stores the " +
          "prediction and fills Redis. The run lasts until all were answered.",
      },
      service,
      { connections: CONNECTIONS, seconds: settings.seconds, paths: { kind: "each-once", paths: paths.coldWithRedis } },
      (figures, bare) => [ratioTarget(TARGETS.databaseRatio, figures, bare), noFailuresTarget(figures)],
    );

    const rss: number[] = [];
    await warm(service, paths.hot);
    const soakStarted = new Date();
    const soak = await measure(
      {
        id: "prediction-1000-connections",
        title: "prediction, cached, 1,000 connections",
        request: "GET /api/v1/predictions/:matchId",
        setup: `as "prediction, cached" with ${SOAK_CONNECTIONS.toLocaleString("en-US")} connections for ${settings.soakSeconds} s.`,
      },
      service,
      {
        connections: SOAK_CONNECTIONS,
        seconds: settings.soakSeconds,
        paths: { kind: "cycle", paths: paths.hot },
        onSecond: () => rss.push(service.rssBytes()),
      },
      (figures) => [noFailuresTarget(figures), p99Target(TARGETS.soakP99Ms, figures), memoryTarget(rss)],
    );
    const soakHandling = loggedDurations(service.logFile, soakStarted, new Date());
    const soakMemory: MemorySamples = {
      startBytes: rss[0],
      halfwayBytes: rss[Math.floor(rss.length / 2)],
      endBytes: rss[rss.length - 1],
      maxBytes: Math.max(...rss),
      samplesBytes: rss,
    };

    await service.stop();
    const unreachableRedis = `redis://127.0.0.1:${await freePort()}/0`;
    service = await startService("service-without-redis", { REDIS_URL: unreachableRedis });
    await measure(
      {
        id: "prediction-redis-absent",
        title: "prediction, Redis absent",
        request: "GET /api/v1/predictions/:matchId",
        setup:
          "the service restarted with REDIS_URL pointing at a closed port, so the circuit breaker skips the " +
          `cache: ${paths.coldWithoutRedis.length.toLocaleString("en-US")} requests, each for another match nobody ` +
          "asked for before, each reading PostgreSQL, predicting and storing.",
      },
      service,
      {
        connections: CONNECTIONS,
        seconds: settings.seconds,
        paths: { kind: "each-once", paths: paths.coldWithoutRedis },
      },
      (figures, bare) => [ratioTarget(TARGETS.databaseRatio, figures, bare), noFailuresTarget(figures)],
    );

    const result: BenchResult = {
      date,
      startedAt: startedAt.toISOString(),
      code: codeVersion(),
      machine,
      settings: {
        "scenario seconds": settings.seconds,
        "1,000-connection seconds": settings.soakSeconds,
        "warm-up seconds": settings.warmupSeconds,
        quick: settings.quick,
        "load generator": "autocannon 9 in the benchmark's own process, on the same machine",
        service: "node service/dist/main.js serve, one process, APP_ENV=dev, LOG_LEVEL=info (access log to a file)",
        "rate limit": "RATE_LIMIT_PER_MINUTE=1000000000",
        "cache TTL": "CACHE_TTL_SECONDS=3600",
        "database pool": "default (10)",
      },
      scenarios,
      soakMemory,
      model: { ...modelFigures, targets: modelTargets(modelFigures) },
      page,
      soakHandling,
      limits: limits(machine.cores, scenarios, soak, soakHandling),
    };
    const suffix = settings.quick ? "-quick" : "";
    writeResults(`${date}${suffix}`, result, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await Promise.all(started.map((server) => server.stop()));
    await database.drop();
    const deleted = await deleteRedisKeys(cachePrefix);
    rmSync(workDir, { recursive: true, force: true });
    log(`cleaned up: database dropped, ${deleted} Redis keys deleted`);
  }
}

/** Writes bench/results/<name>.json and its Markdown (the whole run's report, or the page's section alone). */
function writeResults(name: string, result: BenchResult | PageFigures, json: string): void {
  const resultsDir = path.join(REPO_ROOT, "bench/results");
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, `${name}.json`), json);
  const markdown =
    "scenarios" in result ? renderMarkdown(result) : [`# Benchmark ${name}`, "", ...renderPageMarkdown(result)].join("\n");
  writeFileSync(path.join(resultsDir, `${name}.md`), markdown);
  log(`wrote bench/results/${name}.json and .md`);
}

function memoryTarget(rss: number[]): Target {
  const [half, end] = [rss[Math.floor(rss.length / 2)], rss[rss.length - 1]];
  const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;
  return {
    description: `resident memory steady: at the end at most ${TARGETS.soakRssGrowth * 100}% above halfway through`,
    measured: `${mb(rss[0])} at the start, ${mb(half)} halfway, ${mb(end)} at the end`,
    met: end <= half * (1 + TARGETS.soakRssGrowth),
  };
}

function modelTargets(figures: ReturnType<typeof benchmarkModel>): Target[] {
  return [
    {
      description: `fitting ${figures.fit.matches.toLocaleString("en-US")} matches at most ${TARGETS.fitMs} ms`,
      measured: `${figures.fit.medianMs.toFixed(1)} ms (median)`,
      met: figures.fit.medianMs <= TARGETS.fitMs,
    },
    {
      description: `one prediction at most ${TARGETS.predictMicroseconds} µs`,
      measured: `${figures.predict.medianMicroseconds.toFixed(2)} µs (median)`,
      met: figures.predict.medianMicroseconds <= TARGETS.predictMicroseconds,
    },
  ];
}

/** The "what limits it" paragraphs, from this run's own figures. */
function limits(
  cores: number,
  scenarios: Scenario[],
  soak: Scenario,
  handling: ReturnType<typeof loggedDurations>,
): string[] {
  const byId = (id: string) => scenarios.find((scenario) => scenario.id === id) as Scenario;
  const cpu = (figures: LoadFigures) => Math.round(figures.serverCpuMicrosecondsPerRequest);
  const health = byId("health");
  const cached = byId("prediction-cached");
  const cold = byId("prediction-cold");
  const absent = byId("prediction-redis-absent");
  const rps = (figures: LoadFigures) => Math.round(figures.requestsPerSecond).toLocaleString("en-US");
  const cores2 = (value: number) => value.toFixed(2);
  return [
    `Everything shares ${cores} cores: autocannon (one Node process) used ${cores2(cached.service.generatorCores)} ` +
      `cores while driving cached predictions at 100 connections and ${cores2(soak.service.generatorCores)} at ` +
      `1,000, the service ${cores2(cached.service.serverCores)} and ${cores2(soak.service.serverCores)}; ` +
      "PostgreSQL, Redis and whatever else runs on the machine take the rest (see the load averages in the JSON). " +
      "Throughput is therefore CPU-bound on every side, and absolute figures move with the machine's other load; " +
      "the ratios compare two servers measured one right after the other under the same conditions.",
    `CPU per request: bare Koa ${cpu(health.yardstick)} µs, /health ${cpu(health.service)} µs, a cached prediction ` +
      `${cpu(cached.service)} µs, a prediction from PostgreSQL ${cpu(cold.service)} µs with Redis and ` +
      `${cpu(absent.service)} µs without (PostgreSQL's own CPU not counted). Beyond bare Koa, every response carries ` +
      "a request id, security headers and metrics; API requests add routing, input validation, the rate limit, " +
      "an access-log line and a larger body; a prediction that is not cached adds two PostgreSQL statements (read " +
      "the match, store the prediction) and, with Redis, a cache lookup and store.",
    `Latency under a closed loop is bounded by throughput (Little's law): each connection waits for its answer, ` +
      `so mean latency is about connections / throughput. At ${rps(soak.service)} req/s, 1,000 connections wait ` +
      `${Math.round((1000 * soak.service.connections) / soak.service.requestsPerSecond)} ms on average; a p99 of ` +
      `${TARGETS.soakP99Ms} ms at 1,000 connections needs more than ${((1000 * SOAK_CONNECTIONS) / TARGETS.soakP99Ms).toLocaleString("en-US")} req/s, and ` +
      `${TARGETS.cachedP99Ms} ms at 100 connections more than ${((1000 * CONNECTIONS) / TARGETS.cachedP99Ms).toLocaleString("en-US")} req/s, while bare Koa ` +
      `manages ${rps(cached.yardstick)} req/s here. The service's own handling time at 1,000 connections (its ` +
      `access log, from the first middleware to the response): p99 ${handling.p99Ms} ms, at most ${handling.maxMs} ms.`,
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

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
