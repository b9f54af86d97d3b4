/**
 * What the application layer (catalog/, predictions/ and the commands below them) raises when a request cannot be
 * served. An error names its kind, a stable code and a message fit for the client; http/middleware/errors.ts maps
 * each kind to a status code, so nothing below http/ knows about HTTP (as auth/ does with TokenError).
 */
export type AppErrorKind = "not_found" | "conflict" | "invalid" | "unavailable";

export class AppError extends Error {
  override name = "AppError";

  constructor(
    readonly kind: AppErrorKind,
    readonly code: string,
    message: string,
    /** For `unavailable`: when the caller may try again. */
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

/** The thing asked for does not exist. */
export const notFound = (message: string) => new AppError("not_found", "not_found", message);

/** The request clashes with what is stored (a duplicate, a state that forbids it). */
export const conflict = (message: string) => new AppError("conflict", "conflict", message);

/** The request is well-formed but asks for something impossible (the same team twice). */
export const invalid = (code: string, message: string) => new AppError("invalid", code, message);

/** A dependency or a result it waits for is not there yet; the caller should retry after `retryAfterSeconds`. */
export const unavailable = (code: string, message: string, retryAfterSeconds = 1) =>
  new AppError("unavailable", code, message, retryAfterSeconds);
