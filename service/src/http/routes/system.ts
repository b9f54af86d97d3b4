import type { Middleware } from "koa";
import type { Metrics } from "../../metrics";
import { type AppContext, type AppState, CONTENT_TYPE, JSON_CONTENT_TYPE } from "../context";
import { serviceUnavailable } from "../errors";
import type { ReadinessSource } from "../readiness";
import { Router } from "../router";

const HEALTHY = JSON.stringify({ status: "ok" });
const HEALTH_PATH = "/health";

// Liveness: answers as long as the event loop runs, whatever the dependencies are doing.
function answerHealthy(ctx: AppContext): void {
  ctx.res.setHeader(CONTENT_TYPE, JSON_CONTENT_TYPE);
  ctx.body = HEALTHY;
}

/**
 * Answers GET and HEAD /health ahead of the error handler and the routers, none of which it needs: it is the
 * most frequent request (every probe of every replica) and cannot fail. The request is labelled with its
 * route the way the routers label theirs, for the metrics. Other methods go on to the router's 405.
 */
export function liveness(): Middleware<AppState> {
  return (ctx, next) => {
    if (ctx.path === HEALTH_PATH && (ctx.method === "GET" || ctx.method === "HEAD")) {
      (ctx as { _matchedRoute?: string })._matchedRoute = HEALTH_PATH;
      answerHealthy(ctx);
      return;
    }
    return next();
  };
}

/** Probes and scrape endpoints, served on the ops port only (createOpsApp). */
export function systemRoutes(readiness: ReadinessSource, metrics: Metrics): Router<AppState> {
  const router = new Router<AppState>();

  // GET and HEAD never get here (liveness() answers them); registered so other methods get the router's 405.
  router.get(HEALTH_PATH, answerHealthy);

  // 200 while this process can serve, degraded dependencies included (named in `degraded`); see Readiness.
  router.get("/ready", (ctx) => {
    const { ready, failing, degraded, checks } = readiness.report();
    if (!ready) {
      const reason = failing === "shutdown" || failing === undefined ? "shutting down" : `${failing}: ${checks[failing]}`;
      throw serviceUnavailable("not_ready", `not ready: ${reason}`, { failing, degraded, checks });
    }
    ctx.body = { status: "ready", degraded, checks };
  });

  router.get("/metrics", async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });

  return router;
}
