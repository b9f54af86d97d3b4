import { randomBytes } from "node:crypto";
import net from "node:net";
import Redis from "ioredis";
import { Client } from "pg";
import { mintToken } from "../../service/src/auth/tokens";
import { type Config, loadConfig } from "../../service/src/config";
import { createLogger } from "../../service/src/logger";
import { Metrics } from "../../service/src/metrics";
import { ModelRegistry } from "../../service/src/predictions/modelRegistry";
import { RefitScheduler } from "../../service/src/predictions/refitScheduler";
import { LocalSignalBus } from "../../service/src/predictions/signals";
import { type RunningService, type ServeOptions, startService } from "../../service/src/runtime/serve";
import { COMMAND_DATABASE_TIMEOUTS, type Database, createDatabase } from "../../service/src/storage/db";
import { migrateToLatest } from "../../service/src/storage/migrator";
import { seedHistoricalResults } from "../../service/src/storage/seed";

/** The local servers of scripts/setup.sh; other engineers' tests share them, so everything here is namespaced. */
export const PG_HOST = "127.0.0.1";
export const PG_PORT = 5432;
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379/0";
export const TEST_JWT_SECRET = "test-secret-that-is-at-least-32-characters-long";

const RUN_ID = `${process.pid}_${randomBytes(3).toString("hex")}`;
/** Every Redis key this run writes starts with this; the root hook below deletes them. */
export const REDIS_RUN_PREFIX = `fp-test:${RUN_ID}:`;

export const silentLogger = createLogger("silent");

const databaseUrl = (name: string) => `postgres://postgres@${PG_HOST}:${PG_PORT}/${name}`;
const createdDatabases: string[] = [];
let databaseCount = 0;

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl("postgres") });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function createDatabaseNamed(template?: string): Promise<string> {
  databaseCount += 1;
  const name = `fp_test_${RUN_ID}_${databaseCount}`;
  const copying = template === undefined ? "" : ` TEMPLATE ${template}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}${copying}`));
  createdDatabases.push(name);
  return name;
}

/** An empty database of its own, dropped after the run. */
export async function freshDatabaseUrl(): Promise<string> {
  return databaseUrl(await createDatabaseNamed());
}

export function commandDatabase(url: string): Database {
  const pool = { min: 0, max: 2 };
  return createDatabase({ connection: url, pool, ...COMMAND_DATABASE_TIMEOUTS, logger: silentLogger });
}

/**
 * Migrates, seeds and fits every league in the database at `url`, through the same code the service runs
 * (`migrate`, `seed`, then one refit per league as the worker does), so a service started on it is ready at once.
 */
export async function prepareDatabase(url: string): Promise<void> {
  const db = commandDatabase(url);
  try {
    await migrateToLatest(db);
    await seedHistoricalResults(db);
    const deps = {
      db,
      registry: new ModelRegistry(),
      signals: new LocalSignalBus(),
      metrics: new Metrics(),
      logger: silentLogger,
    };
    const scheduler = new RefitScheduler(deps, { debounceMs: 0, intervalMs: 3_600_000, pollIntervalMs: 3_600_000 });
    await scheduler.start();
    await scheduler.idle();
    await scheduler.stop();
  } finally {
    await db.destroy();
  }
}

/** Migrates, seeds and fits every league once per run. */
async function buildTemplate(): Promise<string> {
  const name = await createDatabaseNamed();
  await prepareDatabase(databaseUrl(name));
  return name;
}

let template: Promise<string> | undefined;

/** A migrated, seeded database with a fitted model per league, copied from the run's template. */
export async function seededDatabaseUrl(): Promise<string> {
  template ??= buildTemplate();
  return databaseUrl(await createDatabaseNamed(await template));
}

let prefixCount = 0;

/** A Redis key prefix no other test (or engineer) uses. */
export function uniqueRedisPrefix(): string {
  prefixCount += 1;
  return `${REDIS_RUN_PREFIX}${prefixCount}:`;
}

/** Configuration as the service would load it, for a test environment. */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  const config = loadConfig({
    APP_ENV: "test",
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: "silent",
    RATE_LIMIT_PER_MINUTE: "100000",
    MODEL_REFIT_DEBOUNCE_SECONDS: "0",
    ...env,
  });
  return { ...config, port: 0 };
}

export interface TestService {
  service: RunningService;
  baseUrl: string;
  get(path: string, init?: RequestInit): Promise<Response>;
  send(method: string, path: string, body: unknown, token?: string): Promise<Response>;
  stop(): Promise<void>;
}

export async function startTestService(config: Config, options: ServeOptions = {}): Promise<TestService> {
  const service = await startService(config, silentLogger, { drainDelayMs: 0, withWorker: false, ...options });
  const baseUrl = `http://127.0.0.1:${service.port}`;
  let stopped = false;
  return {
    service,
    baseUrl,
    get: (path, init) => fetch(`${baseUrl}${path}`, init),
    send: (method, path, body, token) =>
      fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          "content-type": "application/json",
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await service.shutdown();
    },
  };
}

export function writeToken(subject = "tester", options: { scopes?: string[]; ttlSeconds?: number } = {}) {
  return mintToken(TEST_JWT_SECRET, {
    subject,
    scopes: options.scopes ?? ["write"],
    ttlSeconds: options.ttlSeconds ?? 600,
  });
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId: string };
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

/** A TCP forwarder a test can cut and restore, to play a dependency going down and coming back. */
export class Interruptible {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Closes the listener and every forwarded connection: the dependency looks stopped. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

after(async function cleanUpRun() {
  this.timeout(30_000);
  // Suites that only borrow the functions above (test/faults runs its own servers) leave nothing to clean.
  if (createdDatabases.length > 0) {
    await admin(async (client) => {
      for (const name of createdDatabases) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
  }
  if (prefixCount === 0) return;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for await (const keys of redis.scanStream({ match: `${REDIS_RUN_PREFIX}*`, count: 500 })) {
      if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
    }
  } finally {
    redis.disconnect();
  }
});
