// scripts/smoke-test.sh decides whether a deployment is rolled back, so its retry and exit-status behaviour is
// pinned here against a stub service; productionImage.test.ts runs it against the real one.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { listen } from "../support/net";
import { runSmokeTest } from "./smokeTest";

interface Stub {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** Answers like the service: /ready fails `unreadyFor` times first, predictions answer `prediction`. */
async function stub(unreadyFor: number, prediction: unknown): Promise<Stub> {
  const requests: string[] = [];
  let readyCalls = 0;
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://stub");
    requests.push(`${url.pathname}${url.search}`);
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "Content-Type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === "/health") return send(200, { status: "ok" });
    if (url.pathname === "/ready") return ++readyCalls > unreadyFor ? send(200, { ready: true }) : send(503, { ready: false });
    if (url.pathname === "/api/v1/predictions") return send(200, prediction);
    send(404, { error: "not_found" });
  });
  return {
    url: await listen(server),
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const fast = { SMOKE_ATTEMPTS: "3", SMOKE_INTERVAL_SECONDS: "0", SMOKE_TIMEOUT_SECONDS: "5" };
const goodPrediction = { league: "E0", prediction: { homeWin: 0.47, draw: 0.27, awayWin: 0.26 } };

describe("scripts/smoke-test.sh", () => {
  let server: Stub | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("passes once readiness comes up, asking for the configured pairing with an encoded query", async () => {
    server = await stub(2, goodPrediction);
    const { status, output } = await runSmokeTest(server.url, { ...fast, SMOKE_HOME_TEAM: "Man United", SMOKE_AWAY_TEAM: "Nott'm Forest" });
    assert.equal(status, 0, output);
    assert.equal(server.requests.filter((request) => request === "/ready").length, 3);
    const query = server.requests.find((request) => request.startsWith("/api/v1/predictions?"))?.split("?")[1];
    assert.deepEqual(Object.fromEntries(new URLSearchParams(query)), {
      league: "E0",
      home: "Man United",
      away: "Nott'm Forest",
    });
  });

  it("checks /health and /ready at the ops URL and the prediction at the API URL when given both", async () => {
    server = await stub(0, goodPrediction);
    const ops = await stub(1, goodPrediction);
    try {
      const { status, output } = await runSmokeTest(server.url, fast, ops.url);
      assert.equal(status, 0, output);
      assert.ok(server.requests.every((request) => request.startsWith("/api/v1/predictions?")), server.requests.join(" "));
      assert.deepEqual(ops.requests, ["/health", "/ready", "/ready"]);
    } finally {
      await ops.close();
    }
  });

  it("fails when readiness never comes up, showing the last answer", async () => {
    server = await stub(Number.POSITIVE_INFINITY, goodPrediction);
    const { status, output } = await runSmokeTest(server.url, fast);
    assert.equal(status, 1);
    assert.match(output, /ready FAILED/);
    assert.match(output, /"ready":false/);
    assert.ok(!server.requests.some((request) => request.startsWith("/api/v1/predictions")), "stops at the first failure");
  });

  it("fails when the prediction answers 200 without probabilities", async () => {
    server = await stub(0, { league: "E0", prediction: null });
    const { status, output } = await runSmokeTest(server.url, fast);
    assert.equal(status, 1);
    assert.match(output, /prediction FAILED/);
  });

  it("fails when nothing listens", async () => {
    const closed = await stub(0, goodPrediction);
    await closed.close();
    const { status, output } = await runSmokeTest(closed.url, { ...fast, SMOKE_ATTEMPTS: "2" });
    assert.equal(status, 1);
    assert.match(output, /HTTP 000/);
  });

  it("rejects a missing base URL", async () => {
    const { status, output } = await runSmokeTest(undefined, fast);
    assert.equal(status, 2);
    assert.match(output, /usage/);
  });
});
