/**
 * Fault drill: SIGTERM while the service is under load, as Kubernetes stops a pod.
 *
 * The clients behave like the ingress in front of the pod: keep-alive connections, and a readiness probe every
 * 50 ms; once /ready has answered 503 the "load balancer" keeps routing requests for another LB_LAG_MS (the
 * time an endpoint removal takes to reach the ingress), then stops opening requests to this pod. The service
 * waits a quarter of SHUTDOWN_GRACE_SECONDS between readiness turning 503 and closing its listener, which must
 * cover that lag. On top of that, slow clients are still sending their requests when the listener closes.
 *
 * The failure criterion: a request counts as failed when it reached the server (its connection was accepted)
 * and got no complete answer (reset, hang-up, timeout) or a 5xx. By the design above every request of the
 * drill reaches the server, so the drill asserts that every one of them is answered 200; none may be refused
 * either. The process must then exit 0 within SHUTDOWN_GRACE_SECONDS of the signal.
 */
import assert from "node:assert/strict";
import { Load, Poller, type RequestSpec, outcome, rawExchange, report, tally } from "../support/load";
import { sleep } from "../support/net";
import type { RedisServer } from "../support/redisServer";
import { writeToken } from "../support/service";
import type { ServiceProcess } from "../support/serviceProcess";
import { startDrillStack } from "./stack";

const GRACE_SECONDS = 8;
/** The service's pause before closing its listener: a quarter of the grace period, at most five seconds. */
const DRAIN_DELAY_MS = Math.min(5_000, (GRACE_SECONDS * 1000) / 4);
const LB_LAG_MS = 1_000;

describe("faults: SIGTERM", function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let service: ServiceProcess;
  let matchIds: number[];

  before(async () => {
    const stack = await startDrillStack({ SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS), LOG_LEVEL: "info" });
    ({ redis, service } = stack);
    const played = await stack.cluster.query<{ id: number }>(
      stack.database,
      "SELECT id FROM matches WHERE status = 'played' ORDER BY id LIMIT 500",
    );
    matchIds = played.map((row) => row.id);
  });

  after(async () => {
    await service?.stop();
    await redis?.destroy();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(service.log.slice(-3000));
  });

  it("under load: every request the server accepted is answered, and the process exits 0 within the grace period", async () => {
    const token = await writeToken("shutdown-drill");
    const paths = [
      "/api/v1/predictions?league=E0&home=Arsenal&away=Chelsea",
      "/api/v1/leagues",
      "/api/v1/matches?league=E0&limit=20",
      "/api/v1/status",
    ];
    let turn = 0;
    let routedUntil = Number.POSITIVE_INFINITY;
    const next = (): RequestSpec | undefined => {
      if (performance.now() > routedUntil) return undefined;
      turn += 1;
      // Every third request misses the cache: the database is in use when the signal comes.
      const path = turn % 3 === 0 ? `/api/v1/predictions/${matchIds[turn % matchIds.length]}` : paths[turn % paths.length];
      return { kind: "read", path };
    };
    const probe = new Poller(service.opsPort, "/ready", 50);
    const load = new Load(service.port, { workers: 10, next });
    await sleep(1_500);

    const term = performance.now();
    process.kill(service.pid, "SIGTERM");
    const removed = await probe.waitFor(term, (o) => o.status !== 200, 2_000);
    assert.ok(removed !== undefined, "/ready kept answering 200 after SIGTERM");
    routedUntil = removed.at + LB_LAG_MS;

    // Slow clients: connected while the listener is still open, still sending when it closes.
    const slowStart = term + DRAIN_DELAY_MS - 600;
    await sleep(Math.max(0, slowStart - performance.now()));
    const body = '{"homeGoals":2,"awayGoals":1}';
    const slowWrite = rawExchange(
      service.port,
      [
        {
          data:
            `PUT /api/v1/matches/${matchIds[0]}/result HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n` +
            `Authorization: Bearer ${token}\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
        },
        { data: body.slice(10, 20), delayMs: 600 },
        { data: body.slice(20), delayMs: 600 },
      ],
      GRACE_SECONDS * 1000,
    );
    const slowRead = rawExchange(
      service.port,
      [
        { data: "GET /api/v1/leagues HTTP/1.1\r\n" },
        { data: "Host: api\r\n", delayMs: 600 },
        { data: "Accept: application/json\r\n\r\n", delayMs: 600 },
      ],
      GRACE_SECONDS * 1000,
    );
    const [write, read] = await Promise.all([slowWrite, slowRead]);
    const samples = await load.finished();
    await probe.stop();
    const exit = await service.exited;

    assert.deepEqual(
      samples.filter((s) => s.status !== 200).map((s) => `${s.spec.path}: ${outcome(s)}`),
      [],
      "requests failed during the shutdown",
    );
    const inFlightAtSignal = samples.filter((s) => s.start < term && s.end > term);
    const afterSignal = samples.filter((s) => s.start > term);
    assert.ok(inFlightAtSignal.length > 0, "requests were in flight when the signal came");
    assert.ok(afterSignal.length > 20, `only ${afterSignal.length} requests were sent during the drain`);
    // Once readiness says 503 the service is draining: its answers close their keep-alive connections.
    const draining = samples.filter((s) => s.start > removed.at);
    assert.ok(draining.length > 0, "requests were sent while draining");
    assert.ok(draining.every((s) => s.headers?.connection === "close"), "answers during the drain close their connection");

    for (const [name, slow] of Object.entries({ write, read })) {
      assert.equal(slow.status, 200, `slow ${name}: ${slow.ended}, ${slow.response.slice(0, 300)}`);
      assert.ok(slow.end > term + DRAIN_DELAY_MS, `the slow ${name} ended before the listener closed`);
    }

    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, "exit status");
    const exitedAfterMs = exit.at - term;
    assert.ok(exitedAfterMs < GRACE_SECONDS * 1000, `exited ${Math.round(exitedAfterMs)} ms after SIGTERM`);
    assert.match(service.log, /"msg":"shut down"/);

    report("SIGTERM under load", {
      requests: samples.length,
      statuses: tally(samples, outcome),
      inFlightAtSignal: inFlightAtSignal.length,
      sentAfterSignal: afterSignal.length,
      readyTurned503AfterMs: Math.round(removed.at - term),
      slowRequestsEndedAfterMs: [Math.round(write.end - term), Math.round(read.end - term)],
      exitCode: exit.code,
      exitedAfterMs: Math.round(exitedAfterMs),
      graceMs: GRACE_SECONDS * 1000,
    });
  });
});
