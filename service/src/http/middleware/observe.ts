import { randomUUID } from "node:crypto";
import type { Middleware } from "koa";
import { type Logger, writeMembers } from "../../logger";
import type { Metrics } from "../../metrics";
import type { AppState } from "../context";

/** Node's name for it among the request's headers; sent in lower case too, as the security headers are. */
const REQUEST_ID_HEADER = "x-request-id";
/** A caller's id is kept beside the server's when it is safe to log and store; anything else is dropped. */
const ACCEPTABLE_REQUEST_ID = /^[\w.:-]{1,128}$/;
const MAX_LOGGED_URL = 256;
/** Probes and scrapes would drown the log at info level: their routes, which the ops port's routers label. */
const QUIET_ROUTES = new Set(["/health", "/ready", "/metrics"]);

/**
 * Outermost middleware: gives every request an id of the server's own (answered in `X-Request-Id`, on its log line,
 * in error bodies and audit rows; the caller's X-Request-Id, if well-formed, is kept beside it) and records
 * the request in the HTTP metrics and the access log once the answer, error answers included, is settled.
 * Routes are labelled by their pattern, so metric cardinality stays bounded whatever paths clients send.
 */
export function observe(metrics: Metrics, logger: Logger): Middleware<AppState> {
  return async (ctx, next) => {
    const started = performance.now();
    // Straight from Node's request and onto its response: Koa's get and set add a lookup and checks per call.
    const incoming = ctx.req.headers[REQUEST_ID_HEADER];
    const clientRequestId = typeof incoming === "string" && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : undefined;
    const requestId = randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.clientRequestId = clientRequestId;
    ctx.res.setHeader(REQUEST_ID_HEADER, requestId);
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      const route = typeof matched === "string" ? matched : "unmatched";
      // Node's request and response themselves, as above; a server's request always has its method.
      const { method } = ctx.req as { method: string };
      const { statusCode } = ctx.res;
      const status = String(statusCode);
      const quiet = QUIET_ROUTES.has(route);
      metrics.httpRequests.inc(method, route, status);
      // Probes and scrapes are counted but not timed: no latency figure looks at them, and the liveness probe is
      // the most frequent request a replica answers.
      if (!quiet) metrics.httpDuration.observe(seconds, method, route, status);
      const level = quiet ? "debug" : "info";
      // The line is only built when it is written: the probes' lines are not, at the usual level. The ids and the
      // method are written as they are: the server's id is a UUID, the client's passed ACCEPTABLE_REQUEST_ID, and
      // Node's parser accepts only the methods it knows (http.METHODS: upper-case letters and hyphens).
      if (logger.isLevelEnabled(level)) {
        const members =
          `"reqId":"${requestId}"${clientRequestId === undefined ? "" : `,"clientReqId":"${clientRequestId}"`}` +
          `,"method":"${method}","url":${JSON.stringify(ctx.originalUrl.slice(0, MAX_LOGGED_URL))}` +
          `,"status":${statusCode},"ms":${Math.round(seconds * 10_000) / 10}`;
        writeMembers(logger, level, members, "request");
      }
    }
  };
}
