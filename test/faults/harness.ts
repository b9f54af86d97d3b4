/**
 * What the fault drills run on: a PostgreSQL cluster and Redis servers of their own (so stopping or killing them
 * disturbs nobody else on the machine), the service as the image runs it (`node dist/main.js serve`, compiled
 * once per run into a scratch directory) in a child process, and a load generator that records every request.
 *
 * Everything listens on 127.0.0.1 only, on free ports; everything is stopped and removed after the run (and, if
 * the run dies, on process exit).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import ts from "typescript";
import { TEST_JWT_SECRET, prepareDatabase } from "../service/helpers";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
const SERVICE_DIR = path.join(REPO_ROOT, "service");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export { sleep };

export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs a command to completion; rejects with its output when it fails. */
function run(command: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output.slice(-4000)}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL

/** PG_BIN, else the newest /usr/lib/postgresql/<major>/bin (Debian's layout), else PATH. */
function postgresBinDir(): string {
  if (process.env.PG_BIN !== undefined) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  const majors = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((major) => fs.existsSync(path.join(root, major, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length > 0) return path.join(root, majors[0], "bin");
  const found = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  if (found.status === 0) return path.dirname(found.stdout.trim());
  throw new Error("initdb not found: set PG_BIN or install PostgreSQL's server binaries (scripts/setup.sh)");
}

/** initdb and postgres refuse to run as root; as root they run as the postgres user. */
const isRoot = process.getuid?.() === 0;
const POSTGRES_USER = "postgres";

function asPostgresUser(command: string, args: string[]): [string, string[]] {
  return isRoot ? ["runuser", ["-u", POSTGRES_USER, "--", command, ...args]] : [command, args];
}

/**
 * A PostgreSQL cluster in a temporary directory, on a port of its own, trust authentication on 127.0.0.1 and
 * its socket directory only. Default durability settings (fsync, synchronous_commit): the write drill relies
 * on them.
 */
export class PostgresCluster {
  private running = false;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  static async create(): Promise<PostgresCluster> {
    const bin = postgresBinDir();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fp-faults-pg-"));
    if (isRoot) {
      const { uid, gid } = postgresIds();
      fs.chownSync(dir, uid, gid);
    }
    const cluster = new PostgresCluster(dir, await freePort(), bin);
    live.add(cluster);
    const [command, args] = asPostgresUser(path.join(bin, "initdb"), [
      "-D",
      cluster.dataDir,
      "-U",
      "postgres",
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--no-sync", // only initdb's own files; the running server keeps fsync on
    ]);
    await run(command, args);
    await cluster.start();
    return cluster;
  }

  private get dataDir(): string {
    return path.join(this.dir, "data");
  }

  get isRunning(): boolean {
    return this.running;
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private pgCtl(args: string[]): [string, string[]] {
    return asPostgresUser(path.join(this.bin, "pg_ctl"), ["-D", this.dataDir, ...args]);
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = [
      "-c listen_addresses=127.0.0.1",
      `-p ${this.port}`,
      `-k ${this.dir}`,
      "-c max_connections=60",
      "-c log_min_messages=warning",
    ].join(" ");
    const [command, args] = this.pgCtl(["-w", "-t", "60", "-l", path.join(this.dir, "server.log"), "-o", options, "start"]);
    await run(command, args);
    this.running = true;
  }

  /**
   * `fast`: sessions are terminated and the server shuts down cleanly. `immediate`: the postmaster quits at once
   * without a checkpoint, like a crash; the next start replays the WAL.
   */
  async stop(mode: "fast" | "immediate"): Promise<void> {
    const [command, args] = this.pgCtl(["-w", "-t", "60", "-m", mode, "stop"]);
    this.running = false;
    await run(command, args);
  }

  stopNow(): void {
    if (!this.running) return;
    const [command, args] = this.pgCtl(["-m", "immediate", "stop"]);
    spawnSync(command, args, { stdio: "ignore" });
    this.running = false;
  }

  async ensureRunning(): Promise<void> {
    if (!this.running) await this.start();
  }

  async query<T extends object = Record<string, unknown>>(database: string, sql: string, values?: unknown[]): Promise<T[]> {
    const client = new Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return (await client.query(sql, values)).rows as T[];
    } finally {
      await client.end();
    }
  }

  destroy(): void {
    this.stopNow();
    fs.rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(spawnSync("id", ["-u", POSTGRES_USER], { encoding: "utf8" }).stdout.trim());
  const gid = Number(spawnSync("id", ["-g", POSTGRES_USER], { encoding: "utf8" }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`no ${POSTGRES_USER} user to run PostgreSQL as`);
  return { uid, gid };
}

const TEMPLATE_DATABASE = "fp_faults_template";
let clusterSetup: Promise<PostgresCluster> | undefined;
let databaseCount = 0;

/**
 * The run's cluster, with a template database migrated, seeded and fitted once (about as long as the service's
 * own `migrate` + `seed` + first refit). Suites run one after another, so a drill that stops it restarts it
 * before it ends; `freshDatabase` restarts it too if a failed drill left it stopped.
 */
export function sharedCluster(): Promise<PostgresCluster> {
  clusterSetup ??= (async () => {
    const cluster = await PostgresCluster.create();
    await cluster.query("postgres", `CREATE DATABASE ${TEMPLATE_DATABASE}`);
    await prepareDatabase(cluster.url(TEMPLATE_DATABASE));
    return cluster;
  })();
  return clusterSetup;
}

/** A copy of the seeded template on the run's cluster; returns its URL. */
export async function freshDatabase(cluster: PostgresCluster): Promise<{ name: string; url: string }> {
  await cluster.ensureRunning();
  databaseCount += 1;
  const name = `fp_faults_${databaseCount}`;
  await cluster.query("postgres", `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  return { name, url: cluster.url(name) };
}

// ---------------------------------------------------------------------------------------------------------------
// Redis

/** A redis-server of the test's own, without persistence, that can be killed and started again on its port. */
export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    if (spawnSync("sh", ["-c", "command -v redis-server"]).status !== 0) {
      throw new Error("redis-server is not on PATH: the fault drills run their own (Debian/Ubuntu: apt-get install redis-server)");
    }
    const server = new RedisServer(await freePort());
    live.add(server);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"],
      { stdio: "ignore" },
    );
    this.child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} on port ${this.port}`);
      if (await answersPing(this.port)) return;
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${this.port}`);
      await sleep(20);
    }
  }

  /** SIGKILL: no shutdown, connections drop, everything in memory is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }

  async destroy(): Promise<void> {
    await this.kill();
    live.delete(this);
  }

  killNow(): void {
    this.child?.kill("SIGKILL");
  }
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let reply = "";
    socket.setTimeout(500, () => socket.destroy());
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) socket.end();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(reply.startsWith("+PONG")));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The service

let build: Promise<string> | undefined;

/**
 * The service compiled as `npm run build` does (same tsconfig), file by file without type checking (as ts-node
 * runs it here), into a scratch directory laid out like the image: `<dir>/service/dist`, `<dir>/service/package.json`.
 * Once per run, in about a second: each start is then a plain `node dist/main.js serve` (about a second, against
 * about five under ts-node), and work in progress elsewhere in the tree cannot fail the drills on a type error.
 */
export function builtService(): Promise<string> {
  build ??= (async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "fp-faults-build-"));
    buildDirs.add(root);
    const serviceDir = path.join(root, "service");
    const outDir = path.join(serviceDir, "dist");
    fs.mkdirSync(outDir, { recursive: true });
    fs.copyFileSync(path.join(SERVICE_DIR, "package.json"), path.join(serviceDir, "package.json"));
    const parsed = ts.getParsedCommandLineOfConfigFile(path.join(SERVICE_DIR, "tsconfig.build.json"), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
      },
    });
    if (parsed === undefined) throw new Error("service/tsconfig.build.json could not be read");
    const sourceRoot = parsed.options.rootDir ?? path.join(SERVICE_DIR, "src");
    const compilerOptions = { ...parsed.options, sourceMap: false, declaration: false };
    for (const file of parsed.fileNames) {
      const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), { compilerOptions, fileName: file });
      const target = path.join(outDir, path.relative(sourceRoot, file)).replace(/\.ts$/, ".js");
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, outputText);
    }
    return path.join(outDir, "main.js");
  })();
  return build;
}

export interface ServiceEnv {
  DATABASE_URL: string;
  REDIS_URL?: string;
  [name: string]: string | undefined;
}

interface LogLine {
  level?: number;
  msg?: string;
  [key: string]: unknown;
}

/** `node dist/main.js serve` in a child process, configured as in a deployed environment (APP_ENV=test). */
export class ServiceProcess {
  private output = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString();
      // Bounded: a drill that logs a line per request must not grow the test process without limit.
      if (this.output.length > 64_000_000) this.output = this.output.slice(-32_000_000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal, at: performance.now() })),
    );
  }

  static async start(env: ServiceEnv): Promise<ServiceProcess> {
    const main = await builtService();
    const port = await freePort();
    const nodePath = [path.join(SERVICE_DIR, "node_modules"), path.join(REPO_ROOT, "node_modules")]
      .filter((dir) => fs.existsSync(dir))
      .join(path.delimiter);
    const child = spawn(process.execPath, [main, "serve"], {
      cwd: path.dirname(path.dirname(main)),
      env: {
        PATH: process.env.PATH,
        NODE_PATH: nodePath,
        APP_ENV: "test",
        LOG_LEVEL: "warn",
        JWT_SECRET: TEST_JWT_SECRET,
        CACHE_PREFIX: "fp-faults:",
        RATE_LIMIT_PER_MINUTE: "1000000000",
        // Outside APP_ENV=local a quarter of the grace period passes between readiness turning 503 and the
        // listener closing; the shutdown drill sets its own.
        SHUTDOWN_GRACE_SECONDS: "4",
        ...env,
        PORT: String(port),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const service = new ServiceProcess(child, port);
    live.add(service);
    await service.waitUntilReady(60_000);
    return service;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get log(): string {
    return this.output;
  }

  /** The service's JSON log lines (pino). */
  logLines(): LogLine[] {
    return this.output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => {
        try {
          return JSON.parse(line) as LogLine;
        } catch {
          return { level: 0, msg: line };
        }
      });
  }

  /** The service's log lines at error level or above (pino: 50 error, 60 fatal). */
  errorLines(): LogLine[] {
    return this.logLines().filter((line) => (line.level ?? 0) >= 50);
  }

  /** Status of every request the application answered, by request id, from its access log (LOG_LEVEL=info). */
  answeredRequests(): Map<string, number> {
    const answered = new Map<string, number>();
    for (const line of this.logLines()) {
      if (line.msg === "request" && typeof line.reqId === "string" && typeof line.status === "number") {
        answered.set(line.reqId, line.status);
      }
    }
    return answered;
  }

  async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.alive) throw new Error(`the service exited:\n${this.output.slice(-4000)}`);
      const status = await fetch(`${this.baseUrl}/ready`).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) return;
      if (Date.now() > deadline) {
        throw new Error(`the service was not ready within ${timeoutMs} ms:\n${this.output.slice(-4000)}`);
      }
      await sleep(100);
    }
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.baseUrl}/metrics`)).text();
  }

  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.alive) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    live.delete(this);
  }

  killNow(): void {
    if (this.alive) this.child.kill("SIGKILL");
  }
}

/** The value of one series in Prometheus text format (0 when absent). */
export function metricValue(metrics: string, series: string): number {
  const line = metrics.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

// ---------------------------------------------------------------------------------------------------------------
// Load

export interface RequestSpec {
  /** What the drill calls this request, for its assertions ("cached", "uncached", "write", ...). */
  kind: string;
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Anything the drill wants back with the sample. */
  tag?: unknown;
}

export interface Sample {
  spec: RequestSpec;
  worker: number;
  /** performance.now() when the request was sent and when its answer (or failure) was complete. */
  start: number;
  end: number;
  status?: number;
  headers?: http.IncomingHttpHeaders;
  body?: string;
  /** A network failure: reset, hang-up, refused, or no complete answer within the timeout. */
  error?: string;
}

export const REQUEST_TIMEOUT_MS = 10_000;

/** One request on `agent`; never rejects: failures come back as `error`. */
export function send(
  agent: http.Agent,
  port: number,
  spec: RequestSpec,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<Omit<Sample, "worker">> {
  const start = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Partial<Sample>) => {
      if (settled) return;
      settled = true;
      resolve({ spec, start, end: performance.now(), ...result });
    };
    let request: http.ClientRequest;
    try {
      request = http.request(
        { host: "127.0.0.1", port, agent, method: spec.method ?? "GET", path: spec.path, headers: spec.headers },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size <= 65_536) chunks.push(chunk);
          });
          response.on("end", () =>
            finish({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks).toString() }),
          );
          response.on("error", (error) => finish({ error: `response: ${error.message}` }));
          response.on("aborted", () => finish({ error: "response aborted" }));
        },
      );
    } catch (error) {
      // The client refused to send it (a header Node's http client will not write): not a server fault.
      finish({ error: `client: ${(error as Error).message}` });
      return;
    }
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on("error", (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }));
    if (spec.body === undefined) request.end();
    else request.end(spec.body);
  });
}

export interface RawResult {
  /** From the first status line, when one came back. */
  status?: number;
  /** Every status line (pipelined requests get one each; 1xx interim answers count). */
  statuses: number[];
  response: string;
  /** How the exchange ended: the server closed the connection, reset it, or the time ran out. */
  ended: "closed" | "reset" | "timeout";
  /** performance.now() when the connection was open and when it ended. */
  connected: number;
  end: number;
}

/**
 * Bytes written over a plain TCP connection, piece by piece with pauses (a slow client, or a request Node's
 * HTTP client would refuse to write); collects whatever the server answers until it closes the connection.
 */
export function rawExchange(
  port: number,
  pieces: ReadonlyArray<{ data: string | Buffer; delayMs?: number }>,
  timeoutMs: number,
  options: { halfClose?: boolean } = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let connected = 0;
    let ended: RawResult["ended"] = "closed";
    const timer = setTimeout(() => {
      ended = "timeout";
      socket.destroy();
    }, timeoutMs);
    socket.on("connect", async () => {
      connected = performance.now();
      for (const piece of pieces) {
        if (piece.delayMs !== undefined) await sleep(piece.delayMs);
        if (socket.destroyed) return;
        socket.write(piece.data);
      }
      // The client is done sending (a truncated request stays truncated) but still reads the answer.
      if (options.halfClose === true && !socket.destroyed) socket.end();
    });
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {
      if (ended === "closed") ended = "reset";
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const response = Buffer.concat(chunks).toString("latin1");
      const statuses = [...response.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((match) => Number(match[1]));
      resolve({ status: statuses[0], statuses, response, ended, connected, end: performance.now() });
    });
  });
}

export interface LoadOptions {
  workers: number;
  /** The next request of a worker, or undefined to stop that worker. */
  next: (worker: number) => RequestSpec | undefined;
  /** Pause between a worker's requests. */
  thinkMs?: number;
  timeoutMs?: number;
}

/**
 * A closed loop: each worker sends its next request on its own keep-alive connection (reopened when the
 * server closes it) as soon as the previous one is answered, and records every request.
 */
export class Load {
  readonly samples: Sample[] = [];
  private stopped = false;
  private readonly done: Promise<void>;
  private readonly agents: http.Agent[] = [];

  constructor(
    readonly port: number,
    private readonly options: LoadOptions,
  ) {
    const workers = Array.from({ length: options.workers }, (_, worker) => this.work(worker));
    this.done = Promise.all(workers).then(() => undefined);
  }

  private async work(worker: number): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.agents.push(agent);
    while (!this.stopped) {
      const spec = this.options.next(worker);
      if (spec === undefined) break;
      const sample = await send(agent, this.port, spec, this.options.timeoutMs);
      this.samples.push({ ...sample, worker });
      if (this.options.thinkMs !== undefined) await sleep(this.options.thinkMs);
    }
  }

  /** Stops starting requests and waits for the ones in flight. */
  async stop(): Promise<Sample[]> {
    this.stopped = true;
    await this.done;
    for (const agent of this.agents) agent.destroy();
    return this.samples;
  }

  /** Resolves once every worker has stopped by itself (its `next` returned undefined). */
  async finished(): Promise<Sample[]> {
    await this.done;
    for (const agent of this.agents) agent.destroy();
    return this.samples;
  }
}

/** Polls `path` every `intervalMs` and records each answer; for readiness and the circuit-breaker gauge. */
export class Poller {
  readonly observations: Array<{ at: number; status: number; body: string }> = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(port: number, path: string, intervalMs: number) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.done = (async () => {
      while (!this.stopped) {
        const sample = await send(agent, port, { kind: "poll", path }, 2_000);
        this.observations.push({ at: sample.end, status: sample.status ?? 0, body: sample.body ?? "" });
        await sleep(intervalMs);
      }
      agent.destroy();
    })();
  }

  /** The first observation after `since` that satisfies `test`. */
  first(since: number, test: (observation: { status: number; body: string }) => boolean) {
    return this.observations.find((observation) => observation.at >= since && test(observation));
  }

  async waitFor(since: number, test: (observation: { status: number; body: string }) => boolean, timeoutMs: number) {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.first(since, test);
      if (found !== undefined) return found;
      if (performance.now() > deadline) return undefined;
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/** Counts by a key, for messages and the drill reports. */
export function tally<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

export const outcome = (sample: Sample) => (sample.error !== undefined ? `error ${sample.error}` : String(sample.status));

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One line per drill on the test output, so the run shows what each drill measured. */
export function report(drill: string, facts: Record<string, unknown>): void {
  if (process.env.FAULTS_QUIET !== undefined) return;
  console.log(`      [${drill}] ${JSON.stringify(facts)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// A seeded PRNG (mulberry32): the fuzz drill is reproducible from its seed.

export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Cleanup

const live = new Set<PostgresCluster | RedisServer | ServiceProcess>();
const buildDirs = new Set<string>();

function cleanUpNow(): void {
  for (const thing of live) {
    if (thing instanceof ServiceProcess) thing.killNow();
    else if (thing instanceof RedisServer) thing.killNow();
    else thing.destroy();
  }
  live.clear();
  for (const dir of buildDirs) fs.rmSync(dir, { recursive: true, force: true });
  buildDirs.clear();
}

process.once("exit", cleanUpNow);

after(async function cleanUpFaults() {
  this.timeout(30_000);
  for (const thing of [...live]) {
    if (thing instanceof ServiceProcess) await thing.stop(5_000);
    else if (thing instanceof RedisServer) await thing.destroy();
  }
  cleanUpNow();
});
