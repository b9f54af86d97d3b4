import assert from "node:assert/strict";
import type { Server } from "node:http";
import Koa from "koa";
import { createOpsApp } from "../../service/src/http/app";
import type { AppState } from "../../service/src/http/context";
import { observe } from "../../service/src/http/middleware/observe";
import { Router } from "../../service/src/http/router";
import { Metrics } from "../../service/src/metrics";
import { listen, portOf } from "../../service/src/runtime/httpServer";
import { captureLogs } from "../support/service";

const READY = { report: () => ({ ready: true, failing: undefined, degraded: [], checks: { database: "ok" } }) };

describe("the access log", () => {
  const logs = captureLogs();
  const servers: Server[] = [];
  let ops: string;
  let api: string;

  before(async () => {
    const metrics = new Metrics();
    const opsServer = await listen(createOpsApp({ logger: logs.logger, metrics, readiness: READY }), 0);
    // The public port's first middleware, as createApp composes it, in front of a route and of unknown paths.
    const app = new Koa<AppState>();
    const router = new Router<AppState>({ prefix: "/api/v1" });
    router.get("/ping", (ctx) => {
      ctx.body = { pong: true };
    });
    app.use(observe(metrics, logs.logger));
    app.use(router.routes());
    const apiServer = await listen(app, 0);
    servers.push(opsServer, apiServer);
    ops = `http://127.0.0.1:${portOf(opsServer)}`;
    api = `http://127.0.0.1:${portOf(apiServer)}`;
  });

  after(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

  it("writes a line for each request but the ops port's probes and scrapes, unknown paths included", async () => {
    for (const path of ["/health", "/ready", "/metrics", "/health?verbose=1"]) {
      assert.equal((await fetch(`${ops}${path}`)).status, 200, path);
    }
    assert.equal((await fetch(`${ops}/nothing-here`)).status, 404);
    assert.equal((await fetch(`${api}/api/v1/ping?x=1`)).status, 200);
    assert.equal((await fetch(`${api}/health`)).status, 404);
    const lines = logs.entries().filter((entry) => entry.msg === "request");
    assert.deepEqual(
      lines.map((line) => [line.url, line.status, line.level]),
      [
        ["/nothing-here", 404, "info"],
        ["/api/v1/ping?x=1", 200, "info"],
        ["/health", 404, "info"],
      ],
    );
  });
});
