/** The service in this process (startService, as main.ts runs it), configured for tests, and tokens for it. */
import { mintToken } from "../../service/src/auth/tokens";
import { type Config, loadConfig } from "../../service/src/config";
import { type Logger, createLogger } from "../../service/src/logger";
import { type RunningService, type ServeOptions, startService } from "../../service/src/runtime/serve";
import { seededDatabaseUrl } from "./databases";

export const TEST_JWT_SECRET = "test-secret-that-is-at-least-32-characters-long";

export const silentLogger = createLogger("silent");

/** Configuration as the service would load it, for a test environment. */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  const config = loadConfig({
    APP_ENV: "test",
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: "silent",
    RATE_LIMIT_PER_MINUTE: "100000",
    MODEL_REFIT_DEBOUNCE_SECONDS: "0",
    ...env,
  });
  return { ...config, port: 0, opsPort: 0 };
}

export interface TestService {
  service: RunningService;
  /** The public port: the API. */
  baseUrl: string;
  /** The ops port: /health, /ready and /metrics. */
  opsUrl: string;
  get(path: string, init?: RequestInit): Promise<Response>;
  /** A request to the ops port. */
  ops(path: string, init?: RequestInit): Promise<Response>;
  send(method: string, path: string, body: unknown, token?: string): Promise<Response>;
  stop(): Promise<void>;
}

export async function startTestService(config: Config, options: ServeOptions = {}): Promise<TestService> {
  const service = await startService(config, silentLogger, { drainDelayMs: 0, withWorker: false, ...options });
  const baseUrl = `http://127.0.0.1:${service.port}`;
  const opsUrl = `http://127.0.0.1:${service.opsPort}`;
  let stopped = false;
  return {
    service,
    baseUrl,
    opsUrl,
    get: (path, init) => fetch(`${baseUrl}${path}`, init),
    ops: (path, init) => fetch(`${opsUrl}${path}`, init),
    send: (method, path, body, token) =>
      fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          "content-type": "application/json",
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await service.shutdown();
    },
  };
}

export interface ServicesPerTest {
  /** The seeded database the services start on, once the suite's `before` hook has run. */
  readonly databaseUrl: string;
  /** Starts a service on that database, with `env` on top of the test configuration. */
  start(env?: Record<string, string>): Promise<TestService>;
}

/**
 * For a `describe` whose tests start services of their own: registers a `before` hook that copies the run's seeded
 * database and an `afterEach` hook that stops every service the test started.
 */
export function servicesPerTest(): ServicesPerTest {
  const started: TestService[] = [];
  let databaseUrl = "";

  before(async () => {
    databaseUrl = await seededDatabaseUrl();
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((api) => api.stop()));
  });

  return {
    get databaseUrl() {
      return databaseUrl;
    },
    async start(env = {}) {
      const api = await startTestService(testConfig({ DATABASE_URL: databaseUrl, ...env }));
      started.push(api);
      return api;
    },
  };
}

export function writeToken(subject = "tester", options: { scopes?: string[]; ttlSeconds?: number } = {}) {
  return mintToken(TEST_JWT_SECRET, {
    subject,
    scopes: options.scopes ?? ["write"],
    ttlSeconds: options.ttlSeconds ?? 600,
  });
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId: string };
}

export interface CapturedLogs {
  logger: Logger;
  entries(): Record<string, unknown>[];
  /** Every line, for assertions on what an operator would read. */
  text(): string;
}

/** A logger at info level that keeps its JSON lines for the test to read. */
export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const logger = createLogger("info", { write: (line: string) => void lines.push(line) });
  return {
    logger,
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => lines.join(""),
  };
}
