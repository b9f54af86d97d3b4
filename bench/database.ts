import { commandDatabase, createDatabase, databaseUrl, dropDatabases, prepareDatabase } from "../test/support/databases";
import { deleteKeys } from "../test/support/redisKeys";

/** The local servers of scripts/setup.sh unless overridden; other engineers share them, so all is namespaced. */
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432";
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/0";

const ADMIN_URL = `${POSTGRES_URL}/postgres`;

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
  await createDatabase(name, { adminUrl: ADMIN_URL });
  const url = databaseUrl(name, ADMIN_URL);
  const drop = () => dropDatabases([name], ADMIN_URL);
  let matchIds: BenchDatabase["matchIds"];
  try {
    await prepareDatabase(url);
    const db = commandDatabase(url);
    try {
      const [range] = await db("matches").min<Array<{ min: number; max: number }>>("id as min").max("id as max");
      matchIds = { min: Number(range.min), max: Number(range.max) };
    } finally {
      await db.destroy();
    }
  } catch (error) {
    await drop();
    throw error;
  }
  return { url, matchIds, drop };
}

/** Deletes every Redis key under `prefix` (cache buckets and rate-limit counters). */
export function deleteRedisKeys(prefix: string): Promise<number> {
  return deleteKeys(REDIS_URL, prefix);
}
