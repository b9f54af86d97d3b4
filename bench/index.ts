// `npm run bench [-- --duration 15] [--soak-duration 60] [--quick] [--skip-build] [--only page|layers|<scenario,...>]
// [--compare <dir>]`
//
// Builds the service and the web page, gives the service a fresh migrated, seeded and fitted database, runs it
// (PostgreSQL and Redis, one process, rate limit raised) next to a bare Koa yardstick, times the web page's first
// fixtures in Chromium, drives both servers with autocannon from this process and runs the model
// micro-benchmarks; writes bench/results/<date>.json and .md (<date>-2… for a later full run that day, <date>-quick
// for a --quick one, and the same suffixes for the runs below). `--only page` times the page alone and writes
// bench/results/<date>-page.json and .md; `--only
// prediction-cached,fixtures-cached` (ids in bench/selection.ts) runs those HTTP scenarios alone and prints their
// ratios without writing a result; `--only layers` measures what each layer of the service's middleware costs
// (bench/layers.ts) and writes bench/results/<date>-layers.json and .md; `--compare <dir>` drives the build in <dir>
// and the current one in turn (bench/compare.ts) and writes bench/results/<date>-compare.json and .md. See
// README.md, "Performance".
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import path from "node:path";
import { freePort } from "../test/support/net";
import { REPO_ROOT } from "../test/support/processes";
import { makeTempDir } from "../test/support/tempDir";
import { invocationDir } from "../service/src/paths";
import { REDIS_URL, createBenchDatabase, deleteRedisKeys } from "./database";
import { type MeasureContext, ORDER, measure, turnSeconds } from "./measure";
import { CONNECTIONS, SOAK_CONNECTIONS, limits } from "./limits";
import { benchmarkModel } from "./model";
import {
  COMPARE_RUNS,
  baselineEntry,
  measureComparison,
  renderComparisonMarkdown,
  summariseComparison,
} from "./compare";
import { measureLayers, renderLayersMarkdown, startLayeredServer } from "./layers";
import { type PageFigures, benchmarkPage, renderPageMarkdown } from "./page";
import { type ServerProcess, buildServers, freePortPair, serverEntry, startServer } from "./processes";
import {
  type BenchResult,
  type MemorySamples,
  type Scenario,
  describeMachine,
  renderMarkdown,
  runLines,
  unusedRunName,
  writeResults,
} from "./report";
import { HOT_MATCHES, fixturePaths, matchPaths } from "./requests";
import { options } from "./options";
import { selects, summariseRatios } from "./selection";
import { UNREAD, loggedDurations, predictionCounters, uncachedSince, warm } from "./serviceProbes";
import {
  TARGETS,
  memoryTarget,
  modelTargets,
  noFailuresTarget,
  ratioTarget,
} from "./targets";

/** The commit measured, and whether the working tree differed from it (read-only git commands). */
function codeVersion(): { commit: string; uncommittedChanges: boolean } {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  return { commit: git("rev-parse", "--short", "HEAD"), uncommittedChanges: git("status", "--porcelain") !== "" };
}

const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
/** The service as the image runs it, built by `npm run build`. */
const SERVICE_ENTRY = path.join(REPO_ROOT, "service/dist/main.js");

const save = (name: string, json: string, markdown: string) => log(`wrote ${writeResults(name, json, markdown)}`);

/** The landing page's first fixtures in Chromium (see page.ts). */
async function timePage(service: ServerProcess, jwtSecret: string, loads: number): Promise<PageFigures> {
  log(`web page: ${loads} loads of the landing page in Chromium`);
  const page = await benchmarkPage(service, jwtSecret, loads);
  const { firstFixturesPaintedMs, fixturesApiMs } = page;
  log(`  first fixtures painted after ${firstFixturesPaintedMs.median.toFixed(0)} ms (median), the API call ${fixturesApiMs.median.toFixed(0)} ms`);
  return page;
}

async function main(): Promise<void> {
  const settings = options();
  const { selection } = settings;
  // Checked before anything is built: a wrong folder is an error at once.
  const compare =
    settings.compare === undefined
      ? undefined
      : { dir: settings.compare, entry: baselineEntry(settings.compare, invocationDir(), REPO_ROOT) };
  const startedAt = new Date();
  const date = startedAt.toISOString().slice(0, 10);
  const machine = describeMachine();
  // Read before the run: what is measured is what was built at the start, whatever changes in the tree meanwhile.
  const code = codeVersion();
  log(`${machine.cpuModel}, ${machine.cores} cores, load average ${machine.loadAverageAtStart.join(" ")}`);

  if (settings.build) {
    log("building the web page and the service (npm run build)");
    execFileSync("npm", ["run", "--silent", "build"], { cwd: REPO_ROOT, stdio: "inherit" });
  }
  log("compiling the yardstick and the layered server (bench/tsconfig.servers.json)");
  buildServers();

  const runId = `${process.pid}_${randomBytes(3).toString("hex")}`;
  const cachePrefix = `fp-bench:${runId}:`;
  const workDir = makeTempDir("fp-bench-");
  const started: ServerProcess[] = [];
  log("creating, migrating, seeding and fitting a fresh database");
  const database = await createBenchDatabase(`fp_bench_${runId}`);
  try {
    const modelFigures =
      selection.kind === "all" ? (log("model micro-benchmarks"), benchmarkModel(settings.model)) : undefined;

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
    const startService = async (name: string, env: Record<string, string>, entry = SERVICE_ENTRY) => {
      const [port, opsPort] = await freePortPair();
      const server = await startServer({
        name,
        args: [entry, "serve"],
        env: { ...serviceEnv, ...env },
        port,
        opsPort,
        readyPath: "/ready",
        logFile: path.join(workDir, `${name}.log`),
      });
      started.push(server);
      return server;
    };
    // A smoke run (--quick) is written under its own name, so it is never taken for a measurement.
    const runName = (base: string) => (settings.quick ? `${base}-quick` : unusedRunName(base));
    let service = await startService("service", {});
    if (selection.kind === "page") {
      const page = await timePage(service, serviceEnv.JWT_SECRET, settings.pageLoads);
      const run = { date, startedAt: startedAt.toISOString(), code, machine, page };
      const opening = runLines("npm run bench -- --only page", run);
      const name = runName(`${date}-page`);
      const markdown = [`# Benchmark ${name}`, "", ...opening, "", ...renderPageMarkdown(page)].join("\n");
      save(name, `${JSON.stringify(run, null, 2)}\n`, markdown);
      return;
    }
    const paths = matchPaths(database.matchIds);
    if (compare !== undefined) {
      const baselineService = await startService("baseline", {}, compare.entry);
      for (const build of [baselineService, service]) await warm(build, paths.hot);
      const comparison = await measureComparison({
        baseline: baselineService,
        candidate: service,
        paths: { kind: "cycle", paths: paths.hot },
        connections: CONNECTIONS,
        ...COMPARE_RUNS[settings.quick ? "quick" : "full"],
        warmupSeconds: settings.warmupSeconds,
        log,
      });
      log(summariseComparison(comparison));
      const name = runName(`${date}-compare`);
      const run = { name, baselineDir: compare.dir, startedAt: startedAt.toISOString(), code, machine, comparison };
      save(name, `${JSON.stringify(run, null, 2)}\n`, renderComparisonMarkdown(run));
      return;
    }
    if (selection.kind === "layers") {
      await warm(service, paths.hot);
      const start = async (count: number) => {
        const server = await startLayeredServer(count, path.join(workDir, `layers-${count}.log`));
        started.push(server);
        return server;
      };
      const { seconds, warmupSeconds } = settings;
      const servicePaths = paths.hot;
      const connections = CONNECTIONS;
      const layers = await measureLayers({ start, service, servicePaths, connections, seconds, warmupSeconds, log });
      const run = { date, startedAt: startedAt.toISOString(), code, machine, layers };
      save(runName(`${date}-layers`), `${JSON.stringify(run, null, 2)}\n`, renderLayersMarkdown(run));
      return;
    }
    const fixtures = fixturePaths(database.fixtures, settings.coldLimit);
    const yardstick = await startServer({
      name: "yardstick",
      args: [serverEntry("yardstick")],
      env: {},
      port: await freePort(),
      readyPath: "/",
      logFile: path.join(workDir, "yardstick.log"),
    });
    started.push(yardstick);

    const scenarios: Scenario[] = [];
    const context: MeasureContext = { selection, warmupSeconds: settings.warmupSeconds, yardstick, scenarios, log };

    await measure(
      context,
      { id: "health", title: "/health", request: "GET /health", setup: "liveness probe, on the ops port." },
      { ...service, baseUrl: service.opsUrl },
      { connections: CONNECTIONS, seconds: settings.seconds, paths: { kind: "fixed", path: "/health" } },
      (figures, bare) => [ratioTarget(TARGETS.healthRatio, figures, bare), noFailuresTarget(figures)],
    );

    await warm(service, paths.hot);
    await measure(
      context,
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
        noFailuresTarget(figures),
      ],
    );

    const coldBefore = selects(selection, "prediction-cold") ? await predictionCounters(service) : UNREAD;
    await measure(
      context,
      {
        id: "prediction-cold",
        title: "prediction, cache cold",
        request: "GET /api/v1/predictions/:matchId",
        setup:
          `${paths.cold.length.toLocaleString("en-US")} matches asked for in turn across all connections ` +
          "(the warm-up included), so that no match is asked for again while an answer for it is kept: each " +
          "request's prediction is made in process from the process's copy of every match (no database read, no " +
          "Redis round trip; nothing is written).",
      },
      service,
      {
        connections: CONNECTIONS,
        seconds: settings.seconds,
        paths: { kind: "rotate", paths: paths.cold },
        afterService: async () => [await uncachedSince(service, coldBefore)],
      },
      (figures, bare) => [ratioTarget(TARGETS.databaseRatio, figures, bare), noFailuresTarget(figures)],
    );

    await warm(service, fixtures.cached);
    await measure(
      context,
      {
        id: "fixtures-cached",
        title: "fixtures page, cached",
        request: "GET /api/v1/fixtures[?league=]",
        setup:
          `the default page (every league's next match day) and each league's (${fixtures.cached.length} pages), ` +
          "each connection cycling through them; all cached after the warm-up.",
      },
      service,
      { connections: CONNECTIONS, seconds: settings.seconds, paths: { kind: "cycle", paths: fixtures.cached } },
      (figures, bare) => [ratioTarget(TARGETS.cachedRatio, figures, bare), noFailuresTarget(figures)],
    );

    await measure(
      context,
      {
        id: "fixtures-cold",
        title: "fixtures page, cache cold",
        request: "GET /api/v1/fixtures?[league=&]from=&to=",
        setup:
          `${fixtures.cold.length.toLocaleString("en-US")} requests, each for a date range nobody asked for before ` +
          "(a day to a fortnight, of all leagues or one): a cache miss that reads the matches and their stored " +
          "predictions from PostgreSQL and fills Redis. The run lasts until all were answered.",
      },
      service,
      { connections: CONNECTIONS, seconds: settings.seconds, paths: { kind: "each-once", paths: fixtures.cold } },
      (figures) => [noFailuresTarget(figures)],
    );

    const rss: number[] = [];
    await warm(service, paths.hot);
    const soakStarted = new Date();
    const soak = await measure(
      context,
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
      (figures) => [noFailuresTarget(figures), memoryTarget(rss)],
    );
    const soakHandling = await loggedDurations(service.logFile, soakStarted, new Date());
    const soakMemory: MemorySamples = {
      startBytes: rss[0],
      halfwayBytes: rss[Math.floor(rss.length / 2)],
      endBytes: rss[rss.length - 1],
      maxBytes: Math.max(...rss),
      samplesBytes: rss,
    };

    // The page is timed after the HTTP scenarios: Chromium's processes wind down in the background for a while
    // after it closes, and a scenario measured right after them was measured on a busier machine.
    const page = selection.kind === "all" ? await timePage(service, serviceEnv.JWT_SECRET, settings.pageLoads) : undefined;

    if (selects(selection, "prediction-redis-absent")) {
      await service.stop();
      const unreachableRedis = `redis://127.0.0.1:${await freePort()}/0`;
      service = await startService("service-without-redis", { REDIS_URL: unreachableRedis });
    }
    const absentBefore = selects(selection, "prediction-redis-absent") ? await predictionCounters(service) : UNREAD;
    await measure(
      context,
      {
        id: "prediction-redis-absent",
        title: "prediction, Redis absent",
        request: "GET /api/v1/predictions/:matchId",
        setup:
          "the service restarted with REDIS_URL pointing at a closed port, so the circuit breaker skips the " +
          `cache: the same ${paths.cold.length.toLocaleString("en-US")} matches in turn, each request ` +
          "reading its match from PostgreSQL (in batches: no process keeps a copy of the matches without the reset " +
          "announcements Redis carries) and predicting in process.",
      },
      service,
      {
        connections: CONNECTIONS,
        seconds: settings.seconds,
        paths: { kind: "rotate", paths: paths.cold },
        afterService: async () => [await uncachedSince(service, absentBefore)],
      },
      (figures, bare) => [ratioTarget(TARGETS.databaseRatio, figures, bare), noFailuresTarget(figures)],
    );

    if (soak === undefined || modelFigures === undefined || page === undefined) {
      log(`partial run, nothing written:\n${summariseRatios(scenarios)}`);
      return;
    }
    const result: BenchResult = {
      date,
      startedAt: startedAt.toISOString(),
      code,
      machine,
      settings: {
        "scenario seconds": settings.seconds,
        "1,000-connection seconds": settings.soakSeconds,
        "warm-up seconds": settings.warmupSeconds,
        "runs per scenario": `${ORDER} (S the service, B bare Koa), each for ${turnSeconds(settings.seconds)} s`,
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
    const name = runName(date);
    save(name, `${JSON.stringify(result, null, 2)}\n`, renderMarkdown(result));
  } finally {
    await Promise.all(started.map((server) => server.stop()));
    await database.drop();
    const deleted = await deleteRedisKeys(cachePrefix);
    rmSync(workDir, { recursive: true, force: true });
    log(`cleaned up: database dropped, ${deleted} Redis keys deleted`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
