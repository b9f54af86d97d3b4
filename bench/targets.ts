import type { LoadFigures } from "./load";
import type { benchmarkModel } from "./model";
import type { Target } from "./report";

export const TARGETS = {
  healthRatio: 0.85,
  /** A cached prediction or fixtures page. */
  cachedRatio: 0.6,
  /** An uncached prediction. */
  databaseRatio: 0.3,
  /**
   * Every scenario's p99 against bare Koa's at the same connections. It replaced absolute p99s (10 ms at 100
   * connections, 50 ms at 1,000), which a closed loop on two cores cannot reach: see limits.ts.
   */
  p99RatioMax: 1.5,
  /**
   * Resident memory at the end of the 1,000-connection run at most this much above its value halfway: the first
   * half includes the heap growing to its working size under the load, steady growth after that is a leak.
   */
  soakRssGrowth: 0.1,
  /** A cold refit of a league's whole history (issue 15: well under 100 ms). */
  fitMs: 100,
  predictMicroseconds: 20,
};

export const ratio = (service: number, yardstick: number) => (yardstick === 0 ? 0 : service / yardstick);
export const failuresOf = (figures: LoadFigures) => figures.errors + figures.timeouts + figures.non2xx;

export function ratioTarget(minimum: number, service: LoadFigures, yardstick: LoadFigures): Target {
  const measured = ratio(service.requestsPerSecond, yardstick.requestsPerSecond);
  return {
    kind: "throughput-ratio",
    description: `at least ${minimum} of bare Koa's requests per second`,
    measured: measured.toFixed(2),
    met: measured >= minimum,
  };
}

export function p99RatioTarget(maximum: number, service: LoadFigures, yardstick: LoadFigures): Target {
  const measured = ratio(service.latencyMs.p99, yardstick.latencyMs.p99);
  return {
    kind: "p99-ratio",
    description: `p99 at most ${maximum} times bare Koa's at ${service.connections.toLocaleString("en-US")} connections`,
    measured: `${measured.toFixed(2)} (${service.latencyMs.p99} ms against ${yardstick.latencyMs.p99} ms)`,
    met: measured <= maximum,
  };
}

export function noFailuresTarget(figures: LoadFigures): Target {
  return {
    description: "no errors, timeouts or non-2xx answers",
    measured: `${figures.errors} errors, ${figures.timeouts} timeouts, ${figures.non2xx} non-2xx`,
    met: failuresOf(figures) === 0,
  };
}

/**
 * An uncached scenario is one only if no request of it (its warm-up included) was answered from a cache. The drops
 * of the process's copy of every match are reported beside the hits: each sends predictions through the database
 * path (which fills Redis) until the copy is loaded again.
 */
export function uncachedTarget(cacheHits: number, catalogueDrops: number): Target {
  return {
    description: "no prediction answered from a cache (the service's cache_hits_total, warm-up included)",
    measured: `${cacheHits} cache hits (the copy of every match dropped ${catalogueDrops} times)`,
    met: cacheHits === 0,
  };
}

export function memoryTarget(rss: number[]): Target {
  const [half, end] = [rss[Math.floor(rss.length / 2)], rss[rss.length - 1]];
  const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;
  return {
    description: `resident memory steady: at the end at most ${TARGETS.soakRssGrowth * 100}% above halfway through`,
    measured: `${mb(rss[0])} at the start, ${mb(half)} halfway, ${mb(end)} at the end`,
    met: end <= half * (1 + TARGETS.soakRssGrowth),
  };
}

export function modelTargets(figures: ReturnType<typeof benchmarkModel>): Target[] {
  return [
    {
      description: `fitting ${figures.fit.matches.toLocaleString("en-US")} matches at most ${TARGETS.fitMs} ms`,
      measured: `${figures.fit.medianMs.toFixed(1)} ms (median)`,
      met: figures.fit.medianMs <= TARGETS.fitMs,
    },
    {
      description: `one prediction at most ${TARGETS.predictMicroseconds} µs`,
      measured: `${figures.predict.medianMicroseconds.toFixed(2)} µs (median)`,
      met: figures.predict.medianMicroseconds <= TARGETS.predictMicroseconds,
    },
  ];
}
