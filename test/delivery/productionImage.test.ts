// The image's runtime stage, reproduced without Docker: the production dependency set from the lockfile, the
// compiled service, its data and the built page, laid out at the Dockerfile's paths and run with its ENTRYPOINT,
// CMD and ENV, the way the cluster runs it: the migration Job's `migrate` and `seed` against a fresh PostgreSQL
// database, then `serve`, then the page's `web` with no database and no secret. A module that only resolves through a dev dependency, a file read from outside the image, or a command
// that needs the sources fails here instead of in the cluster. (The embedded-database path of a bare `docker run`
// is exercised on the real image by the deploy workflow's image job.)
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createDatabase, databaseUrl, dropDatabases } from "../support/databases";
import { freePort, sleep } from "../support/net";
import { exited, REPO_ROOT, run } from "../support/processes";
import { makeTempDir } from "../support/tempDir";
import { envOf, execForm, lastOf, readDockerfile, workdirOf, type Stage } from "./dockerfile";
import { runSmokeTest } from "./smokeTest";

/** The machine's PostgreSQL (trust auth, as scripts/setup.sh and the pull-request workflow provide). */
const ADMIN_URL = process.env.PRODUCTION_IMAGE_TEST_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
/** The image's root; container paths map into a scratch directory so the run never touches the working tree. */
const IMAGE_ROOT = "/app";

const runtime = readDockerfile().stages.at(-1) as Stage;

interface Running {
  child: ChildProcess;
  logs: string;
  url: string;
  opsUrl: string;
}

/** No time limit of its own: npm ci and the build may take minutes; the hook's timeout bounds them. */
const untimed = (cwd: string, env: NodeJS.ProcessEnv = process.env) => ({ cwd, env, timeoutMs: Infinity });

describe("the image's runtime stage, without Docker", () => {
  const database = `fp_image_test_${process.pid}_${randomBytes(3).toString("hex")}`;
  let scratch: string;
  let service: Running | undefined;
  let web: Running | undefined;

  /** A container path (/app/..., /tmp/...) as a path under the scratch directory. */
  const hostPath = (containerPath: string): string => path.join(scratch, containerPath);
  const entrypoint = (): string[] => {
    const form = execForm(lastOf(runtime, "ENTRYPOINT")?.args ?? "");
    assert.ok(form !== undefined && form[0] === "node", "ENTRYPOINT must be the exec form of node");
    return form;
  };

  /**
   * Only what the image sets, its /tmp paths moved into the scratch directory, plus the database: no REDIS_URL or
   * other setting leaks in from the developer's shell. PATH stays the host's (the image's adds the PostgreSQL client
   * directory, which these commands never use), and node is this process's own Node 24.
   */
  const imageEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const fromImage = Object.entries(envOf(runtime))
      .filter(([name]) => name !== "PATH")
      .map(([name, value]) => [name, value.startsWith("/tmp") ? hostPath(value) : value]);
    return { PATH: process.env.PATH, ...Object.fromEntries(fromImage), DATABASE_URL: databaseUrl(database, ADMIN_URL), LOG_LEVEL: "warn", ...extra };
  };

  const runCommand = (command: string) =>
    run(process.execPath, [...entrypoint().slice(1), command], untimed(hostPath(workdirOf(runtime)), imageEnv()));

  /** Starts a long-running command on free ports and waits for /health on its ops port. */
  async function start(args: string[], env: NodeJS.ProcessEnv): Promise<Running> {
    const [port, opsPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [...entrypoint().slice(1), ...args], {
      cwd: hostPath(workdirOf(runtime)),
      env: { ...env, PORT: String(port), OPS_PORT: String(opsPort) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const running: Running = { child, logs: "", url: `http://127.0.0.1:${port}`, opsUrl: `http://127.0.0.1:${opsPort}` };
    const keep = (chunk: Buffer) => (running.logs = (running.logs + chunk.toString()).slice(-8000));
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);

    const deadline = Date.now() + 100_000;
    let status: number | undefined;
    while (status !== 200 && Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        assert.fail(`${args.join(" ")} exited (${child.exitCode ?? child.signalCode}) before answering /health:\n${running.logs}`);
      }
      status = await fetch(`${running.opsUrl}/health`, { signal: AbortSignal.timeout(2_000) }).then(
        (response) => response.status,
        () => undefined,
      );
      if (status !== 200) await sleep(250);
    }
    assert.equal(status, 200, `/health did not answer 200 in time:\n${running.logs}`);
    return running;
  }

  async function stopsCleanly(running: Running | undefined): Promise<void> {
    assert.ok(running !== undefined, "the command did not start");
    assert.equal(lastOf(runtime, "STOPSIGNAL")?.args, "SIGTERM");
    running.child.kill("SIGTERM");
    const { code, signal } = await exited(running.child);
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, running.logs);
  }

  before(async function () {
    this.timeout(600_000);
    scratch = makeTempDir("fp-image-");
    // Node resolves modules by walking up from the script; outside the checkout, only the installed set is reachable.
    assert.ok(!scratch.startsWith(REPO_ROOT + path.sep));
    const app = hostPath(IMAGE_ROOT);
    fs.mkdirSync(path.join(app, "service"), { recursive: true });
    fs.mkdirSync(hostPath("/tmp"));
    for (const file of ["package.json", "package-lock.json", "service/package.json"]) {
      fs.copyFileSync(path.join(REPO_ROOT, file), path.join(app, file));
    }

    // The Dockerfile's deps stage.
    const install = run(
      "npm",
      ["ci", "-w", "service", "--omit=dev", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"],
      untimed(app),
    );
    // The Dockerfile's build stage runs `npm run build -w service`; the same compiler call, aimed at the scratch tree.
    const buildScript = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "service/package.json"), "utf8")) as {
      scripts: Record<string, string>;
    }).scripts.build;
    assert.equal(buildScript, "tsc -p tsconfig.build.json", "update this reproduction when the build script changes");
    const build = run(
      process.execPath,
      [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", path.join(app, "service/dist")],
      untimed(path.join(REPO_ROOT, "service")),
    );
    // And `npm run build -w web`, written where the runtime stage copies the page to.
    const pageScript = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "web/package.json"), "utf8")) as {
      scripts: Record<string, string>;
    }).scripts.build;
    assert.equal(pageScript, "vite build", "update this reproduction when the page's build script changes");
    const page = run("npm", ["run", "build", "-w", "web", "--", "--outDir", path.join(app, "web/dist"), "--emptyOutDir"], untimed(REPO_ROOT));
    await Promise.all([install, build, page, createDatabase(database, { adminUrl: ADMIN_URL })]);
    fs.cpSync(path.join(REPO_ROOT, "service/data"), path.join(app, "service/data"), { recursive: true });
  });

  after(async function () {
    this.timeout(30_000);
    for (const running of [service, web]) {
      if (running !== undefined && running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill("SIGKILL");
        await exited(running.child);
      }
    }
    await dropDatabases([database], ADMIN_URL);
    if (scratch !== undefined) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("installs no development dependency", () => {
    for (const devOnly of ["typescript", "ts-node", "mocha", "eslint", "@pulumi/pulumi", "pino-pretty"]) {
      assert.ok(!fs.existsSync(hostPath(`${IMAGE_ROOT}/node_modules/${devOnly}`)), `${devOnly} is in the production set`);
    }
  });

  it("runs the migration Job's commands: migrate, then seed", async function () {
    this.timeout(180_000);
    await runCommand("migrate");
    await runCommand("seed");
  });

  it("serves with the image's entry command and answers /health on its ops port", async function () {
    this.timeout(120_000);
    const cmd = execForm(lastOf(runtime, "CMD")?.args ?? "");
    assert.ok(cmd !== undefined, "CMD must use the exec form");
    service = await start(cmd, imageEnv());
  });

  it("passes the post-deploy smoke test: /health, /ready, a prediction and the page", async function () {
    this.timeout(120_000);
    assert.ok(service !== undefined, "the service did not start");
    const { status, output } = await runSmokeTest(service.url, { SMOKE_ATTEMPTS: "90", SMOKE_INTERVAL_SECONDS: "1" }, service.opsUrl);
    assert.equal(status, 0, `${output}\n${service.logs}`);
  });

  it("drains and exits 0 on SIGTERM, the image's STOPSIGNAL", async function () {
    this.timeout(60_000);
    await stopsCleanly(service);
  });

  // As the web pods run it: a deployed APP_ENV, and neither a database, Redis nor a secret to read.
  it("serves the page alone with `web`, holding no database URL and no secret", async function () {
    this.timeout(120_000);
    const { DATABASE_URL: _database, ...withoutDatabase } = imageEnv({ APP_ENV: "prod", LOG_LEVEL: "warn" });
    web = await start(["web"], withoutDatabase);
    const { status, output } = await runSmokeTest(web.url, { SMOKE_ATTEMPTS: "30", SMOKE_INTERVAL_SECONDS: "1" }, web.opsUrl, true);
    assert.equal(status, 0, `${output}\n${web.logs}`);
    const api = await fetch(`${web.url}/api/v1/leagues`);
    assert.notEqual(api.status, 200, "the page's pods must not answer the API");
    await stopsCleanly(web);
  });
});
