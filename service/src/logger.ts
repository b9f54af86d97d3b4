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
 * capacity (a container's stdout is a pipe), or at most a second. Whatever is buffered is written synchronously on
 * exit.
 */
export const LOG_WRITE_BYTES = 64 * 1024;
const FLUSH_INTERVAL_MS = 1_000;
/**
 * pino's destination (sonic-boom) writes the chunks: it writes once it holds LOG_WRITE_BYTES, queueing what arrives
 * while a write is under way and draining up to 1 MB per write, so the queue empties faster than lines arrive even
 * at thousands of requests a second. Memory stays bounded: past 16 MB that stdout cannot take, new chunks are
 * dropped rather than held.
 */
const STDOUT_QUEUE = { minLength: LOG_WRITE_BYTES, maxWrite: 1024 * 1024, maxLength: 16 * 1024 * 1024 };
/** A chunk: LOG_WRITE_BYTES, and room beyond them for the line that fills it. */
const CHUNK_BYTES = LOG_WRITE_BYTES + 16 * 1024;

/**
 * Lines encoded straight into a chunk, which is handed on once it holds LOG_WRITE_BYTES (or when the next line
 * might not fit: UTF-8 takes at most 3 bytes per UTF-16 unit). Encoding into the chunk allocates once per chunk,
 * where a Buffer per line (Buffer.from's slices of 8 kB pools, then sonic-boom's concat of several hundred into one
 * write) cost a cached prediction 12.5 ± 3.5 µs more CPU, with about as many instructions (`npm run bench --
 * --compare`, bench/results/2026-12-07-compare-3). A line too long for a chunk is handed on by itself, after what
 * was held before it.
 */
export class LineChunks {
  private chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private used = 0;

  constructor(private readonly handOn: (chunk: Buffer) => void) {}

  write(line: string): void {
    if (this.used + line.length * 3 > CHUNK_BYTES) {
      this.flush();
      if (line.length * 3 > CHUNK_BYTES) {
        this.handOn(Buffer.from(line));
        return;
      }
    }
    this.used += this.chunk.write(line, this.used);
    if (this.used >= LOG_WRITE_BYTES) this.flush();
  }

  /** Hands on what is held; the next lines go into a new chunk, as the one handed on is written asynchronously. */
  flush(): void {
    if (this.used === 0) return;
    this.handOn(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
    this.used = 0;
  }
}

let stdout: pino.DestinationStream | undefined;

/** One buffered stdout stream per process, however many loggers write to it. */
function bufferedStdout(): pino.DestinationStream {
  if (stdout !== undefined) return stdout;
  const destination = pino.destination({ dest: 1, sync: false, contentMode: "buffer", ...STDOUT_QUEUE });
  // In buffer mode sonic-boom's write takes Buffers; its type declarations only know strings.
  const writeBuffer = destination.write.bind(destination) as unknown as (chunk: Buffer) => boolean;
  const chunks = new LineChunks(writeBuffer);
  // What is held goes out within a second: handed on, then written although it is less than minLength.
  setInterval(() => {
    chunks.flush();
    destination.flush();
  }, FLUSH_INTERVAL_MS).unref();
  process.once("exit", () => {
    try {
      // What sonic-boom holds first, then the last chunk: less than minLength, so handing it on queues it
      // without starting an asynchronous write that the exit would cut short, and the second flush writes it.
      destination.flushSync();
      chunks.flush();
      destination.flushSync();
    } catch {
      // Nothing more can be done for the lines once stdout refuses them at exit.
    }
  });
  stdout = { write: (line: string) => chunks.write(line) };
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
