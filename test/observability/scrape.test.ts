import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { objectLabels, workloads, type Workload } from "../../infra/labels";
import { OPS_PORT } from "../../infra/ports";
import { alertGroups, jobs, metricsPortNames, monitors, operatorScrapeConfigs, renderGrafanaDashboards } from "../../infra/observability";
import { createDatabase, databaseUrl, dropDatabases } from "../support/databases";
import { freePort, sleep } from "../support/net";
import { run, SERVICE_DIR } from "../support/processes";
import { REDIS_URL, deleteKeys, uniqueRedisPrefix } from "../support/redisKeys";
import { TempDir } from "../support/tempDir";
import { expressions, parseDashboards } from "./dashboards";
import { documentedMetrics } from "./metric-catalogue";
import { RunningPrometheus, withFileDiscovery, type SimulatedPod } from "./prometheus-harness";
import { metricNames } from "./promql";
import { requireTool, sampleSettings } from "./support";

/**
 * The real thing: the service, started from source against a fresh database on the local PostgreSQL and a
 * private key prefix on the test Redis (TEST_REDIS_URL), and the page's `web` command beside it, as a stack runs
 * them, scraped by the Debian `prometheus` binary through the scrape job the Prometheus Operator derives from the
 * service's PodMonitor (pod discovery replayed from a file with the labels Kubernetes would give the pods), then
 * queried over the HTTP API with the labels the rules and dashboards use.
 */

const API_POD = "football-prediction-api-blue-0";
const WEB_POD = "football-prediction-web-blue-0";

/** Series of these only appear once something goes wrong; their absence proves nothing. */
const EVENT_ONLY_METRICS = new Set(["cache_errors_total"]);

const serviceArgs = (command: string) => ["-r", require.resolve("ts-node/register"), "src/main.ts", command];

function runService(command: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, serviceArgs(command), { cwd: SERVICE_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
}

/** A one-off command (migrate, seed) to completion; the suite's timeout bounds it. */
async function runServiceCommand(command: string, env: NodeJS.ProcessEnv): Promise<void> {
  await run(process.execPath, serviceArgs(command), { cwd: SERVICE_DIR, env, timeoutMs: Infinity });
}

describe("observability: a real scrape of the service", function () {
  this.timeout(180_000);
  const settings = sampleSettings["prod (defaults, three instances, continuous backups)"];
  const suffix = randomBytes(4).toString("hex");
  const database = `fp_observability_${suffix}`;
  // The test Redis (TEST_REDIS_URL, else the local one) under a prefix the end-of-run hook also removes.
  const cachePrefix = uniqueRedisPrefix();
  let dir: TempDir;
  let service: ChildProcess | undefined;
  let page: ChildProcess | undefined;
  let serviceLog = "";
  let prometheus: RunningPrometheus | undefined;
  let baseUrl: string;
  let opsUrl: string;

  async function get(pathAndQuery: string, url = baseUrl): Promise<number> {
    return (await fetch(`${url}${pathAndQuery}`)).status;
  }

  /** Until `path` on the ops URL answers 200: /ready for the API, /health for the page (whose /ready needs it built). */
  async function waitFor(child: ChildProcess | undefined, url: string, path = "/ready"): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (child?.exitCode !== null) throw new Error(`the service exited:\n${serviceLog}`);
      if ((await get(path, url).catch(() => 0)) === 200) return;
      await sleep(500);
    }
    throw new Error(`the service never answered ${path}:\n${serviceLog}`);
  }

  before(async () => {
    requireTool("prometheus");
    dir = new TempDir("fp-observability-");
    await createDatabase(database);
    const [port, opsPort] = [await freePort(), await freePort()];
    baseUrl = `http://127.0.0.1:${port}`;
    opsUrl = `http://127.0.0.1:${opsPort}`;
    const env = {
      ...process.env,
      PORT: String(port),
      OPS_PORT: String(opsPort),
      APP_ENV: "local",
      LOG_LEVEL: "warn",
      DATABASE_URL: databaseUrl(database),
      REDIS_URL,
      CACHE_PREFIX: cachePrefix,
    };
    await runServiceCommand("migrate", env);
    await runServiceCommand("seed", env);
    service = runService("serve", env);
    // The page's pods run with nothing of the API's: no database, no Redis.
    const [pagePort, pageOpsPort] = [await freePort(), await freePort()];
    page = runService("web", { PATH: process.env.PATH, PORT: String(pagePort), OPS_PORT: String(pageOpsPort), APP_ENV: "local", LOG_LEVEL: "warn" });
    for (const child of [service, page]) {
      child.stdout?.on("data", (chunk: Buffer) => (serviceLog += chunk.toString()));
      child.stderr?.on("data", (chunk: Buffer) => (serviceLog += chunk.toString()));
    }
    await waitFor(service, opsUrl);
    await waitFor(page, `http://127.0.0.1:${pageOpsPort}`, "/health");

    // A model answer, the same from the cache, and a failure: every service counter the alerts use gets a series.
    assert.equal(await get("/api/v1/predictions?league=E0&home=Arsenal&away=Chelsea"), 200);
    assert.equal(await get("/api/v1/predictions?league=E0&home=Arsenal&away=Chelsea"), 200);
    assert.equal(await get("/api/v1/predictions?league=E0&home=Arsenal&away=Nobody%20FC"), 404);

    // The operator's job for the service's PodMonitor, run as derived; only the interval is the test's, so two
    // scrapes take seconds instead of minutes.
    const derived = operatorScrapeConfigs(monitors(settings), settings).filter((c) => c.job_name === `podMonitor/${settings.namespace}/${jobs.service}/0`);
    assert.equal(derived.length, 1);
    const pod = (name: string, workload: Workload, container: string, address: string): SimulatedPod => ({
      address,
      namespace: settings.namespace,
      name,
      labels: objectLabels(settings.environment, workload, "1.2.3"),
      container,
      portName: metricsPortNames.service,
      port: OPS_PORT,
    });
    const config = withFileDiscovery({ scrape_configs: derived.map((c) => ({ ...c, scrape_interval: "1s" })) }, dir, {
      [derived[0].job_name]: [
        pod(API_POD, workloads.api, "api", `127.0.0.1:${opsPort}`),
        pod(WEB_POD, workloads.web, "web", `127.0.0.1:${pageOpsPort}`),
      ],
    });
    prometheus = await RunningPrometheus.start(dir, { ...config, global: { scrape_interval: "1s", evaluation_interval: "1s" } });
    const running = prometheus;
    // Two scrapes after the traffic, so rate() has two samples to work with.
    await running.waitFor("two scrapes of the service and the page", async () => {
      const samples = await running.query(`count_over_time(up{job="${jobs.service}"}[1m])`);
      const up = await running.query(`up{job="${jobs.service}"}`);
      return (
        samples.length === 2 &&
        samples.every((sample) => Number(sample.value[1]) >= 2) &&
        up.length === 2 &&
        up.every((sample) => Number(sample.value[1]) === 1)
      );
    });
  });

  after(async () => {
    await prometheus?.stop();
    for (const child of [service, page]) {
      if (child !== undefined && child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    }
    // Best effort: a server that is gone has nothing left to remove, and cleaning up fails no test.
    await dropDatabases([database]).catch(() => undefined);
    await deleteKeys(REDIS_URL, cachePrefix).catch(() => undefined);
    dir?.remove();
  });

  async function series(expr: string) {
    assert.ok(prometheus);
    return prometheus.query(expr);
  }

  it("receives http_requests_total with method, route and status, labelled as the API pod", async () => {
    const found = await series(
      `http_requests_total{job="${jobs.service}",component="api",version="1.2.3",namespace="${settings.namespace}",` +
        `pod="${API_POD}",container="api",endpoint="${metricsPortNames.service}",method="GET",route="/api/v1/predictions",status="200"}`,
    );
    assert.equal(found.length, 1);
    assert.equal(Number(found[0].value[1]), 2);
  });

  it("receives the latency histogram with the same labels and an le per bucket", async () => {
    const buckets = await series(`http_request_duration_seconds_bucket{job="${jobs.service}",route="/api/v1/predictions",status="200"}`);
    assert.ok(buckets.length > 1);
    assert.ok(buckets.some((b) => b.metric.le === "0.5"), "a bucket boundary at the default p95 threshold");
    assert.ok(buckets.every((b) => b.metric.method === "GET"));
  });

  it("receives model_age_seconds per league, and predictions, failures and cache lookups with their labels", async () => {
    const ages = await series(`model_age_seconds{job="${jobs.service}",component="api"}`);
    assert.deepEqual(ages.map((s) => s.metric.league).sort(), ["D1", "E0", "SP1"]);
    assert.deepEqual((await series(`predictions_total{league="E0"}`)).map((s) => s.metric.source).sort(), ["cache", "model"]);
    assert.equal((await series(`prediction_failures_total{league="E0",reason!=""}`)).length, 1);
    assert.equal((await series(`cache_hits_total{cache="predictions"}`)).length, 1);
    assert.equal((await series(`cache_misses_total{cache="predictions"}`)).length, 1);
    assert.equal(Number((await series(`service_ready{job="${jobs.service}",component="api"}`))[0].value[1]), 1);
  });

  it("receives every service metric the rules and dashboards query", async () => {
    const documented = documentedMetrics();
    const queried = [
      ...alertGroups(settings).flatMap((g) => g.rules.map((r) => r.expr)),
      ...Object.values(parseDashboards(renderGrafanaDashboards(settings))).flatMap(expressions),
    ].flatMap((expr) => [...metricNames(expr)]);
    // backup_* and import_* come from jobs through the Pushgateway, not from the API pod scraped here.
    const pushed = (m: string) => m.startsWith("backup_") || m.startsWith("import_");
    const serviceMetrics = [...new Set(queried)].filter((m) => documented.has(m) && !pushed(m) && !EVENT_ONLY_METRICS.has(m));
    const missing: string[] = [];
    for (const metric of serviceMetrics) {
      if ((await series(`${metric}{job="${jobs.service}"}`)).length === 0) missing.push(metric);
    }
    assert.deepEqual(missing, []);
  });

  it("evaluates every alert and dashboard query on the scraped data, and the service alerts stay quiet", async () => {
    assert.ok(prometheus);
    for (const rule of alertGroups(settings).flatMap((g) => g.rules)) {
      const result = await prometheus.query(rule.expr);
      // By the job matcher: every expression also names the namespace, which contains the job's name.
      if (rule.expr.includes(`job="${jobs.service}"`)) assert.deepEqual(result, [], `${rule.alert} would fire on a healthy service`);
    }
    for (const expr of Object.values(parseDashboards(renderGrafanaDashboards(settings))).flatMap(expressions)) {
      await prometheus.query(expr);
    }
    const ready = await prometheus.query(`sum(service_ready{job="${jobs.service}",component="api"})`);
    assert.equal(Number(ready[0].value[1]), 1);
    const pages = await prometheus.query(`sum(up{job="${jobs.service}",component="web"})`);
    assert.equal(Number(pages[0].value[1]), 1, "the page's pod is scraped under the service's job");
  });
});
