import { bodyParser } from "@koa/bodyparser";
import type { Middleware } from "koa";
import type { AppState } from "../context";
import { HttpError } from "../errors";

const MAX_JSON_BODY = "16kb";

/** JSON exchanged between systems is UTF-8 (RFC 8259 §8.1); a body declared otherwise would be misread. */
const UTF8 = new Set(["", "utf-8", "utf8"]);

/**
 * The charset a Content-Type declares, read from the raw header: Koa's `request.charset` answers "" for a header it
 * cannot parse, which would let `application/json; charset=utf-16;` through as UTF-8.
 */
const declaredCharset = (contentType: string) => /;\s*charset\s*=\s*"?([^";,\s]*)/i.exec(contentType)?.[1] ?? "";

/**
 * Parses a JSON request body of at most 16 kB; a body of another media type, or declared in a charset other than
 * UTF-8, is refused with 415 (a request without a body passes, and its route's schema decides whether a body was
 * required).
 */
export function jsonBody(): Middleware<AppState>[] {
  const requireJson: Middleware<AppState> = async (ctx, next) => {
    const json = ctx.request.is("application/json");
    if (json === false) {
      throw new HttpError(415, "unsupported_media_type", "the request body must be application/json");
    }
    const charset = declaredCharset(ctx.get("Content-Type"));
    if (json !== null && !UTF8.has(charset.toLowerCase())) {
      throw new HttpError(
        415,
        "unsupported_media_type",
        `the request body must be UTF-8 encoded JSON; charset ${JSON.stringify(charset)} is not supported`,
      );
    }
    await next();
  };
  const parse = bodyParser({ enableTypes: ["json"], jsonLimit: MAX_JSON_BODY, jsonStrict: true });
  return [requireJson, parse as Middleware<AppState>];
}
