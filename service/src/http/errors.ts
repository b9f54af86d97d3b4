/** The one error type behind every 4xx and 5xx; its body is `{ error: { code, message, details?, requestId } }`. */
export class HttpError extends Error {
  override name = "HttpError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** For dependencies that are down or not ready yet: clients are told when to try again. */
export const serviceUnavailable = (code: string, message: string, details?: unknown, retryAfterSeconds = 1) =>
  new HttpError(503, code, message, details, { "Retry-After": String(retryAfterSeconds) });
