/**
 * Fault drills: PostgreSQL stopped under load, and writes interrupted by a PostgreSQL crash. The cluster is the
 * run's own (support/postgresCluster.ts), stopped with `pg_ctl stop` and started again on the same port; the
 * service is a child process that is never restarted. failover.test.ts does the same across a failover.
 */
import assert from "node:assert/strict";
import { Load, Poller, type Sample, outcome, percentile, report, tally } from "../support/load";
import { sleep } from "../support/net";
import type { PostgresCluster } from "../support/postgresCluster";
import type { RedisServer } from "../support/redisServer";
import { writeToken } from "../support/service";
import type { ServiceProcess } from "../support/serviceProcess";
import { startDrillStack } from "./stack";
import {
  type Pairing,
  type Query,
  ResultWrites,
  accountForWrites,
  cachedPaths,
  mixedReads,
  recentPairings,
  warmUp,
} from "./workload";

describe("faults: PostgreSQL", function () {
  this.timeout(120_000);
  let cluster: PostgresCluster;
  let database: string;
  let redis: RedisServer;
  let service: ServiceProcess;
  let pairings: Pairing[];
  let matchIds: number[];

  let query: Query;

  before(async () => {
    ({ cluster, database, redis, service } = await startDrillStack({ DB_POOL_MAX: "10" }));
    query = (sql, values) => cluster.query(database, sql, values);
    pairings = await recentPairings(query);
    matchIds = (await query<{ id: number }>("SELECT id FROM matches ORDER BY id")).map((row) => row.id);
  });

  after(async () => {
    await service?.stop();
    await redis?.destroy();
    await cluster?.ensureRunning();
  });

  afterEach(async function () {
    // A drill that failed half-way must not leave the cluster down for the next one.
    await cluster.ensureRunning();
    if (this.currentTest?.state === "failed") console.log(service.log.slice(-3000));
  });

  it("stopped under load: cached reads answer, uncached ones get a fast 503, /ready stays 200 and reports it, all recover", async () => {
    const cached = cachedPaths(pairings);
    await warmUp(service.baseUrl, cached);

    const ready = new Poller(service.opsPort, "/ready", 50);
    const load = new Load(service.port, { workers: 8, next: mixedReads(cached, () => matchIds) });
    await sleep(1_500);
    const stopIssued = performance.now();
    await cluster.stop("fast");
    const stopped = performance.now();
    await sleep(3_000);
    const restartIssued = performance.now();
    await cluster.start();
    const back = performance.now();
    await sleep(6_000);
    const samples = await load.stop();
    await ready.stop();
    const end = performance.now();

    const summary = (list: Sample[]) => tally(list, outcome);
    const pid = service.pid;
    assert.ok(service.alive, "the service is still running");

    // No request hangs or is dropped, and nothing but 200 and 503 is ever answered.
    const failed = samples.filter((s) => s.error !== undefined || (s.status !== 200 && s.status !== 503));
    assert.deepEqual(failed.map((s) => `${s.spec.path}: ${outcome(s)}`), [], "only 200 or 503, never a dropped request");

    // Cached reads answer 200 throughout, the outage included.
    const cachedSamples = samples.filter((s) => s.spec.kind === "cached");
    const cachedDuringOutage = cachedSamples.filter((s) => s.start >= stopped && s.end <= restartIssued);
    assert.ok(cachedDuringOutage.length > 50, `only ${cachedDuringOutage.length} cached requests during the outage`);
    assert.deepEqual(summary(cachedSamples), { 200: cachedSamples.length }, "cached reads while PostgreSQL was down");

    // Uncached requests during the outage: 503 with Retry-After, within a second.
    const uncachedDuringOutage = samples.filter(
      (s) => s.spec.kind === "uncached" && s.start >= stopped && s.end <= restartIssued,
    );
    assert.ok(uncachedDuringOutage.length > 50, `only ${uncachedDuringOutage.length} uncached requests during the outage`);
    assert.deepEqual(summary(uncachedDuringOutage), { 503: uncachedDuringOutage.length });
    // Predictions of stored matches never asked for before: made from the copy of every match the process loaded
    // before the outage (no write announced a change since), so the outage does not reach them.
    const predictionsDuringOutage = samples.filter(
      (s) => s.spec.kind === "prediction" && s.start >= stopped && s.end <= restartIssued,
    );
    assert.ok(predictionsDuringOutage.length > 50, `only ${predictionsDuringOutage.length} predictions during the outage`);
    assert.deepEqual(summary(predictionsDuringOutage), { 200: predictionsDuringOutage.length }, "predictions during the outage");
    for (const sample of samples.filter((s) => s.status === 503)) {
      assert.match(String(sample.headers?.["retry-after"]), /^[1-9]\d*$/, `Retry-After on ${sample.spec.path}`);
      assert.match(sample.body ?? "", /"code":"database_unavailable"/);
    }
    const sinceStop = samples.filter((s) => s.start >= stopIssued && s.start <= back);
    const slowest = Math.max(...sinceStop.map((s) => s.end - s.start));
    assert.ok(slowest < 1_000, `a request during the outage took ${Math.round(slowest)} ms`);

    // /ready: 200 throughout (the pod stays in its Service), reporting the database degraded within two seconds of
    // the stop and back within five seconds of its return.
    assert.deepEqual(tally(ready.observations, (o) => String(o.status)), { 200: ready.observations.length }, "/ready");
    const degraded = ready.first(stopIssued, (o) => o.body.includes('"degraded":["database"]'));
    assert.ok(degraded !== undefined, "/ready never reported the database degraded");
    assert.ok(degraded.at - stopIssued < 2_000, `/ready reported the outage after ${Math.round(degraded.at - stopIssued)} ms`);
    const readyAgain = ready.first(back, (o) => o.body.includes('"degraded":[]'));
    assert.ok(readyAgain !== undefined, "/ready never reported the database back");
    assert.ok(readyAgain.at - back < 5_000, `/ready reported it back ${Math.round(readyAgain.at - back)} ms after`);

    // Everything recovers within five seconds, with the same process.
    const lastFailure = Math.max(back, ...samples.filter((s) => s.status !== 200).map((s) => s.end));
    assert.ok(lastFailure - back < 5_000, `requests still failed ${Math.round(lastFailure - back)} ms after the restart`);
    const recovered = samples.filter((s) => s.start >= back + 5_000);
    assert.ok(recovered.length > 100, `only ${recovered.length} requests in the last second`);
    assert.deepEqual(summary(recovered), { 200: recovered.length }, "all 200 five seconds after");
    assert.ok(recovered.some((s) => s.spec.kind === "uncached") && recovered.some((s) => s.spec.kind === "prediction"));
    assert.equal(service.pid, pid);
    assert.deepEqual(
      service.errorLines().filter((line) => line.msg === "unhandled error"),
      [],
      "no request ended in an unhandled error",
    );

    report("postgres stopped under load", {
      requests: samples.length,
      seconds: Math.round((end - stopIssued + 1_500) / 100) / 10,
      stopTookMs: Math.round(stopped - stopIssued),
      outage: {
        cached: summary(cachedDuringOutage),
        uncached: summary(uncachedDuringOutage),
        predictions: summary(predictionsDuringOutage),
      },
      maxLatencyDuringOutageMs: Math.round(slowest),
      p99UncachedOutageMs: Math.round(percentile(uncachedDuringOutage.map((s) => s.end - s.start), 99)),
      outageReportedAfterMs: Math.round(degraded.at - stopIssued),
      restartTookMs: Math.round(back - restartIssued),
      reportedBackAfterRestartMs: Math.round(readyAgain.at - back),
      lastNon200AfterRestartMs: Math.max(0, Math.round(lastFailure - back)),
    });
  });

  it("a write interrupted by a crash is committed with its audit rows or not at all; no acknowledged write is lost", async () => {
    const writes = new ResultWrites(await writeToken("fault-drill"), await ResultWrites.targets(query));
    const load = new Load(service.port, { workers: 6, next: writes.next, thinkMs: 5 });
    await sleep(1_000);
    const crash = performance.now();
    await cluster.stop("immediate");
    await sleep(1_500);
    await cluster.start();
    const back = performance.now();
    await sleep(3_000);
    const samples = await load.stop();

    // Every attempt is accounted for by the database itself.
    const account = await accountForWrites(query, samples, writes, "fault-drill");
    assert.deepEqual(account.partial, [], "writes half-applied");
    assert.deepEqual(account.lost, [], "acknowledged writes lost");
    const statuses = tally(samples, outcome);
    const unexpected = samples.filter((s) => s.status !== 200 && s.status !== 503);
    assert.deepEqual(unexpected.map((s) => `${s.spec.path}: ${outcome(s)}`), [], `only 200 or 503: ${JSON.stringify(statuses)}`);
    const acknowledgedAfter = samples.filter((s) => s.status === 200 && s.start > back).length;
    assert.ok(samples.some((s) => s.status === 200 && s.end < crash), "writes were acknowledged before the crash");
    assert.ok(samples.some((s) => s.status === 503), "writes were refused during the outage");
    assert.ok(acknowledgedAfter > 0, "writes are acknowledged again after the restart");

    report("writes interrupted by a crash", {
      writes: samples.length,
      statuses,
      acknowledgedAndStored: samples.filter((s) => s.status === 200).length,
      refusedAndAbsent: account.absent,
      committedButAnswerLost: account.committedUnacknowledged,
      acknowledgedAfterRestart: acknowledgedAfter,
    });
  });
});
