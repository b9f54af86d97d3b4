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

/**
 * Log lines are buffered and written in chunks: a write system call per line (the access log's included) costs
 * more than the request it records. Lines wait until 8 kB are buffered, or at most a second, and each write drains
 * up to 1 MB, so the buffer empties faster than lines arrive even at thousands of requests a second (sonic-boom's
 * default of 16 kB per write let lines pile up under load). Memory stays bounded: past 16 MB of lines that stdout
 * cannot take, new lines are dropped rather than held. Whatever is buffered is written synchronously on exit.
 */
const STDOUT_BUFFERING = { minLength: 8 * 1024, maxWrite: 1024 * 1024, maxLength: 16 * 1024 * 1024, periodicFlush: 1_000 };

let stdout: pino.DestinationStream | undefined;

/** One buffered stdout stream per process, however many loggers write to it. */
function bufferedStdout(): pino.DestinationStream {
  if (stdout !== undefined) return stdout;
  const destination = pino.destination({ dest: 1, sync: false, ...STDOUT_BUFFERING });
  process.once("exit", () => {
    try {
      destination.flushSync();
    } catch {
      // Nothing more can be done for the lines once stdout refuses them at exit.
    }
  });
  stdout = destination;
  return destination;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "football-prediction" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    },
    destination ?? bufferedStdout(),
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
