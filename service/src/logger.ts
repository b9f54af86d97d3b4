import pino from "pino";

export type Logger = pino.Logger;

/**
 * Fields that would carry a credential if a future log call passed one; pino replaces their values before a
 * line is written. No wildcards: they make every log call walk its whole object, the access log's included.
 */
const REDACTED_PATHS = [
  "authorization",
  "headers.authorization",
  "req.headers.authorization",
  "token",
  "password",
  "secret",
  "jwtSecret",
  "databaseUrl",
  "redisUrl",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "football-prediction" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    },
    // Synchronous stdout: pino's default asynchronous writer flushes at most 16 kB per event-loop turn, so under
    // heavy load unwritten log lines pile up in memory faster than they drain.
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** Credentials in a connection URL are replaced, so the URL can be logged and reported. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "redacted";
    return parsed.toString();
  } catch {
    return "[unparseable url]";
  }
}
