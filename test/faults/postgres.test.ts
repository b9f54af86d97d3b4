/**
 * Fault drills: PostgreSQL stopped under load, and writes interrupted by a PostgreSQL crash. The cluster is the
 * run's own (harness.ts), stopped with `pg_ctl stop` and started again on the same port; the service is a child
 * process that is never restarted.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Load, Poller, type RequestSpec, type Sample, outcome, percentile, report, tally } from "../support/load";
import { sleep } from "../support/net";
import type { PostgresCluster } from "../support/postgresCluster";
import type { RedisServer } from "../support/redisServer";
import { writeToken } from "../support/service";
import type { ServiceProcess } from "../support/serviceProcess";
import { startDrillStack } from "./stack";

interface Pairing {
  league: string;
  home: string;
  away: string;
}

/** Answers that need no database once cached (or at all: ping, status, models). */
function cachedPaths(pairings: readonly Pairing[]): string[] {
  return [
    "/api/v1/leagues",
    "/api/v1/leagues/E0",
    "/api/v1/leagues/D1",
    "/api/v1/matches?league=E0&limit=5",
    "/api/v1/teams?league=SP1&limit=10",
    "/api/v1/ping",
    "/api/v1/status",
    "/api/v1/models",
    ...pairings.map(
      ({ league, home, away }) =>
        `/api/v1/predictions?league=${league}&home=${encodeURIComponent(home)}&away=${encodeURIComponent(away)}`,
    ),
  ];
}

describe("faults: PostgreSQL", function () {
  this.timeout(120_000);
  let cluster: PostgresCluster;
  let database: string;
  let redis: RedisServer;
  let service: ServiceProcess;
  let pairings: Pairing[];
  let matchIds: number[];

  before(async () => {
    ({ cluster, database, redis, service } = await startDrillStack({ DB_POOL_MAX: "10" }));
    // Two recent pairings per league, so every league's model is exercised.
    pairings = await cluster.query<Pairing>(
      database,
      `SELECT league, home, away FROM (
         SELECT m.league_code AS league, ht.name AS home, at.name AS away,
                row_number() OVER (PARTITION BY m.league_code ORDER BY m.match_date DESC, m.id DESC) AS n
           FROM matches m JOIN teams ht ON ht.id = m.home_team_id JOIN teams at ON at.id = m.away_team_id
          WHERE m.status = 'played') recent
        WHERE n <= 2 ORDER BY league, n`,
    );
    matchIds = (await cluster.query<{ id: number }>(database, "SELECT id FROM matches ORDER BY id")).map((row) => row.id);
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

  it("stopped under load: cached reads answer, uncached ones get a fast 503, /ready follows, all recover", async () => {
    const cached = cachedPaths(pairings);
    for (let round = 0; round < 2; round++) {
      for (const path of cached) assert.equal((await fetch(`${service.baseUrl}${path}`)).status, 200, path);
    }

    // Uncached: every request a key never asked before (a window of SP1's matches, or one match's prediction).
    let unique = 0;
    const uncached = (): RequestSpec => {
      unique += 1;
      if (unique % 2 === 0) {
        const id = matchIds[(unique * 7919) % matchIds.length];
        return { kind: "uncached", path: `/api/v1/predictions/${id}` };
      }
      const from = new Date(Date.UTC(2000, 0, 1) + unique * 86_400_000).toISOString().slice(0, 10);
      return { kind: "uncached", path: `/api/v1/matches?league=SP1&from=${from}&limit=${1 + (unique % 50)}` };
    };
    let turn = 0;
    const next = (): RequestSpec => {
      turn += 1;
      return turn % 2 === 0 ? { kind: "cached", path: cached[turn % cached.length] } : uncached();
    };

    const ready = new Poller(service.opsPort, "/ready", 50);
    const load = new Load(service.port, { workers: 8, next });
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
    for (const sample of samples.filter((s) => s.status === 503)) {
      assert.match(String(sample.headers?.["retry-after"]), /^[1-9]\d*$/, `Retry-After on ${sample.spec.path}`);
      assert.match(sample.body ?? "", /"code":"database_unavailable"/);
    }
    const sinceStop = samples.filter((s) => s.start >= stopIssued && s.start <= back);
    const slowest = Math.max(...sinceStop.map((s) => s.end - s.start));
    assert.ok(slowest < 1_000, `a request during the outage took ${Math.round(slowest)} ms`);

    // /ready: 503 within two seconds of the stop, 200 again within five seconds of PostgreSQL's return.
    const notReady = ready.first(stopIssued, (o) => o.status === 503);
    assert.ok(notReady !== undefined, "/ready never answered 503");
    assert.ok(notReady.at - stopIssued < 2_000, `/ready turned 503 after ${Math.round(notReady.at - stopIssued)} ms`);
    assert.match(notReady.body, /"failing":"database"/);
    const readyAgain = ready.first(back, (o) => o.status === 200);
    assert.ok(readyAgain !== undefined, "/ready never answered 200 again");
    assert.ok(readyAgain.at - back < 5_000, `/ready answered 200 again ${Math.round(readyAgain.at - back)} ms after`);

    // Everything recovers within five seconds, with the same process.
    const lastFailure = Math.max(back, ...samples.filter((s) => s.status !== 200).map((s) => s.end));
    assert.ok(lastFailure - back < 5_000, `requests still failed ${Math.round(lastFailure - back)} ms after the restart`);
    const recovered = samples.filter((s) => s.start >= back + 5_000);
    assert.ok(recovered.length > 100, `only ${recovered.length} requests in the last second`);
    assert.deepEqual(summary(recovered), { 200: recovered.length }, "all 200 five seconds after");
    assert.ok(recovered.some((s) => s.spec.kind === "uncached"));
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
      outage: { cached: summary(cachedDuringOutage), uncached: summary(uncachedDuringOutage) },
      maxLatencyDuringOutageMs: Math.round(slowest),
      p99UncachedOutageMs: Math.round(percentile(uncachedDuringOutage.map((s) => s.end - s.start), 99)),
      readyTurned503AfterMs: Math.round(notReady.at - stopIssued),
      restartTookMs: Math.round(back - restartIssued),
      ready200AfterRestartMs: Math.round(readyAgain.at - back),
      lastNon200AfterRestartMs: Math.max(0, Math.round(lastFailure - back)),
    });
  });

  it("a write interrupted by a crash is committed with its audit rows or not at all; no acknowledged write is lost", async () => {
    const token = await writeToken("fault-drill");
    const targets = (
      await cluster.query<{ id: number }>(database, "SELECT id FROM matches WHERE status = 'played' ORDER BY id LIMIT 4000")
    ).map((row) => row.id);
    const run = randomBytes(3).toString("hex");
    interface Write {
      matchId: number;
      requestId: string;
      home: number;
      away: number;
    }
    let count = 0;
    // Scores of 50 and above never occur in the seeded data, so a written row is told apart from the original.
    const next = (): RequestSpec | undefined => {
      if (count >= targets.length) return undefined;
      const write: Write = {
        matchId: targets[count],
        requestId: `fault-${run}-${count}`,
        home: 50 + (count % 50),
        away: 50 + ((count * 7) % 50),
      };
      count += 1;
      return {
        kind: "write",
        method: "PUT",
        path: `/api/v1/matches/${write.matchId}/result`,
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-request-id": write.requestId },
        body: JSON.stringify({ homeGoals: write.home, awayGoals: write.away }),
        tag: write,
      };
    };

    const load = new Load(service.port, { workers: 6, next, thinkMs: 5 });
    await sleep(1_000);
    const crash = performance.now();
    await cluster.stop("immediate");
    await sleep(1_500);
    await cluster.start();
    const back = performance.now();
    await sleep(3_000);
    const samples = await load.stop();

    // Every attempt is accounted for by the database itself.
    const writes = samples.map((s) => ({ sample: s, write: s.spec.tag as Write }));
    const ids = writes.map((w) => w.write.matchId);
    const rows = await cluster.query<{ id: number; status: string; home_goals: number | null; away_goals: number | null }>(
      database,
      "SELECT id, status, home_goals, away_goals FROM matches WHERE id = ANY($1)",
      [ids],
    );
    // The client's X-Request-Id is kept beside the server's own id (client_request_id); it tells the drill's writes apart.
    interface AuditRow {
      client_request_id: string;
      action: string;
      entity_id: string;
      after: { score?: { home: number; away: number } | null };
    }
    const audits = await cluster.query<AuditRow>(
      database,
      "SELECT client_request_id, action, entity_id, after FROM audit_log WHERE client_request_id LIKE $1",
      [`fault-${run}-%`],
    );
    const refits = new Set(
      (await cluster.query<{ id: number }>(database, "SELECT id FROM refit_requests WHERE requested_by = 'fault-drill'")).map(
        (row) => String(row.id),
      ),
    );
    const rowById = new Map(rows.map((row) => [row.id, row]));
    const partial: string[] = [];
    const lost: string[] = [];
    let committedUnacknowledged = 0;
    let absent = 0;
    for (const { sample, write } of writes) {
      const row = rowById.get(write.matchId);
      const applied = row?.status === "played" && row.home_goals === write.home && row.away_goals === write.away;
      const mine = audits.filter((audit) => audit.client_request_id === write.requestId);
      const resultAudit = mine.some(
        (audit) =>
          audit.action === "match.result" &&
          audit.entity_id === String(write.matchId) &&
          audit.after.score?.home === write.home &&
          audit.after.score.away === write.away,
      );
      const refitAudit = mine.some((audit) => audit.action === "model.refit_request" && refits.has(audit.entity_id));
      const complete = applied && resultAudit && refitAudit && mine.length === 2;
      const none = !applied && mine.length === 0;
      if (!complete && !none) {
        const actions = mine.map((a) => a.action).join(",") || "none";
        partial.push(`${write.requestId} (${outcome(sample)}): match ${applied ? "updated" : "unchanged"}, audit ${actions}`);
      }
      const acknowledged = sample.status !== undefined && sample.status >= 200 && sample.status < 300;
      if (acknowledged && !complete) lost.push(`${write.requestId}: acknowledged ${sample.status} but not stored`);
      if (!acknowledged && complete) committedUnacknowledged += 1;
      if (none) absent += 1;
    }

    assert.deepEqual(partial, [], "writes half-applied");
    assert.deepEqual(lost, [], "acknowledged writes lost");
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
      refusedAndAbsent: absent,
      committedButAnswerLost: committedUnacknowledged,
      acknowledgedAfterRestart: acknowledgedAfter,
    });
  });
});
