import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Logger } from "../logger";

/** Why a request did not give a body; the `reason` label of `import_request_errors_total`. */
export type RequestFailure = "timeout" | "network" | "http_5xx" | "http_4xx" | "rate_limited" | "too_large" | "file";

/** A source that could not be read after the retries the policy allows. */
export class FetchError extends Error {
  override name = "FetchError";

  constructor(
    message: string,
    readonly reason: RequestFailure,
  ) {
    super(message);
  }
}

export interface FetchPolicy {
  /** Per attempt, the body included. */
  timeoutMs: number;
  /** Further attempts after a 5xx, a timeout or a dropped connection. */
  retries: number;
  /** The first backoff; each retry doubles it (with jitter) up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** A 429 asking to wait longer than this fails the fetch instead of holding the run. */
  maxRetryAfterMs: number;
}

export const DEFAULT_FETCH_POLICY: Omit<FetchPolicy, "timeoutMs" | "retries"> = {
  backoffMs: 1_000,
  maxBackoffMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/** Larger than any season file (about 100 kB) by far; a body past it is not a season file. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface FetcherDeps {
  logger: Logger;
  /** Each failed attempt, for the metrics: why, and the source named by the caller. */
  onFailure?: (reason: RequestFailure, source: string) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reads sources over HTTP(S), or from `file:` URLs (the shipped data, a mirror on a volume). HTTP follows what
 * football-data.org documents for its rate limit: a 429 waits for `Retry-After` (or `X-RequestCounter-Reset`, the
 * seconds until its per-minute counter resets) and tries again, and a response saying no requests are left this
 * minute (`X-Requests-Available-Minute: 0`) holds the next request to that origin until the reset. 5xx answers,
 * timeouts and dropped connections are retried with exponential backoff and jitter; other 4xx fail at once.
 */
export class Fetcher {
  private readonly notBefore = new Map<string, number>();
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly policy: FetchPolicy,
    private readonly deps: FetcherDeps,
  ) {
    this.sleep = deps.sleep ?? defaultSleep;
    this.random = deps.random ?? Math.random;
  }

  async text(url: string, headers: Record<string, string> = {}, source = "unknown"): Promise<string> {
    const parsed = new URL(url);
    if (parsed.protocol === "file:") return this.file(parsed, source);
    for (let attempt = 0; ; attempt += 1) {
      await this.waitForQuota(parsed.origin);
      const outcome = await this.attempt(url, headers);
      if ("body" in outcome) return outcome.body;
      this.deps.onFailure?.(outcome.reason, source);
      const waitMs = outcome.reason === "rate_limited" ? outcome.waitMs : this.backoff(attempt);
      const retriable = ["timeout", "network", "http_5xx", "rate_limited"].includes(outcome.reason);
      if (!retriable || attempt >= this.policy.retries || waitMs > this.policy.maxRetryAfterMs) {
        const tries = attempt + 1;
        throw new FetchError(`${redact(url)}: ${outcome.message} (after ${tries} attempt${tries === 1 ? "" : "s"})`, outcome.reason);
      }
      this.deps.logger.warn({ url: redact(url), attempt: attempt + 1, waitMs, problem: outcome.message }, "import request failed; retrying");
      await this.sleep(waitMs);
    }
  }

  private async file(url: URL, source: string): Promise<string> {
    try {
      return await readFile(fileURLToPath(url), "utf8");
    } catch (error) {
      this.deps.onFailure?.("file", source);
      throw new FetchError(`${url.href}: ${(error as Error).message}`, "file");
    }
  }

  private async attempt(
    url: string,
    headers: Record<string, string>,
  ): Promise<{ body: string } | { reason: RequestFailure; message: string; waitMs: number }> {
    const signal = AbortSignal.timeout(this.policy.timeoutMs);
    try {
      const response = await fetch(url, { headers: { accept: "application/json, text/csv, */*", ...headers }, signal });
      this.rememberQuota(new URL(url).origin, response.headers);
      if (response.status === 429) {
        await response.body?.cancel();
        return { reason: "rate_limited", message: "HTTP 429 Too Many Requests", waitMs: retryAfterMs(response.headers) ?? this.backoff(0) };
      }
      if (!response.ok) {
        const detail = (await response.text().catch(() => "")).slice(0, 200).replace(/\s+/g, " ");
        const reason = response.status >= 500 ? "http_5xx" : "http_4xx";
        return { reason, message: `HTTP ${response.status}${detail === "" ? "" : `: ${detail}`}`, waitMs: 0 };
      }
      const declared = Number(response.headers.get("content-length") ?? 0);
      if (declared > MAX_BODY_BYTES) return { reason: "too_large", message: `body of ${declared} bytes`, waitMs: 0 };
      const body = await response.text();
      if (body.length > MAX_BODY_BYTES) return { reason: "too_large", message: "body too large", waitMs: 0 };
      return { body };
    } catch (error) {
      const timedOut = signal.aborted || (error as Error).name === "TimeoutError";
      return timedOut
        ? { reason: "timeout", message: `no complete answer within ${this.policy.timeoutMs} ms`, waitMs: 0 }
        : { reason: "network", message: describeNetworkError(error), waitMs: 0 };
    }
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.policy.maxBackoffMs, this.policy.backoffMs * 2 ** attempt);
    // "Equal jitter": at least half the step, so retries spread out without collapsing to zero.
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  private rememberQuota(origin: string, headers: Headers): void {
    if (headers.get("x-requests-available-minute")?.trim() !== "0") return;
    const resetSeconds = Number(headers.get("x-requestcounter-reset"));
    const waitMs = Number.isFinite(resetSeconds) && resetSeconds > 0 ? resetSeconds * 1000 : 60_000;
    this.notBefore.set(origin, Date.now() + Math.min(waitMs, this.policy.maxRetryAfterMs));
  }

  private async waitForQuota(origin: string): Promise<void> {
    const until = this.notBefore.get(origin);
    if (until === undefined) return;
    this.notBefore.delete(origin);
    const waitMs = until - Date.now();
    if (waitMs > 0) {
      this.deps.logger.info({ origin, waitMs }, "request quota used up; waiting for the counter to reset");
      await this.sleep(waitMs);
    }
  }
}

/** `Retry-After` as seconds or an HTTP date, else football-data.org's `X-RequestCounter-Reset` seconds. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const retryAfter = headers.get("retry-after")?.trim();
  if (retryAfter !== undefined && retryAfter !== "") {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = headers.get("x-requestcounter-reset")?.trim();
  return reset !== undefined && /^\d+$/.test(reset) ? Number(reset) * 1000 : undefined;
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** URLs are logged and stored in errors; a token in a query string must not be. */
function redact(url: string): string {
  const parsed = new URL(url);
  for (const key of [...parsed.searchParams.keys()]) {
    if (/token|key|secret/i.test(key)) parsed.searchParams.set(key, "redacted");
  }
  if (parsed.password !== "") parsed.password = "redacted";
  return parsed.toString();
}
