import Redis from "ioredis";
import type { Logger } from "../logger";

export type RedisClient = Redis;

/** Redis runs next to the service: anything slower than this is treated as Redis being unavailable. */
export const REDIS_COMMAND_TIMEOUT_MS = 200;

/**
 * Commands fail at once while disconnected instead of queueing, so callers fall back to PostgreSQL or memory
 * immediately; ioredis keeps reconnecting in the background, and its first "ready" restores normal service.
 */
export function createRedisClient(url: string, logger: Logger, role: "commands" | "subscriber"): RedisClient {
  const client = new Redis(url, {
    connectionName: `football-prediction-${role}`,
    enableOfflineQueue: role === "subscriber",
    maxRetriesPerRequest: role === "subscriber" ? null : 0,
    commandTimeout: role === "subscriber" ? undefined : REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 1_000,
    // Commands issued in the same tick (a request's rate-limit check and cache lookup, and those of
    // concurrent requests) go out in one write.
    enableAutoPipelining: role === "commands",
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  reportConnectionChanges(client, logger.child({ redis: role }));
  return client;
}

/** Logs the first error of an outage and the recovery, not every failed reconnect attempt. */
function reportConnectionChanges(client: RedisClient, logger: Logger): void {
  let healthy = true;
  client.on("ready", () => {
    if (!healthy) logger.info("redis connection restored");
    healthy = true;
  });
  client.on("error", (error: Error) => {
    if (healthy) logger.warn({ err: error.message }, "redis unavailable; falling back until it returns");
    healthy = false;
  });
}

/** Closes without waiting for replies that will never come when Redis is down. */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  if (client.status === "ready") {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}
