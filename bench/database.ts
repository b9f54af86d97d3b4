import Redis from "ioredis";
import { Client } from "pg";
import { createLogger } from "../service/src/logger";
import { Metrics } from "../service/src/metrics";
import { fitLeague } from "../service/src/predictions/modelFitter";
import { COMMAND_DATABASE_TIMEOUTS, createDatabase } from "../service/src/storage/db";
import { migrateToLatest } from "../service/src/storage/migrator";
import { listLeagueCodes } from "../service/src/storage/repositories/leagues";
import { seedHistoricalResults } from "../service/src/storage/seed";

/** The local servers of scripts/setup.sh unless overridden; other engineers share them, so all is namespaced. */
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432";
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/0";

const silent = createLogger("silent");

async function asAdmin(work: (client: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({ connectionString: `${POSTGRES_URL}/postgres` });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  url: string;
  matchIds: { min: number; max: number };
  drop(): Promise<void>;
}

/**
 * A database of its own, migrated, seeded and with a fitted model per league, through the service's own code
 * (the same steps as `migrate`, `seed` and the worker's first fits).
 */
export async function createBenchDatabase(name: string): Promise<BenchDatabase> {
  await asAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = `${POSTGRES_URL}/${name}`;
  const drop = () => asAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const db = createDatabase({ connection: url, pool: { min: 0, max: 2 }, ...COMMAND_DATABASE_TIMEOUTS, logger: silent });
  let matchIds: BenchDatabase["matchIds"];
  try {
    await migrateToLatest(db);
    await seedHistoricalResults(db);
    const deps = { metrics: new Metrics(), logger: silent };
    for (const league of await listLeagueCodes(db)) await fitLeague(db, league, undefined, deps);
    const [range] = await db("matches").min<Array<{ min: number; max: number }>>("id as min").max("id as max");
    matchIds = { min: Number(range.min), max: Number(range.max) };
  } catch (error) {
    await db.destroy();
    await drop();
    throw error;
  }
  await db.destroy();
  return { url, matchIds, drop };
}

/** Deletes every Redis key under `prefix` (cache buckets and rate-limit counters). */
export async function deleteRedisKeys(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    await redis.connect();
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
      if ((keys as string[]).length > 0) deleted += await redis.del(...(keys as string[]));
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
