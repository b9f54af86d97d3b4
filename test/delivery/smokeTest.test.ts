// scripts/smoke-test.sh decides whether a deployment is rolled back, so its retry and exit-status behaviour is
// pinned here against a stub service; productionImage.test.ts runs it against the real one.
import assert from "node:assert/strict";
import { createServer, type OutgoingHttpHeaders, type Server } from "node:http";
import { listen } from "../support/net";
import { runSmokeTest } from "./smokeTest";

interface Stub {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'";
const SCRIPT = "/assets/index-3f2a9c1b.js";

/** What the page's paths answer; each test spoils one part. */
interface Page {
  html: string;
  headers: OutgoingHttpHeaders;
  scriptStatus: number;
  scriptHeaders: OutgoingHttpHeaders;
}

const goodPage: Page = {
  html: `<!doctype html><html><head><script type="module" crossorigin src="${SCRIPT}"></script></head><body></body></html>`,
  headers: { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-cache" },
  scriptStatus: 200,
  scriptHeaders: { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=31536000, immutable" },
};

/** Answers like the service: /ready fails `unreadyFor` times first, predictions answer `prediction`, / the page. */
async function stub(unreadyFor: number, prediction: unknown, page: Page = goodPage): Promise<Stub> {
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
    if (url.pathname === "/") {
      response.writeHead(200, page.headers);
      return response.end(page.html);
    }
    if (url.pathname === SCRIPT) {
      response.writeHead(page.scriptStatus, page.scriptHeaders);
      return response.end("export {};\n");
    }
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

  it("loads the page `serve` shows at / and the script it names, after the prediction", async () => {
    server = await stub(0, goodPrediction);
    const { status, output } = await runSmokeTest(server.url, fast);
    assert.equal(status, 0, output);
    const requests = server.requests.map((request) => request.split("?")[0]);
    assert.deepEqual(requests, ["/health", "/ready", "/api/v1/predictions", "/", SCRIPT]);
  });

  it("checks /health and /ready at the ops URL and the rest at the API URL when given both", async () => {
    server = await stub(0, goodPrediction);
    const ops = await stub(1, goodPrediction);
    try {
      const { status, output } = await runSmokeTest(server.url, fast, ops.url);
      assert.equal(status, 0, output);
      assert.ok(server.requests.every((request) => !["/health", "/ready"].includes(request)), server.requests.join(" "));
      assert.deepEqual(ops.requests, ["/health", "/ready", "/ready"]);
    } finally {
      await ops.close();
    }
  });

  it("with --web, checks the page tier without calling the API", async () => {
    server = await stub(0, { error: "the page tier has no API" });
    const ops = await stub(0, undefined);
    try {
      const { status, output } = await runSmokeTest(server.url, fast, ops.url, true);
      assert.equal(status, 0, output);
      assert.deepEqual(server.requests, ["/", SCRIPT]);
      assert.deepEqual(ops.requests, ["/health", "/ready"]);
      assert.match(output, /all checks passed .*\(web;/);
    } finally {
      await ops.close();
    }
  });

  const { "Content-Security-Policy": _policy, ...withoutPolicy } = goodPage.headers;
  const spoilt: Array<[string, Partial<Page>, RegExp]> = [
    ["a page without the Content-Security-Policy", { headers: withoutPolicy }, /Content-Security-Policy is ""/],
    ["a policy that allows inline code", { headers: { ...goodPage.headers, "Content-Security-Policy": `${PAGE_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")}` } }, /allows inline code/],
    ["a cached page", { headers: { ...goodPage.headers, "Cache-Control": "max-age=600" } }, /Cache-Control is "max-age=600"/],
    ["a page that loads no script from /assets/", { html: "<!doctype html><p>Loading…</p>" }, /page FAILED; last response body/],
    ["a page whose script is missing", { scriptStatus: 404 }, /page script \/assets\/index-3f2a9c1b\.js FAILED/],
    ["a script cached briefly", { scriptHeaders: { ...goodPage.scriptHeaders, "Cache-Control": "max-age=60" } }, /page script FAILED: Cache-Control/],
  ];
  for (const [what, change, message] of spoilt) {
    it(`fails on ${what}`, async () => {
      server = await stub(0, goodPrediction, { ...goodPage, ...change });
      const { status, output } = await runSmokeTest(server.url, fast, undefined, true);
      assert.equal(status, 1, output);
      assert.match(output, message);
    });
  }

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

  it("rejects a missing base URL, with or without --web", async () => {
    for (const web of [false, true]) {
      const { status, output } = await runSmokeTest(undefined, fast, undefined, web);
      assert.equal(status, 2);
      assert.match(output, /usage: .* \[--web\] URL \[OPS_URL\]/);
    }
  });
});
