import { bodyParser } from "@koa/bodyparser";
import type { Middleware } from "koa";
import type { AppState } from "../context";
import { HttpError } from "../errors";

const MAX_JSON_BODY = "16kb";

/**
 * Parses a JSON request body of at most 16 kB; a body of another media type is refused with 415 (a request
 * without a body passes, and its route's schema decides whether a body was required).
 */
export function jsonBody(): Middleware<AppState>[] {
  const requireJson: Middleware<AppState> = async (ctx, next) => {
    if (ctx.request.is("application/json") === false) {
      throw new HttpError(415, "unsupported_media_type", "the request body must be application/json");
    }
    await next();
  };
  const parse = bodyParser({ enableTypes: ["json"], jsonLimit: MAX_JSON_BODY, jsonStrict: true });
  return [requireJson, parse as Middleware<AppState>];
}
