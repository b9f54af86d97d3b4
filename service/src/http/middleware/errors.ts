import type { Middleware } from "koa";
import { AppError, type AppErrorKind } from "../../errors";
import type { Logger } from "../../logger";
import { isDatabaseUnavailable } from "../../storage/db";
import type { AppContext, AppState } from "../context";
import { HttpError, serviceUnavailable } from "../errors";

/** Codes for the errors Koa's own helpers and the body parser raise (they carry `status` and `expose`). */
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: "bad_request",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

interface ExposedError {
  status: number;
  expose: boolean;
  message: string;
}

function isExposedClientError(error: unknown): error is ExposedError {
  const candidate = error as Partial<ExposedError> | null;
  return (
    typeof candidate?.status === "number" &&
    candidate.status >= 400 &&
    candidate.status < 500 &&
    candidate.expose === true
  );
}

/** The application layer's errors (service/src/errors.ts) by kind. */
const STATUS_BY_KIND: Readonly<Record<AppErrorKind, number>> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

function fromAppError(error: AppError): HttpError {
  if (error.kind === "unavailable") {
    return serviceUnavailable(error.code, error.message, undefined, error.retryAfterSeconds);
  }
  return new HttpError(STATUS_BY_KIND[error.kind], error.code, error.message);
}

function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof AppError) return fromAppError(error);
  if (isDatabaseUnavailable(error)) {
    return serviceUnavailable("database_unavailable", "the database is unavailable; retry shortly");
  }
  // A data exception (SQLSTATE class 22) is a value PostgreSQL refused; validation should have caught it first,
  // and either way it is the client's input, not a server fault.
  if (sqlStateOf(error)?.startsWith("22")) {
    return new HttpError(400, "invalid_input", "a value in the request is outside what the service can store");
  }
  // The JSON body parser reports unparseable bodies as a SyntaxError carrying status 400.
  if (error instanceof SyntaxError && (error as { status?: unknown }).status === 400) {
    return new HttpError(400, "invalid_json", `the request body is not valid JSON: ${error.message}`);
  }
  if (isExposedClientError(error)) {
    return new HttpError(error.status, CODE_BY_STATUS[error.status] ?? "bad_request", error.message);
  }
  return undefined;
}

/**
 * Unknown paths (404) and wrong methods (405, the router's, methods it does not know such as PROPFIND included)
 * are answered without a body; those get the JSON shape too.
 */
function bodylessError(ctx: AppContext): HttpError {
  const { status } = ctx;
  const code = CODE_BY_STATUS[status] ?? "error";
  const message =
    status === 404
      ? `no route for ${ctx.method} ${ctx.path}`
      : status === 405
        ? `${ctx.method} is not allowed here; allowed: ${ctx.response.get("Allow")}`
        : `${ctx.method} ${ctx.path} failed with status ${status}`;
  return new HttpError(status, code, message);
}

function render(ctx: AppContext, error: HttpError): void {
  ctx.status = error.status;
  ctx.set(error.headers);
  ctx.body = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
      requestId: ctx.state.requestId,
    },
  };
}

/**
 * Turns every failure into the JSON error shape. Anything unexpected is logged with its stack and answered
 * as a bare 500 that reveals nothing of the internals.
 */
export function handleErrors(logger: Logger): Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status >= 400 && ctx.body == null) throw bodylessError(ctx);
    } catch (error) {
      const known = toHttpError(error);
      if (known !== undefined) {
        // An outage is reported by readiness and the 503 metrics; a log line per refused request adds nothing.
        if (known.status >= 500) logger.debug({ reqId: ctx.state.requestId, err: error }, known.message);
        render(ctx, known);
        return;
      }
      logger.error({ reqId: ctx.state.requestId, err: error }, "unhandled error");
      render(ctx, new HttpError(500, "internal_error", "internal error"));
    }
  };
}
