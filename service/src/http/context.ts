import type { ParameterizedContext } from "koa";
import type { Principal } from "../auth/tokens";

export interface AppState {
  /** The server's own id for the request; never taken from the client. */
  requestId: string;
  /** The caller's X-Request-Id, when it sent a well-formed one. */
  clientRequestId?: string;
  /** Set by the auth middleware on write routes. */
  principal?: Principal;
}

export type AppContext = ParameterizedContext<AppState>;

/** What Koa's `ctx.type = "application/json"` sets, without looking the type up for every response. */
export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";
/** In lower case, as the security headers are (securityHeaders.ts): Node then keys it without a new string. */
export const CONTENT_TYPE = "content-type";

/**
 * Answers with JSON that is already serialised (cached values are stored as text, so hits skip JSON work): as text,
 * or, for a large answer kept for many requests, encoded once in a Buffer that the socket takes as it is (see
 * cache's wireBody for which costs less when).
 */
export function sendJsonText(ctx: AppContext, json: string | Buffer, status = 200): void {
  ctx.status = status;
  // Onto Node's response itself; the body's setter then sees a type is set and looks none up.
  ctx.res.setHeader(CONTENT_TYPE, JSON_CONTENT_TYPE);
  ctx.body = json;
}
