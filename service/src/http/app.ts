import Koa, { type Middleware } from "koa";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import { resolveClientAddress } from "./clientAddress";
import type { AppState } from "./context";
import { handleErrors } from "./middleware/errors";
import { observe } from "./middleware/observe";
import type { ReadinessSource } from "./readiness";
import { securityHeaders } from "./securityHeaders";
import { type ApiDeps, apiRoutes } from "./routes/api";
import { liveness, systemRoutes } from "./routes/system";
import { webPage } from "./webPage";

export interface AppDeps extends ApiDeps {
  logger: Logger;
  metrics: Metrics;
  rateLimit: Middleware<AppState>;
  /** True once shutdown began: responses then ask clients to reconnect elsewhere. */
  isDraining: () => boolean;
  /**
   * The proxies (CIDR ranges) whose X-Forwarded-For entries count: behind the cluster's ingress every request
   * comes from an ingress pod, and the client, whom rate limiting counts, is the address it forwards.
   */
  trustedProxies: readonly string[];
  /** The built page's folder (web/dist), served at / beside the API; tests point it elsewhere. */
  webRoot?: string;
}

export type OpsDeps = Pick<AppDeps, "logger" | "metrics"> & { readiness: ReadinessSource };

function closeConnectionsWhileDraining(isDraining: () => boolean): Middleware<AppState> {
  return (ctx, next) => {
    if (isDraining()) ctx.set("Connection", "close");
    return next();
  };
}

const API_PATHS = "/api/";

/**
 * Requests under /api (unknown paths included) meet the rate limit; the public port may serve more than the API.
 * A URL that starts with the prefix has a path that does (Koa's ctx.path is the URL up to its query, or Node's
 * url.parse of it, which keeps a leading "/api/" as it is), so only other URLs are parsed to be sure: an
 * absolute-form URL (`GET http://host/api/…`) is under /api too, as the router serves it.
 */
function onlyUnderApi<Context>(middleware: Middleware<AppState, Context>): Middleware<AppState, Context> {
  return (ctx, next) =>
    ctx.url.startsWith(API_PATHS) || ctx.path.startsWith(API_PATHS) ? middleware(ctx, next) : next();
}

/**
 * The public port: the JSON API under /api, and the web page at / (so a local `npm run service` shows it; in the
 * cluster the web tier serves it, see createWebApp). Probes and the metrics scrape are on the ops port
 * (createOpsApp), which the cluster never routes from outside.
 */
export async function createApp(deps: AppDeps): Promise<Koa<AppState>> {
  const app = new Koa<AppState>({ proxy: false });
  const api = apiRoutes(deps);
  app.use(observe(deps.metrics, deps.logger));
  app.use(await securityHeaders());
  app.use(closeConnectionsWhileDraining(deps.isDraining));
  app.use(resolveClientAddress(deps.trustedProxies));
  app.use(handleErrors(deps.logger));
  app.use(onlyUnderApi(deps.rateLimit));
  app.use(api.routes());
  app.use(webPage(deps.webRoot));
  // Errors are answered by handleErrors; what reaches here is a client that went away mid-response.
  app.on("error", (error: Error) => deps.logger.debug({ err: error.message }, "response not delivered"));
  return app;
}

export type WebDeps = Pick<AppDeps, "logger" | "metrics" | "isDraining" | "webRoot">;

/** The `web` command's public port: the built page only, with its CSP and caching headers; no API, no database. */
export async function createWebApp(deps: WebDeps): Promise<Koa<AppState>> {
  const app = new Koa<AppState>({ proxy: false });
  app.use(observe(deps.metrics, deps.logger));
  app.use(await securityHeaders());
  app.use(closeConnectionsWhileDraining(deps.isDraining));
  app.use(handleErrors(deps.logger));
  app.use(webPage(deps.webRoot));
  app.on("error", (error: Error) => deps.logger.debug({ err: error.message }, "response not delivered"));
  return app;
}

/**
 * The ops port of the API and the worker: /health, /ready and /metrics, for probes and the scrape only. No
 * security headers: they instruct browsers, and only the kubelet and Prometheus reach this port (the
 * NetworkPolicies admit nothing else, and no route leads to it), while the liveness probe is the most frequent
 * request a replica answers.
 */
export function createOpsApp(deps: OpsDeps): Koa<AppState> {
  const app = new Koa<AppState>();
  const system = systemRoutes(deps.readiness, deps.metrics);
  app.use(observe(deps.metrics, deps.logger));
  app.use(liveness());
  app.use(handleErrors(deps.logger));
  app.use(system.routes());
  app.on("error", (error: Error) => deps.logger.debug({ err: error.message }, "response not delivered"));
  return app;
}
