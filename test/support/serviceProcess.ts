/**
 * The service as the image runs it (`node dist/main.js serve`, compiled once per run into a scratch directory) in
 * a child process, for the fault drills: on 127.0.0.1, on a free port; stopped after the run (and, if the run
 * dies, killed on process exit).
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { type RunResource, removeAtExit, track, untrack } from "./cleanup";
import { freePort, sleep } from "./net";
import { REPO_ROOT, type RunResult, SERVICE_DIR, runUnchecked, terminate } from "./processes";
import { TEST_JWT_SECRET } from "./service";
import { makeTempDir } from "./tempDir";

let build: Promise<string> | undefined;

/**
 * The service compiled as `npm run build` does (same tsconfig), file by file without type checking (as ts-node
 * runs it here), into a scratch directory laid out like the image: `<dir>/service/dist`, `<dir>/service/package.json`,
 * `<dir>/service/data`.
 * Once per run, in about a second: each start is then a plain `node dist/main.js serve` (about a second, against
 * about five under ts-node), and work in progress elsewhere in the tree cannot fail the drills on a type error.
 */
export function builtService(): Promise<string> {
  build ??= (async () => {
    const root = makeTempDir("fp-faults-build-");
    removeAtExit(root);
    const serviceDir = path.join(root, "service");
    const outDir = path.join(serviceDir, "dist");
    fs.mkdirSync(outDir, { recursive: true });
    fs.copyFileSync(path.join(SERVICE_DIR, "package.json"), path.join(serviceDir, "package.json"));
    // The shipped data beside dist/, as the image has it (COPY service/data ./data).
    fs.symlinkSync(path.join(SERVICE_DIR, "data"), path.join(serviceDir, "data"));
    const parsed = ts.getParsedCommandLineOfConfigFile(path.join(SERVICE_DIR, "tsconfig.build.json"), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
      },
    });
    if (parsed === undefined) throw new Error("service/tsconfig.build.json could not be read");
    const sourceRoot = parsed.options.rootDir ?? path.join(SERVICE_DIR, "src");
    const compilerOptions = { ...parsed.options, sourceMap: false, declaration: false };
    for (const file of parsed.fileNames) {
      const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), { compilerOptions, fileName: file });
      const target = path.join(outDir, path.relative(sourceRoot, file)).replace(/\.ts$/, ".js");
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, outputText);
    }
    return path.join(outDir, "main.js");
  })();
  return build;
}

/** The compiled service finds the checkout's dependencies through NODE_PATH, as the image finds /app/node_modules. */
function builtServiceNodePath(): string {
  return [path.join(SERVICE_DIR, "node_modules"), path.join(REPO_ROOT, "node_modules")]
    .filter((dir) => fs.existsSync(dir))
    .join(path.delimiter);
}

/**
 * A one-off command of the compiled service (`node dist/main.js import ...`), as a CronJob's container runs it: only
 * `env` (and PATH), nothing of the test's own environment. Resolves with its exit code and output.
 */
export async function runBuiltCommand(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<RunResult> {
  const main = await builtService();
  return runUnchecked(process.execPath, [main, ...args], {
    cwd: path.dirname(path.dirname(main)),
    env: { PATH: process.env.PATH, NODE_PATH: builtServiceNodePath(), ...env },
    timeoutMs,
  });
}

export interface ServiceEnv {
  DATABASE_URL: string;
  REDIS_URL?: string;
  [name: string]: string | undefined;
}

interface LogLine {
  level?: number;
  msg?: string;
  [key: string]: unknown;
}

/** `node dist/main.js serve` in a child process, configured as in a deployed environment (APP_ENV=test). */
export class ServiceProcess implements RunResource {
  private output = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;

  private constructor(
    readonly child: ChildProcess,
    /** The API. */
    readonly port: number,
    /** /health, /ready and /metrics. */
    readonly opsPort: number,
  ) {
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString();
      // Bounded: a drill that logs a line per request must not grow the test process without limit.
      if (this.output.length > 64_000_000) this.output = this.output.slice(-32_000_000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal, at: performance.now() })),
    );
  }

  static async start(env: ServiceEnv): Promise<ServiceProcess> {
    const main = await builtService();
    const [port, opsPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [main, "serve"], {
      cwd: path.dirname(path.dirname(main)),
      env: {
        PATH: process.env.PATH,
        NODE_PATH: builtServiceNodePath(),
        APP_ENV: "test",
        LOG_LEVEL: "warn",
        JWT_SECRET: TEST_JWT_SECRET,
        CACHE_PREFIX: "fp-faults:",
        RATE_LIMIT_PER_MINUTE: "1000000000",
        // Outside APP_ENV=local a quarter of the grace period passes between readiness turning 503 and the
        // listener closing; the shutdown drill sets its own.
        SHUTDOWN_GRACE_SECONDS: "4",
        ...env,
        PORT: String(port),
        OPS_PORT: String(opsPort),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const service = new ServiceProcess(child, port, opsPort);
    track(service);
    await service.waitUntilReady(60_000);
    return service;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get opsUrl(): string {
    return `http://127.0.0.1:${this.opsPort}`;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get log(): string {
    return this.output;
  }

  /** The service's JSON log lines (pino). */
  logLines(): LogLine[] {
    return this.output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => {
        try {
          return JSON.parse(line) as LogLine;
        } catch {
          return { level: 0, msg: line };
        }
      });
  }

  /** The service's log lines at error level or above (pino: 50 error, 60 fatal). */
  errorLines(): LogLine[] {
    return this.logLines().filter((line) => (line.level ?? 0) >= 50);
  }

  /**
   * Status of every request the application answered, by the X-Request-Id the client sent (the access log keeps it
   * beside the server's own id), from its access log (LOG_LEVEL=info).
   */
  answeredRequests(): Map<string, number> {
    const answered = new Map<string, number>();
    for (const line of this.logLines()) {
      if (line.msg === "request" && typeof line.clientReqId === "string" && typeof line.status === "number") {
        answered.set(line.clientReqId, line.status);
      }
    }
    return answered;
  }

  async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.alive) throw new Error(`the service exited:\n${this.output.slice(-4000)}`);
      const status = await fetch(`${this.opsUrl}/ready`).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) return;
      if (Date.now() > deadline) {
        throw new Error(`the service was not ready within ${timeoutMs} ms:\n${this.output.slice(-4000)}`);
      }
      await sleep(100);
    }
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.opsUrl}/metrics`)).text();
  }

  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<void> {
    await terminate(this.child, timeoutMs);
    untrack(this);
  }

  killNow(): void {
    if (this.alive) this.child.kill("SIGKILL");
  }

  /** The end of the run: five seconds to drain. */
  release(): Promise<void> {
    return this.stop(5_000);
  }

  releaseNow(): void {
    this.killNow();
  }
}
