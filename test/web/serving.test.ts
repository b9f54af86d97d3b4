import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { loadConfig } from "../../service/src/config";
import { PAGE_CSP } from "../../service/src/http/webPage";
import { type RunningWeb, startWeb } from "../../service/src/runtime/web";
import { builtWebPage } from "../support/browser";
import { silentLogger } from "../support/service";
import { makeTempDir } from "../support/tempDir";

/** The header set the runtime contract asks of the page (docs/service-interface.md). */
const EXPECTED_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

describe("the web command: the page alone, no database", function () {
  this.timeout(120_000);
  let web: RunningWeb;
  let root: string;
  const url = (p: string) => `http://127.0.0.1:${web.port}${p}`;
  const ops = (p: string) => `http://127.0.0.1:${web.opsPort}${p}`;

  before(async () => {
    root = await builtWebPage();
    // No DATABASE_URL, REDIS_URL or JWT_SECRET, as in the web tier's pods.
    const config = loadConfig({ APP_ENV: "test", LOG_LEVEL: "silent" }, { command: "web", needsJwtSecret: false });
    web = await startWeb({ ...config, port: 0, opsPort: 0, shutdownGraceMs: 0 }, silentLogger, root);
  });

  after(() => web?.shutdown());

  it("defaults to ports 8003 and 8004", () => {
    const config = loadConfig({ APP_ENV: "test" }, { command: "web", needsJwtSecret: false });
    assert.deepEqual([config.port, config.opsPort], [8003, 8004]);
  });

  it("answers the page's routes with index.html, its CSP and no caching", async () => {
    assert.equal(PAGE_CSP, EXPECTED_CSP);
    for (const route of ["/", "/match/12", "/team/3?league=E0", "/model"]) {
      const response = await fetch(url(route));
      assert.equal(response.status, 200, route);
      assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
      assert.equal(response.headers.get("content-security-policy"), EXPECTED_CSP);
      assert.equal(response.headers.get("cache-control"), "no-cache");
      assert.match(await response.text(), /<div id="app"><\/div>/);
    }
  });

  it("caches hashed assets for a year, immutable, and 404s unknown ones as JSON", async () => {
    const [asset] = fs.readdirSync(path.join(root, "assets")).filter((name) => name.endsWith(".js"));
    const response = await fetch(url(`/assets/${asset}`));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.match(response.headers.get("content-type") ?? "", /javascript/);
    const missing = await fetch(url("/assets/nothing-here.js"));
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, "not_found");
  });

  it("serves no API, and no probes on the public port", async () => {
    for (const route of ["/api/v1/leagues", "/health", "/metrics"]) {
      const response = await fetch(url(route));
      assert.equal(response.status, 404, route);
      assert.match(response.headers.get("content-type") ?? "", /json/);
    }
  });

  it("has /health, /ready and /metrics on the ops port", async () => {
    assert.equal((await fetch(ops("/health"))).status, 200);
    const ready = await fetch(ops("/ready"));
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, { page: "ok" });
    assert.match(await (await fetch(ops("/metrics"))).text(), /http_requests_total\{method="GET",route="\/\*",status="200"\}/);
  });

  it("is not ready, and says why at /, without a built page", async () => {
    const empty = makeTempDir("fp-web-empty-");
    const config = loadConfig({ APP_ENV: "test", LOG_LEVEL: "silent" }, { command: "web", needsJwtSecret: false });
    const bare = await startWeb({ ...config, port: 0, opsPort: 0, shutdownGraceMs: 0 }, silentLogger, empty);
    try {
      const ready = await fetch(`http://127.0.0.1:${bare.opsPort}/ready`);
      assert.equal(ready.status, 503);
      const page = await fetch(`http://127.0.0.1:${bare.port}/`);
      assert.equal(page.status, 503);
      assert.match(await page.text(), /npm run build -w web/);
    } finally {
      await bare.shutdown();
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
