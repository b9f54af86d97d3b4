import type { Cache } from "../cache/cache";
import { MemoryCache } from "../cache/memoryCache";
import { type RedisClient, closeRedisClient, createRedisClient } from "../cache/redis";
import { RedisCache } from "../cache/redisCache";
import type { Config } from "../config";
import { type Logger, redactUrl } from "../logger";
import type { Metrics } from "../metrics";
import { LocalSignalBus, RedisSignalBus, type SignalBus } from "../predictions/signals";

export interface SharedState {
  cache: Cache;
  signals: SignalBus;
  /** The command connection, for the rate limiter; absent without REDIS_URL. */
  redis?: { client: RedisClient; available: () => boolean };
  close(): Promise<void>;
}

/**
 * Redis-backed cache and signals when REDIS_URL is set, in-process stand-ins otherwise. Redis being down at
 * start is not an error: the clients keep reconnecting and everything falls back until they succeed.
 */
export function openSharedState(config: Config, logger: Logger, metrics: Metrics): SharedState {
  if (config.redisUrl === undefined) {
    logger.info("no REDIS_URL: in-process cache and signals");
    const cache = new MemoryCache(config.cache.ttlSeconds);
    const signals = new LocalSignalBus();
    return {
      cache,
      signals,
      async close() {
        await signals.close();
        await cache.close();
      },
    };
  }
  logger.info({ redis: redactUrl(config.redisUrl), prefix: config.cache.prefix }, "using Redis");
  const client = createRedisClient(config.redisUrl, logger, "commands");
  const subscriber = createRedisClient(config.redisUrl, logger, "subscriber");
  const cache = new RedisCache(client, config.cache, metrics, logger);
  const signals = new RedisSignalBus(client, subscriber, config.cache.prefix, logger);
  return {
    cache,
    signals,
    redis: { client, available: () => cache.available },
    async close() {
      await signals.close();
      await cache.close();
      await closeRedisClient(client);
    },
  };
}
