/**
 * Fault drill: Redis killed (SIGKILL, everything in memory lost) under load and started again on its port. The
 * service must not fail a single request: the circuit breaker opens, reads and predictions come from
 * PostgreSQL and the models in memory, and once Redis answers again the breaker closes and the cache fills again.
 */
import assert from "node:assert/strict";
import { Load, Poller, type RequestSpec, outcome, percentile, report, tally } from "../support/load";
import { metricValue } from "../support/metrics";
import { sleep } from "../support/net";
import type { RedisServer } from "../support/redisServer";
import type { ServiceProcess } from "../support/serviceProcess";
import { startDrillStack } from "./stack";

const CIRCUIT = "cache_circuit_open";
const PREDICTION_HITS = 'cache_hits_total{cache="predictions"}';

describe("faults: Redis", function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let service: ServiceProcess;
  let paths: string[];

  before(async () => {
    const stack = await startDrillStack();
    ({ redis, service } = stack);
    const pairings = await stack.cluster.query<{ league: string; home: string; away: string }>(
      stack.database,
      `SELECT DISTINCT m.league_code AS league, ht.name AS home, at.name AS away
         FROM matches m JOIN teams ht ON ht.id = m.home_team_id JOIN teams at ON at.id = m.away_team_id
        WHERE m.match_date >= '2024-08-01' ORDER BY 1, 2, 3 LIMIT 60`,
    );
    paths = [
      ...pairings.map(
        (p) => `/api/v1/predictions?league=${p.league}&home=${encodeURIComponent(p.home)}&away=${encodeURIComponent(p.away)}`,
      ),
      "/api/v1/leagues",
      "/api/v1/leagues/SP1",
      "/api/v1/matches?league=D1&season=2024-2025&limit=20",
      "/api/v1/teams?league=E0&limit=20",
      "/api/v1/predictions/100",
      "/api/v1/matches/200",
    ];
  });

  after(async () => {
    await service?.stop();
    await redis?.destroy();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(service.log.slice(-3000));
  });

  it("killed under load: zero failed requests, the circuit breaker opens and closes again", async () => {
    let turn = 0;
    const next = (): RequestSpec => ({ kind: "read", path: paths[turn++ % paths.length] });
    const gauge = new Poller(service.opsPort, "/metrics", 100);
    const load = new Load(service.port, { workers: 8, next });
    await sleep(1_500);

    const killed = performance.now();
    await redis.kill();
    const opened = await gauge.waitFor(killed, (o) => metricValue(o.body, CIRCUIT) === 1, 5_000);
    assert.ok(opened !== undefined, "the circuit breaker did not open within 5 s of the kill");
    await sleep(1_000);

    const restarted = performance.now();
    await redis.start();
    const closed = await gauge.waitFor(restarted, (o) => metricValue(o.body, CIRCUIT) === 0, 10_000);
    assert.ok(closed !== undefined, "the circuit breaker did not close within 10 s of Redis' return");
    const hitsAtClose = metricValue(closed.body, PREDICTION_HITS);
    await sleep(2_000);
    const samples = await load.stop();
    await gauge.stop();
    const metrics = await service.metrics();

    const failed = samples.filter((s) => s.status !== 200);
    assert.deepEqual(failed.map((s) => `${s.spec.path}: ${outcome(s)}`), [], "failed requests");
    const duringOutage = samples.filter((s) => s.start >= killed && s.end <= closed.at);
    assert.ok(duringOutage.length > 100, `only ${duringOutage.length} requests while Redis was away`);
    assert.ok(metricValue(metrics, 'cache_errors_total{operation="get"}') > 0, "cache errors were counted");
    assert.equal(metricValue(metrics, CIRCUIT), 0);
    // The cache is in use again: the emptied Redis filled and answered hits after the breaker closed.
    assert.ok(metricValue(metrics, PREDICTION_HITS) > hitsAtClose, "no cache hits after the breaker closed");
    assert.ok(service.alive);

    report("redis killed under load", {
      requests: samples.length,
      statuses: tally(samples, outcome),
      duringOutage: duringOutage.length,
      circuitOpenAfterKillMs: Math.round(opened.at - killed),
      circuitClosedAfterRestartMs: Math.round(closed.at - restarted),
      p99OutageMs: Math.round(percentile(duringOutage.map((s) => s.end - s.start), 99)),
      maxMs: Math.round(Math.max(...samples.map((s) => s.end - s.start))),
    });
  });
});
