import { seedShippedData } from "../service/src/runtime/shippedData";
import {
  commandDatabase,
  createDatabase,
  databaseUrl,
  dropDatabases,
  prepareDatabase,
  testWorker,
} from "../test/support/databases";
import { deleteKeys } from "../test/support/redisKeys";
import { silentLogger } from "../test/support/service";

/** The local servers of scripts/setup.sh unless overridden; other engineers share them, so all is namespaced. */
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432";
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/0";

const ADMIN_URL = `${POSTGRES_URL}/postgres`;

export interface BenchDatabase {
  url: string;
  matchIds: { min: number; max: number };
  /** The leagues, and the date of the last stored match (of the shipped current season's fixtures). */
  fixtures: { leagues: string[]; last: string };
  drop(): Promise<void>;
}

/**
 * A database of its own, migrated, seeded (the shipped fixtures included) and with a fitted model per league and
 * the forecasts of its scheduled matches stored, through the service's own code (the same steps as `migrate`,
 * `seed` and the worker's first fits and precompute).
 */
export async function createBenchDatabase(name: string): Promise<BenchDatabase> {
  await createDatabase(name, { adminUrl: ADMIN_URL });
  const url = databaseUrl(name, ADMIN_URL);
  const drop = () => dropDatabases([name], ADMIN_URL);
  let matchIds: BenchDatabase["matchIds"];
  let fixtures: BenchDatabase["fixtures"];
  try {
    await prepareDatabase(url);
    const db = commandDatabase(url);
    try {
      await seedShippedData(db, silentLogger);
      await testWorker(db).runOnce();
      const [range] = await db("matches").min<Array<{ min: number; max: number }>>("id as min").max("id as max");
      matchIds = { min: Number(range.min), max: Number(range.max) };
      const [dates] = await db("matches").max<Array<{ last: string }>>("match_date as last");
      const leagues: Array<{ code: string }> = await db("leagues").select("code").orderBy("code");
      fixtures = { leagues: leagues.map((league) => league.code), last: dates.last };
    } finally {
      await db.destroy();
    }
  } catch (error) {
    await drop();
    throw error;
  }
  return { url, matchIds, fixtures, drop };
}

/** Deletes every Redis key under `prefix` (cache buckets and rate-limit counters). */
export function deleteRedisKeys(prefix: string): Promise<number> {
  return deleteKeys(REDIS_URL, prefix);
}
