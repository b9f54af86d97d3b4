// The part of autocannon's API the benchmark uses (the package ships no types).
declare module "autocannon" {
  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      /** Rewrites the request before each send; used to give every request a different path. */
      setupRequest?: (request: Request) => Request;
    }

    interface Options {
      url: string;
      connections: number;
      /** Seconds. */
      duration: number;
      /** Total requests to make; when set, `duration` is ignored. */
      amount?: number;
      /** Milliseconds between samples (1,000); a run of `amount` requests ends on a sample. */
      sampleInt?: number;
      requests?: Request[];
    }

    /** Percentiles in milliseconds (latency) or per second (requests). */
    interface Histogram {
      average: number;
      mean: number;
      max: number;
      min: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
    }

    interface Result {
      /** Seconds. */
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      resets: number;
      latency: Histogram;
      requests: Histogram;
    }
  }

  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  export = autocannon;
}
