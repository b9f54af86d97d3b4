import type { Middleware } from "koa";
import { TokenError, verifyToken } from "../../auth/tokens";
import type { AppState } from "../context";
import { HttpError } from "../errors";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="football-prediction"' };
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

const unauthorized = (code: string, message: string) => new HttpError(401, code, message, undefined, CHALLENGE);

/** Admits requests carrying a valid bearer token whose scope includes `scope`; sets `ctx.state.principal`. */
export function requireScope(secret: string, scope: string): Middleware<AppState> {
  return async (ctx, next) => {
    const header = ctx.get("Authorization");
    if (header === "") throw unauthorized("missing_token", "this endpoint needs an Authorization: Bearer token");
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) {
      throw unauthorized("invalid_token", "the Authorization header must be 'Bearer <jwt>'");
    }
    try {
      ctx.state.principal = await verifyToken(secret, token);
    } catch (error) {
      if (error instanceof TokenError) throw unauthorized("invalid_token", error.message);
      throw error;
    }
    if (!ctx.state.principal.scopes.includes(scope)) {
      throw new HttpError(403, "insufficient_scope", `this endpoint needs a token with the '${scope}' scope`);
    }
    await next();
  };
}
