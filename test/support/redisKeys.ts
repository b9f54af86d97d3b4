/** Keys on a Redis server the run does not own: the machine's (scripts/setup.sh), which other engineers share. */
import Redis from "ioredis";
import { RUN_ID, atEndOfRun } from "./cleanup";

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379/0";

/** Every Redis key this run writes starts with this; the end-of-run hook deletes them. */
export const REDIS_RUN_PREFIX = `fp-test:${RUN_ID}:`;

let prefixCount = 0;

/** A Redis key prefix no other test (or engineer) uses. */
export function uniqueRedisPrefix(): string {
  prefixCount += 1;
  return `${REDIS_RUN_PREFIX}${prefixCount}:`;
}

/** Deletes every key under `prefix` on the server of `url`; resolves with how many there were. */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
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

atEndOfRun(async () => {
  if (prefixCount > 0) await deleteKeys(REDIS_URL, REDIS_RUN_PREFIX);
});
