/**
 * A load generator that records every request, for the fault drills: closed-loop workers on keep-alive
 * connections, a poller, raw socket exchanges, and what the drills compute and print from the samples.
 */
import http from "node:http";
import net from "node:net";
import { sleep } from "./net";

export interface RequestSpec {
  /** What the drill calls this request, for its assertions ("cached", "uncached", "write", ...). */
  kind: string;
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Anything the drill wants back with the sample. */
  tag?: unknown;
}

export interface Sample {
  spec: RequestSpec;
  worker: number;
  /** performance.now() when the request was sent and when its answer (or failure) was complete. */
  start: number;
  end: number;
  status?: number;
  headers?: http.IncomingHttpHeaders;
  body?: string;
  /** A network failure: reset, hang-up, refused, or no complete answer within the timeout. */
  error?: string;
}

export const REQUEST_TIMEOUT_MS = 10_000;

/** One request on `agent`; never rejects: failures come back as `error`. */
export function send(
  agent: http.Agent,
  port: number,
  spec: RequestSpec,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<Omit<Sample, "worker">> {
  const start = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Partial<Sample>) => {
      if (settled) return;
      settled = true;
      resolve({ spec, start, end: performance.now(), ...result });
    };
    let request: http.ClientRequest;
    try {
      request = http.request(
        { host: "127.0.0.1", port, agent, method: spec.method ?? "GET", path: spec.path, headers: spec.headers },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size <= 65_536) chunks.push(chunk);
          });
          response.on("end", () =>
            finish({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks).toString() }),
          );
          response.on("error", (error) => finish({ error: `response: ${error.message}` }));
          response.on("aborted", () => finish({ error: "response aborted" }));
        },
      );
    } catch (error) {
      // The client refused to send it (a header Node's http client will not write): not a server fault.
      finish({ error: `client: ${(error as Error).message}` });
      return;
    }
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on("error", (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }));
    if (spec.body === undefined) request.end();
    else request.end(spec.body);
  });
}

export interface RawResult {
  /** From the first status line, when one came back. */
  status?: number;
  /** Every status line (pipelined requests get one each; 1xx interim answers count). */
  statuses: number[];
  response: string;
  /** How the exchange ended: the server closed the connection, reset it, or the time ran out. */
  ended: "closed" | "reset" | "timeout";
  /** performance.now() when the connection was open and when it ended. */
  connected: number;
  end: number;
}

/**
 * Bytes written over a plain TCP connection, piece by piece with pauses (a slow client, or a request Node's
 * HTTP client would refuse to write); collects whatever the server answers until it closes the connection.
 */
export function rawExchange(
  port: number,
  pieces: ReadonlyArray<{ data: string | Buffer; delayMs?: number }>,
  timeoutMs: number,
  options: { halfClose?: boolean } = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let connected = 0;
    let ended: RawResult["ended"] = "closed";
    const timer = setTimeout(() => {
      ended = "timeout";
      socket.destroy();
    }, timeoutMs);
    socket.on("connect", async () => {
      connected = performance.now();
      for (const piece of pieces) {
        if (piece.delayMs !== undefined) await sleep(piece.delayMs);
        if (socket.destroyed) return;
        socket.write(piece.data);
      }
      // The client is done sending (a truncated request stays truncated) but still reads the answer.
      if (options.halfClose === true && !socket.destroyed) socket.end();
    });
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {
      if (ended === "closed") ended = "reset";
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const response = Buffer.concat(chunks).toString("latin1");
      const statuses = [...response.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((match) => Number(match[1]));
      resolve({ status: statuses[0], statuses, response, ended, connected, end: performance.now() });
    });
  });
}

export interface LoadOptions {
  workers: number;
  /** The next request of a worker, or undefined to stop that worker. */
  next: (worker: number) => RequestSpec | undefined;
  /** Pause between a worker's requests. */
  thinkMs?: number;
  timeoutMs?: number;
}

/**
 * A closed loop: each worker sends its next request on its own keep-alive connection (reopened when the
 * server closes it) as soon as the previous one is answered, and records every request.
 */
export class Load {
  readonly samples: Sample[] = [];
  private stopped = false;
  private readonly done: Promise<void>;
  private readonly agents: http.Agent[] = [];

  constructor(
    readonly port: number,
    private readonly options: LoadOptions,
  ) {
    const workers = Array.from({ length: options.workers }, (_, worker) => this.work(worker));
    this.done = Promise.all(workers).then(() => undefined);
  }

  private async work(worker: number): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.agents.push(agent);
    while (!this.stopped) {
      const spec = this.options.next(worker);
      if (spec === undefined) break;
      const sample = await send(agent, this.port, spec, this.options.timeoutMs);
      this.samples.push({ ...sample, worker });
      if (this.options.thinkMs !== undefined) await sleep(this.options.thinkMs);
    }
  }

  /** Stops starting requests and waits for the ones in flight. */
  async stop(): Promise<Sample[]> {
    this.stopped = true;
    await this.done;
    for (const agent of this.agents) agent.destroy();
    return this.samples;
  }

  /** Resolves once every worker has stopped by itself (its `next` returned undefined). */
  async finished(): Promise<Sample[]> {
    await this.done;
    for (const agent of this.agents) agent.destroy();
    return this.samples;
  }
}

/** Polls `path` every `intervalMs` and records each answer; for readiness and the circuit-breaker gauge. */
export class Poller {
  readonly observations: Array<{ at: number; status: number; body: string }> = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(port: number, path: string, intervalMs: number) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.done = (async () => {
      while (!this.stopped) {
        const sample = await send(agent, port, { kind: "poll", path }, 2_000);
        this.observations.push({ at: sample.end, status: sample.status ?? 0, body: sample.body ?? "" });
        await sleep(intervalMs);
      }
      agent.destroy();
    })();
  }

  /** The first observation after `since` that satisfies `test`. */
  first(since: number, test: (observation: { status: number; body: string }) => boolean) {
    return this.observations.find((observation) => observation.at >= since && test(observation));
  }

  async waitFor(since: number, test: (observation: { status: number; body: string }) => boolean, timeoutMs: number) {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.first(since, test);
      if (found !== undefined) return found;
      if (performance.now() > deadline) return undefined;
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/** Counts by a key, for messages and the drill reports. */
export function tally<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

export const outcome = (sample: Sample) => (sample.error !== undefined ? `error ${sample.error}` : String(sample.status));

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One line per drill on the test output, so the run shows what each drill measured. */
export function report(drill: string, facts: Record<string, unknown>): void {
  if (process.env.FAULTS_QUIET !== undefined) return;
  console.log(`      [${drill}] ${JSON.stringify(facts)}`);
}

/** A seeded PRNG (mulberry32), deterministic so a failing fuzz case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
