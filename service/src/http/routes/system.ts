import Router from "@koa/router";
import type { Metrics } from "../../metrics";
import type { AppState } from "../context";
import { serviceUnavailable } from "../errors";
import type { Readiness } from "../readiness";

const HEALTHY = JSON.stringify({ status: "ok" });

/** Probes and scrape endpoints, outside /api/v1 and its rate limit. */
export function systemRoutes(readiness: Readiness, metrics: Metrics): Router<AppState> {
  const router = new Router<AppState>();

  // Liveness: answers as long as the event loop runs, whatever the dependencies are doing.
  router.get("/health", (ctx) => {
    ctx.type = "application/json";
    ctx.body = HEALTHY;
  });

  router.get("/ready", (ctx) => {
    const report = readiness.report();
    if (!report.ready) {
      throw serviceUnavailable("not_ready", `not ready: ${report.failing}`, {
        failing: report.failing,
        checks: report.checks,
      });
    }
    ctx.body = { status: "ready", checks: report.checks };
  });

  router.get("/metrics", async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });

  return router;
}
