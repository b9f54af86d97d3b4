import type { Middleware } from "koa";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { RedisClient } from "../../cache/redis";
import type { Metrics } from "../../metrics";
import type { AppState } from "../context";
import { HttpError } from "../errors";

const WINDOW_SECONDS = 60;

export interface RateLimitOptions {
  perMinute: number;
  /** Shared counters across replicas; without it (or while it is unavailable) each process counts alone. */
  redis?: { client: RedisClient; keyPrefix: string; available: () => boolean };
}

type Limiter = RateLimiterMemory | RateLimiterRedis;

function createLimiters(options: RateLimitOptions): { shared?: Limiter; local: Limiter } {
  const local = new RateLimiterMemory({ points: options.perMinute, duration: WINDOW_SECONDS });
  if (options.redis === undefined) return { local };
  const shared = new RateLimiterRedis({
    storeClient: options.redis.client,
    keyPrefix: `${options.redis.keyPrefix}ratelimit`,
    points: options.perMinute,
    duration: WINDOW_SECONDS,
    // Clients already over the limit are refused from memory, without another Redis round trip.
    inMemoryBlockOnConsumed: options.perMinute,
    rejectIfRedisNotReady: true,
    insuranceLimiter: local,
  });
  return { shared, local };
}

/** Per-client (by IP) fixed-window limit; over it, 429 with Retry-After in seconds. */
export function rateLimit(metrics: Metrics, options: RateLimitOptions): Middleware<AppState> {
  const { shared, local } = createLimiters(options);
  const redisAvailable = options.redis?.available ?? (() => false);
  return async (ctx, next) => {
    const limiter = shared !== undefined && redisAvailable() ? shared : local;
    try {
      await limiter.consume(ctx.ip);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      metrics.rateLimited.inc();
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new HttpError(
        429,
        "rate_limited",
        `rate limit of ${options.perMinute} requests per minute exceeded; retry in ${retryAfter} s`,
        undefined,
        { "Retry-After": String(retryAfter) },
      );
    }
    await next();
  };
}
