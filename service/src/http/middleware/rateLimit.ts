import type { Middleware } from "koa";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { RedisClient } from "../../cache/redis";
import type { Metrics } from "../../metrics";
import { clientKey } from "../clientAddress";
import type { AppState } from "../context";
import { HttpError } from "../errors";

const WINDOW_SECONDS = 60;

/**
 * A process takes a client's points from the counter in leases of this share of the limit (at least one point)
 * and spends them locally, so a busy client costs one counter update per lease instead of one per request. At
 * the default limit a lease is a single point and counting is exact. Leases never let a client exceed its
 * limit; a client spread over several replicas can be refused up to one lease per replica early.
 */
const LEASE_SHARE_OF_LIMIT = 0.01;

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
    rejectIfRedisNotReady: true,
    insuranceLimiter: local,
  });
  return { shared, local };
}

interface Lease {
  /** Points taken from the counter and not spent yet. */
  points: number;
  /** When the counter's window ends; the lease lapses with it. */
  windowEndsAt: number;
  /** The counter had no points left after this lease: the client is refused until the window ends. */
  last: boolean;
}

/** Per-client leases of rate-limit points (see LEASE_SHARE_OF_LIMIT). */
class PointLeases {
  private readonly leases = new Map<string, Lease>();
  /** One counter update per client at a time: concurrent requests wait for it instead of each leasing. */
  private readonly renewals = new Map<string, Promise<void>>();
  private readonly leaseSize: number;
  private nextSweepAt = 0;

  constructor(
    private readonly perMinute: number,
    private readonly limiter: () => Limiter,
  ) {
    this.leaseSize = Math.max(1, Math.floor(perMinute * LEASE_SHARE_OF_LIMIT));
  }

  /**
   * Spends one point of the client's lease: 0 when the request may proceed, the milliseconds until the window
   * ends when the client is over its limit, or undefined when a new lease is needed first.
   */
  spend(client: string, now = Date.now()): number | undefined {
    const lease = this.leases.get(client);
    if (lease === undefined || lease.windowEndsAt <= now) return undefined;
    if (lease.points > 0) {
      lease.points -= 1;
      return 0;
    }
    return lease.last ? lease.windowEndsAt - now : undefined;
  }

  /** Like `spend`, taking new leases until the request is either admitted or refused. */
  async spendLeased(client: string): Promise<number> {
    for (;;) {
      await this.renew(client);
      const verdict = this.spend(client);
      if (verdict !== undefined) return verdict;
    }
  }

  private renew(client: string): Promise<void> {
    let renewal = this.renewals.get(client);
    if (renewal === undefined) {
      renewal = this.lease(client).finally(() => this.renewals.delete(client));
      this.renewals.set(client, renewal);
    }
    return renewal;
  }

  /**
   * Adds `leaseSize` to the client's counter and keeps what fitted under the limit: the counter may overshoot,
   * but every point beyond the limit is refused by whoever sees it, so no two leases share a point.
   */
  private async lease(client: string): Promise<void> {
    let outcome: RateLimiterRes;
    try {
      outcome = await this.limiter().consume(client, this.leaseSize);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      outcome = rejection;
    }
    const countedBefore = outcome.consumedPoints - this.leaseSize;
    const now = Date.now();
    this.sweep(now);
    this.leases.set(client, {
      points: Math.max(0, Math.min(this.leaseSize, this.perMinute - countedBefore)),
      // At least a millisecond, so a lease taken as its window closes is spent rather than renewed in a loop.
      windowEndsAt: now + Math.max(1, outcome.msBeforeNext),
      last: outcome.consumedPoints >= this.perMinute,
    });
  }

  /** Drops lapsed leases at most once a window, so clients that went away do not accumulate. */
  private sweep(now: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + WINDOW_SECONDS * 1000;
    for (const [client, lease] of this.leases) {
      if (lease.windowEndsAt <= now) this.leases.delete(client);
    }
  }
}

/**
 * Per-client fixed-window limit, the client being `ctx.ip` (see clientAddress.ts) as a normalised key: IPv4 as it
 * is, IPv6 by /64. Over it, 429 with Retry-After in seconds.
 */
export function rateLimit(metrics: Metrics, options: RateLimitOptions): Middleware<AppState> {
  const { shared, local } = createLimiters(options);
  const redisAvailable = options.redis?.available ?? (() => false);
  const leases = new PointLeases(options.perMinute, () =>
    shared !== undefined && redisAvailable() ? shared : local,
  );
  const refuse = (msBeforeNext: number): never => {
    metrics.rateLimited.inc();
    const retryAfter = Math.max(1, Math.ceil(msBeforeNext / 1000));
    throw new HttpError(
      429,
      "rate_limited",
      `rate limit of ${options.perMinute} requests per minute exceeded; retry in ${retryAfter} s`,
      undefined,
      { "Retry-After": String(retryAfter) },
    );
  };
  const admitLeased = async (client: string, next: () => Promise<unknown>) => {
    const verdict = await leases.spendLeased(client);
    if (verdict > 0) refuse(verdict);
    await next();
  };
  // A point from the client's lease needs no await: most requests pass straight on.
  return (ctx, next) => {
    const client = clientKey(ctx.ip);
    const verdict = leases.spend(client);
    if (verdict === undefined) return admitLeased(client, next);
    if (verdict > 0) refuse(verdict);
    return next();
  };
}
