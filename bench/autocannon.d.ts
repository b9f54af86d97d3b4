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

    /** Percentiles of requests per second. */
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
      requests: Histogram;
    }
  }

  /** A run under way: a promise of its result that also reports each response as it arrives. */
  interface Instance extends PromiseLike<autocannon.Result> {
    /** `responseTime` in milliseconds (fractional), `resBytes` the response's bytes on the wire (headers included). */
    on(
      event: "response",
      listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void,
    ): this;
  }

  function autocannon(options: autocannon.Options): Instance;
  export = autocannon;
}
