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
 * more than the request it records. The writes are asynchronous (a synchronous write to a pipe whose reader lags
 * would stall every request), so each goes to libuv's thread pool and back, and those hand-offs cost about the
 * same whatever the size: 42 µs of CPU for a write of 8 kB and 60 µs for 64 kB on the benchmark's VM, 1.5 and
 * 0.27 µs per access-log line (2026-12-07). Lines therefore wait until 64 kB are buffered, a Linux pipe's default
 * capacity (a container's stdout is a pipe), or at most a second; each write drains up to 1 MB, so the buffer
 * empties faster than lines arrive even at thousands of requests a second (sonic-boom's default of 16 kB per write
 * let lines pile up under load). Memory stays bounded: past 16 MB of lines that stdout cannot take, new lines are
 * dropped rather than held. Whatever is buffered is written synchronously on exit.
 */
export const LOG_WRITE_BYTES = 64 * 1024;
const STDOUT_BUFFERING = {
  minLength: LOG_WRITE_BYTES,
  maxWrite: 1024 * 1024,
  maxLength: 16 * 1024 * 1024,
  periodicFlush: 1_000,
};

let stdout: pino.DestinationStream | undefined;

/**
 * One buffered stdout stream per process, however many loggers write to it. Lines are handed to sonic-boom as
 * Buffers (its "buffer" content mode): with strings, each line re-measures the UTF-8 length of everything still
 * waiting (sonic-boom/index.js `write`: `Buffer.byteLength(bufs[bufs.length - 1])`), up to maxWrite per line while a
 * write is under way; with Buffers it adds up the lengths it already knows (`writeBuffer`).
 */
function bufferedStdout(): pino.DestinationStream {
  if (stdout !== undefined) return stdout;
  const destination = pino.destination({ dest: 1, sync: false, contentMode: "buffer", ...STDOUT_BUFFERING });
  process.once("exit", () => {
    try {
      destination.flushSync();
    } catch {
      // Nothing more can be done for the lines once stdout refuses them at exit.
    }
  });
  // In buffer mode sonic-boom's write takes Buffers; its type declarations only know strings.
  const writeBuffer = destination.write.bind(destination) as unknown as (chunk: Buffer) => boolean;
  stdout = { write: (line: string) => writeBuffer(Buffer.from(line)) };
  return stdout;
}

let stampedAt = Number.NaN;
let stamp = "";

/**
 * pino's isoTime (pino/lib/time.js), formatted once per millisecond: under load many lines share a millisecond,
 * and formatting a Date took about a third of the time of an access-log line.
 */
function isoTime(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "football-prediction" },
      timestamp: isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    },
    destination ?? bufferedStdout(),
  );
}

const { chindingsSym, endSym, lsCacheSym, needsMetadataGsym, streamSym, timeSym } = pino.symbols;

/**
 * Writes a line whose fields are already JSON (`members`: `"a":1,"b":"x"`, no braces) exactly as pino writes the
 * same object: the level as the logger formats it, the time, the logger's bindings, the members, then `msg`, to
 * the logger's stream. It takes those pieces from the logger through pino.symbols, which pino exposes for
 * integrations that need its speed, so a change of formatter, timestamp or bindings changes these lines too.
 * For the access log, whose fields are known: pino walks an object key by key (a serializer and a redaction lookup
 * per key, each key and short string escaped in a loop), which cost about 3.6 µs per request in a served process,
 * against alternating runs writing the same line this way (2026-12-07). No redaction applies, so callers must not
 * pass a field REDACTED_PATHS names. A stream that wants pino's per-line metadata (multistream) gets the line
 * through pino.
 */
export function writeMembers(logger: Logger, level: pino.Level, members: string, msg: string): void {
  const internals = logger as unknown as Record<symbol, unknown>;
  const stream = internals[streamSym] as pino.DestinationStream & Record<symbol, unknown>;
  if (stream[needsMetadataGsym] === true) {
    logger[level](JSON.parse(`{${members}}`) as object, msg);
    return;
  }
  const levelLabel = (internals[lsCacheSym] as Record<number, string>)[logger.levels.values[level]];
  const time = (internals[timeSym] as (this: Logger) => string).call(logger);
  const line = `${levelLabel}${time}${internals[chindingsSym] as string},${members},"msg":${JSON.stringify(msg)}`;
  stream.write(line + (internals[endSym] as string));
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
