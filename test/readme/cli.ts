/**
 * `npm run test:readme`: README.md and the documents it links to, followed to the letter in a scratch copy of this
 * checkout (its working tree as it is, uncommitted changes included, with this checkout's node_modules).
 *
 * The documents name fixed things (`localhost:8000`, PostgreSQL on 127.0.0.1:5432, the database `football_local`,
 * `/tmp/football-backups`), so the run gets a network and mount namespace of its own (`unshare`, which needs
 * root, as scripts/setup.sh does): its own loopback with its own PostgreSQL on 5432 and Redis on 6379, and its own
 * /tmp. Nothing it does reaches the machine's servers, another run, or a service a developer has running.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import path from "node:path";
import { PostgresCluster } from "../support/postgresCluster";
import { REPO_ROOT, which } from "../support/processes";
import { RedisServer } from "../support/redisServer";
import { checkDocuments } from "./check";
import { formatProblems } from "./problems";

/** Set inside the namespaces: the host directory bind-mounted over /tmp there. */
const INSIDE = "README_TEST_PRIVATE_TMP";

function fail(message: string): never {
  console.error(`readme test: ${message}`);
  process.exit(2);
}

function runOrFail(command: string, args: string[], cwd?: string): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8" });
  if (result.status !== 0) fail(`${command} ${args.join(" ")} failed: ${result.stderr || result.error?.message}`);
  return result.stdout;
}

/** Outside: starts this file again under `unshare`, forwards signals, removes the private /tmp afterwards. */
function reexecInNamespaces(): void {
  if (process.getuid?.() !== 0) fail("needs root for a network and mount namespace of its own (unshare); run it as CI does");
  for (const tool of ["unshare", "ip", "mount"]) if (which(tool) === undefined) fail(`${tool} is not on PATH (scripts/setup.sh installs it)`);
  const lock = path.join(REPO_ROOT, "package-lock.json");
  const installed = path.join(REPO_ROOT, "node_modules", ".package-lock.json");
  if (!existsSync(installed) || statSync(lock).mtimeMs > statSync(installed).mtimeMs) {
    fail("node_modules is missing or older than package-lock.json: run `source scripts/setup.sh` (or npm ci) first");
  }
  const privateTmp = mkdtempSync("/var/tmp/fp-readme-test-");
  const child = spawn(
    "unshare",
    ["--net", "--mount", "--propagation", "private", "--", process.execPath, "-r", "ts-node/register", __filename],
    { cwd: REPO_ROOT, stdio: "inherit", env: { ...process.env, [INSIDE]: privateTmp, TS_NODE_TRANSPILE_ONLY: "true" } },
  );
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => {
    rmSync(privateTmp, { recursive: true, force: true });
    process.exit(code ?? (signal === null ? 1 : 128 + 15));
  });
}

/**
 * The working tree as a fresh clone would hold it after `git add -A`, sharing this checkout's node_modules, with
 * `../shared` beside it as in CI.
 */
function scratchCopy(destination: string): void {
  const files = runOrFail("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPO_ROOT).split("\0");
  for (const file of files) {
    const source = path.join(REPO_ROOT, file);
    if (file === "" || !existsSync(source) || statSync(source).isDirectory()) continue;
    cpSync(source, path.join(destination, file), { preserveTimestamps: true });
  }
  const { workspaces = [] } = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { workspaces?: string[] };
  for (const dir of [".", ...workspaces]) {
    const modules = path.join(REPO_ROOT, dir, "node_modules");
    if (existsSync(modules)) symlinkSync(modules, path.join(destination, dir, "node_modules"));
  }
  // CI lays the shared validation data (the upstream CRDs) beside the clone; the copy gets the same neighbour.
  const shared = path.join(REPO_ROOT, "..", "shared");
  if (existsSync(shared)) symlinkSync(shared, path.join(destination, "..", "shared"));
  const git = ["-c", "user.name=readme-test", "-c", "user.email=readme-test@localhost"];
  runOrFail("git", ["init", "-q", "-b", "main"], destination);
  runOrFail("git", ["add", "-A"], destination);
  runOrFail("git", [...git, "commit", "-q", "-m", "the working tree under test"], destination);
}

/** The environment of a reader's terminal after `source scripts/setup.sh`: npm's and ts-node's variables dropped. */
function readerEnvironment(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(npm_|INIT_CWD$|TS_NODE_|README_TEST_)/i.test(name)),
  );
  env.PATH = (env.PATH ?? "")
    .split(":")
    .filter((dir) => !dir.includes(`${path.sep}node_modules${path.sep}.bin`) && !dir.includes("node-gyp-bin"))
    .join(":");
  return env;
}

/** Inside: private loopback and /tmp, own PostgreSQL and Redis, the scratch copy, then the documents. */
async function runInside(privateTmp: string): Promise<number> {
  runOrFail("ip", ["link", "set", "lo", "up"]);
  chmodSync(privateTmp, 0o1777); // a /tmp: PostgreSQL's files there belong to the postgres user
  runOrFail("mount", ["--bind", privateTmp, "/tmp"]);
  const checkout = "/tmp/football-prediction";
  mkdirSync(checkout);
  scratchCopy(checkout);
  const started = Date.now();
  const postgres = await PostgresCluster.create({ port: 5432 });
  const redis = await RedisServer.start(6379);
  const runDir = mkdtempSync("/tmp/readme-test-run-");
  try {
    const problems = await checkDocuments({
      entry: path.join(checkout, "README.md"),
      workDir: checkout,
      env: readerEnvironment(),
      runDir,
      log: (line) => console.log(line.startsWith(`${checkout}/`) ? line.slice(checkout.length + 1) : line),
    });
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    if (problems.length === 0) {
      console.log(`readme test: every command and link works (${minutes} min)`);
      return 0;
    }
    console.error(`\n${formatProblems(problems, checkout)}\n\nreadme test: ${problems.length} problem(s) (${minutes} min)`);
    return 1;
  } finally {
    await redis.destroy();
    postgres.destroy();
  }
}

const privateTmp = process.env[INSIDE];
if (privateTmp === undefined) {
  reexecInNamespaces();
} else {
  runInside(privateTmp).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
