/**
 * Databases on a PostgreSQL server the run does not own: by default the machine's (scripts/setup.sh, trust
 * authentication), which other engineers' tests share, so every database made here has a name of its own.
 */
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { MemoryCache } from "../../service/src/cache/memoryCache";
import type { Clock } from "../../service/src/importer/types";
import { type Logger, createLogger } from "../../service/src/logger";
import { Metrics } from "../../service/src/metrics";
import { FixtureService } from "../../service/src/predictions/fixtureService";
import { ModelRegistry } from "../../service/src/predictions/modelRegistry";
import { PredictionPrecompute } from "../../service/src/predictions/precompute";
import { PredictionService } from "../../service/src/predictions/predictionService";
import { RefitScheduler } from "../../service/src/predictions/refitScheduler";
import { LocalSignalBus } from "../../service/src/predictions/signals";
import { COMMAND_DATABASE_TIMEOUTS, type Database, createDatabase as createKnex } from "../../service/src/storage/db";
import { migrateToLatest } from "../../service/src/storage/migrator";
import { seedHistoricalResults } from "../../service/src/storage/seed";
import { RUN_ID, atEndOfRun } from "./cleanup";

export const PG_HOST = "127.0.0.1";
export const PG_PORT = 5432;
/** The local server's maintenance database, where databases are created and dropped. */
export const LOCAL_ADMIN_URL = `postgres://postgres@${PG_HOST}:${PG_PORT}/postgres`;

const silentLogger = createLogger("silent");

/**
 * Where the code under test reaches the run's databases: the server itself, or a connection pooler in front of it
 * when TEST_POOLER_URL names one (test/service/pooler.test.ts runs the API specs that way, through PgBouncer).
 * Creating, copying and dropping databases always goes to the server.
 */
const CLIENT_BASE_URL = process.env.TEST_POOLER_URL ?? LOCAL_ADMIN_URL;

/** The URL of `database` on the server of `adminUrl`. */
export function databaseUrl(database: string, adminUrl = LOCAL_ADMIN_URL): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** One connection to `url` for `use`, closed afterwards. */
export async function withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(name: string, options: { template?: string; adminUrl?: string } = {}): Promise<void> {
  await withClient(options.adminUrl ?? LOCAL_ADMIN_URL, (client) => {
    const copying = options.template === undefined ? "" : ` TEMPLATE ${client.escapeIdentifier(options.template)}`;
    return client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}${copying}`);
  });
}

export async function dropDatabases(names: Iterable<string>, adminUrl = LOCAL_ADMIN_URL): Promise<void> {
  await withClient(adminUrl, async (client) => {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  });
}

export async function databaseExists(name: string, adminUrl = LOCAL_ADMIN_URL): Promise<boolean> {
  return withClient(adminUrl, async (client) => {
    const result = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    return result.rowCount === 1;
  });
}

/** A small pool with the timeouts of the service's one-off commands (migrate, seed). */
export function commandDatabase(url: string): Database {
  const pool = { min: 0, max: 2 };
  return createKnex({ connection: url, pool, ...COMMAND_DATABASE_TIMEOUTS, logger: silentLogger });
}

export interface TestWorker {
  /** Its signal bus, for a test to send what another process (an import, the API) would. */
  signals: LocalSignalBus;
  scheduler: RefitScheduler;
  precompute: PredictionPrecompute;
  registry: ModelRegistry;
  metrics: Metrics;
  /** Starts the refit loop and the precompute, as the worker does. */
  start(): Promise<void>;
  /** Waits for the fits and passes under way, then stops both. */
  stop(): Promise<void>;
  /** Fits the leagues without a model and stores the forecasts, then stops. */
  runOnce(): Promise<void>;
}

/** The worker's refit loop and prediction precompute as the `worker` command wires them, on an in-memory cache. */
export function testWorker(db: Database, options: { clock?: Clock; logger?: Logger } = {}): TestWorker {
  const registry = new ModelRegistry();
  const signals = new LocalSignalBus();
  const metrics = new Metrics();
  const logger = options.logger ?? silentLogger;
  const cache = new MemoryCache(60);
  const predictions = new PredictionService(db, cache, registry, metrics, { clock: options.clock });
  const fixtures = new FixtureService(db, cache, registry, metrics, options.clock);
  const precompute = new PredictionPrecompute(
    { db, registry, signals, predictions, fixtures, metrics, logger, clock: options.clock },
    3_600_000,
  );
  const scheduler = new RefitScheduler(
    { db, registry, signals, metrics, logger, precompute },
    { debounceMs: 0, intervalMs: 3_600_000, pollIntervalMs: 3_600_000 },
  );
  const worker: TestWorker = {
    signals,
    scheduler,
    precompute,
    registry,
    metrics,
    async start() {
      await scheduler.start();
      precompute.start();
    },
    async stop() {
      await scheduler.stop();
      await precompute.stop();
    },
    async runOnce() {
      await worker.start();
      await scheduler.idle();
      await worker.stop();
    },
  };
  return worker;
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
    await testWorker(db).runOnce();
  } finally {
    await db.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The run's own databases on the local server, dropped after the run

const createdDatabases: string[] = [];
let databaseCount = 0;

async function createRunDatabase(template?: string): Promise<string> {
  databaseCount += 1;
  const name = `fp_test_${RUN_ID}_${databaseCount}`;
  await createDatabase(name, { template });
  createdDatabases.push(name);
  return name;
}

atEndOfRun(async () => {
  // Suites that only borrow the functions above (test/faults runs its own servers) leave nothing to clean.
  if (createdDatabases.length > 0) await dropDatabases(createdDatabases);
});

/** An empty database of its own, dropped after the run. */
export async function freshDatabaseUrl(): Promise<string> {
  return databaseUrl(await createRunDatabase(), CLIENT_BASE_URL);
}

/** Migrates, seeds and fits every league once per run. */
async function buildTemplate(): Promise<string> {
  const name = await createRunDatabase();
  await prepareDatabase(databaseUrl(name));
  return name;
}

let template: Promise<string> | undefined;

/** A migrated, seeded database with a fitted model per league, copied from the run's template. */
export async function seededDatabaseUrl(): Promise<string> {
  template ??= buildTemplate();
  return databaseUrl(await createRunDatabase(await template), CLIENT_BASE_URL);
}

// ---------------------------------------------------------------------------------------------------------------
// A suite's own databases, by label, dropped when the suite says

/** Creates databases and remembers them, so `dropAll` cleans up whatever a test made. */
export class TestDatabases {
  private readonly names = new Set<string>();

  /** Names are `<prefix>_<label>_<pid>_<random>`, on the server of `adminUrl`. */
  constructor(
    private readonly prefix: string,
    private readonly adminUrl = LOCAL_ADMIN_URL,
  ) {}

  private uniqueName(label: string): string {
    return `${this.prefix}_${label}_${process.pid}_${randomBytes(3).toString("hex")}`;
  }

  async create(label: string): Promise<string> {
    const name = this.reserve(label);
    await createDatabase(name, { adminUrl: this.adminUrl });
    return name;
  }

  /** A name for a database that the code under test creates. */
  reserve(label: string): string {
    const name = this.uniqueName(label);
    this.names.add(name);
    return name;
  }

  async dropAll(): Promise<void> {
    await dropDatabases(this.names, this.adminUrl);
    this.names.clear();
  }
}
