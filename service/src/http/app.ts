import Koa, { type Middleware } from "koa";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import type { AppState } from "./context";
import { handleErrors } from "./middleware/errors";
import { observe } from "./middleware/observe";
import type { Readiness } from "./readiness";
import { securityHeaders } from "./securityHeaders";
import { type ApiDeps, apiRoutes } from "./routes/api";
import { liveness, systemRoutes } from "./routes/system";

export interface AppDeps extends ApiDeps {
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
  rateLimit: Middleware<AppState>;
  /** True once shutdown began: responses then ask clients to reconnect elsewhere. */
  isDraining: () => boolean;
  /**
   * Behind the cluster's ingress every request comes from the ingress pod; the client's address is the last
   * one the ingress wrote into X-Forwarded-For, and rate limiting must key on that.
   */
  behindProxy: boolean;
}

function closeConnectionsWhileDraining(isDraining: () => boolean): Middleware<AppState> {
  return (ctx, next) => {
    if (isDraining()) ctx.set("Connection", "close");
    return next();
  };
}

const isUnderApi = (path: string) => path.startsWith("/api/");

/**
 * Requests under /api (unknown paths included) meet the rate limit and the API router, all others the system
 * router: probes and scrapes are never rate limited, and neither side pays for the other's router.
 */
function onlyUnderApi<Context>(middleware: Middleware<AppState, Context>): Middleware<AppState, Context> {
  return (ctx, next) => (isUnderApi(ctx.path) ? middleware(ctx, next) : next());
}

function onlyOutsideApi<Context>(middleware: Middleware<AppState, Context>): Middleware<AppState, Context> {
  return (ctx, next) => (isUnderApi(ctx.path) ? next() : middleware(ctx, next));
}

export async function createApp(deps: AppDeps): Promise<Koa<AppState>> {
  const app = new Koa<AppState>({ proxy: deps.behindProxy, maxIpsCount: 1 });
  const system = systemRoutes(deps.readiness, deps.metrics);
  const api = apiRoutes(deps);
  app.use(observe(deps.metrics, deps.logger));
  app.use(await securityHeaders());
  app.use(closeConnectionsWhileDraining(deps.isDraining));
  app.use(liveness());
  app.use(handleErrors(deps.logger));
  app.use(onlyOutsideApi(system.routes()));
  app.use(onlyOutsideApi(system.allowedMethods()));
  app.use(onlyUnderApi(deps.rateLimit));
  app.use(onlyUnderApi(api.routes()));
  app.use(onlyUnderApi(api.allowedMethods()));
  // Errors are answered by handleErrors; what reaches here is a client that went away mid-response.
  app.on("error", (error: Error) => deps.logger.debug({ err: error.message }, "response not delivered"));
  return app;
}

/** The worker's HTTP surface: probes and metrics only. */
export async function createOpsApp(deps: Pick<AppDeps, "logger" | "metrics" | "readiness">): Promise<Koa<AppState>> {
  const app = new Koa<AppState>();
  const system = systemRoutes(deps.readiness, deps.metrics);
  app.use(observe(deps.metrics, deps.logger));
  app.use(await securityHeaders());
  app.use(liveness());
  app.use(handleErrors(deps.logger));
  app.use(system.routes());
  app.use(system.allowedMethods());
  app.on("error", (error: Error) => deps.logger.debug({ err: error.message }, "response not delivered"));
  return app;
}
