/**
 * A PostgreSQL cluster of the run's own (so stopping or killing it disturbs nobody else on the machine), for the
 * fault drills: listening on 127.0.0.1 only, on a free port; stopped and removed after the run (and, if the run
 * dies, on process exit).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { type RunResource, track, untrack } from "./cleanup";
import { prepareDatabase, withClient } from "./databases";
import { freePort } from "./net";
import { run, which } from "./processes";
import { makeTempDir } from "./tempDir";

/** pg_ctl and initdb get this long before they are killed. */
const COMMAND_TIMEOUT_MS = 60_000;

/** PG_BIN, else the newest /usr/lib/postgresql/<major>/bin (Debian's layout), else PATH. */
export function postgresBinDir(): string {
  if (process.env.PG_BIN !== undefined) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  const majors = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((major) => fs.existsSync(path.join(root, major, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length > 0) return path.join(root, majors[0], "bin");
  const found = which("initdb");
  if (found !== undefined) return path.dirname(found);
  throw new Error("initdb not found: set PG_BIN or install PostgreSQL's server binaries (scripts/setup.sh)");
}

/** initdb and postgres refuse to run as root; as root they run as the postgres user. */
const isRoot = process.getuid?.() === 0;
const POSTGRES_USER = "postgres";

function asPostgresUser(command: string, args: string[]): [string, string[]] {
  return isRoot ? ["runuser", ["-u", POSTGRES_USER, "--", command, ...args]] : [command, args];
}

/**
 * A PostgreSQL cluster in a temporary directory, on a port of its own, trust authentication on 127.0.0.1 and
 * its socket directory only. Default durability settings (fsync, synchronous_commit): the write drill relies
 * on them.
 */
export class PostgresCluster implements RunResource {
  private running = false;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  /** `port`: a free one unless given (the README test runs its own on 5432, in a network namespace of its own). */
  static async create(port?: number): Promise<PostgresCluster> {
    const bin = postgresBinDir();
    const dir = makeTempDir("fp-faults-pg-");
    if (isRoot) {
      const { uid, gid } = postgresIds();
      fs.chownSync(dir, uid, gid);
    }
    const cluster = new PostgresCluster(dir, port ?? (await freePort()), bin);
    track(cluster);
    const [command, args] = asPostgresUser(path.join(bin, "initdb"), [
      "-D",
      cluster.dataDir,
      "-U",
      "postgres",
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--no-sync", // only initdb's own files; the running server keeps fsync on
    ]);
    await run(command, args, { timeoutMs: COMMAND_TIMEOUT_MS });
    await cluster.start();
    return cluster;
  }

  private get dataDir(): string {
    return path.join(this.dir, "data");
  }

  get isRunning(): boolean {
    return this.running;
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private pgCtl(args: string[]): [string, string[]] {
    return asPostgresUser(path.join(this.bin, "pg_ctl"), ["-D", this.dataDir, ...args]);
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = [
      "-c listen_addresses=127.0.0.1",
      `-p ${this.port}`,
      `-k ${this.dir}`,
      "-c max_connections=60",
      "-c log_min_messages=warning",
    ].join(" ");
    const [command, args] = this.pgCtl(["-w", "-t", "60", "-l", path.join(this.dir, "server.log"), "-o", options, "start"]);
    await run(command, args, { timeoutMs: COMMAND_TIMEOUT_MS });
    this.running = true;
  }

  /**
   * `fast`: sessions are terminated and the server shuts down cleanly. `immediate`: the postmaster quits at once
   * without a checkpoint, like a crash; the next start replays the WAL.
   */
  async stop(mode: "fast" | "immediate"): Promise<void> {
    const [command, args] = this.pgCtl(["-w", "-t", "60", "-m", mode, "stop"]);
    this.running = false;
    await run(command, args, { timeoutMs: COMMAND_TIMEOUT_MS });
  }

  stopNow(): void {
    if (!this.running) return;
    const [command, args] = this.pgCtl(["-m", "immediate", "stop"]);
    spawnSync(command, args, { stdio: "ignore" });
    this.running = false;
  }

  async ensureRunning(): Promise<void> {
    if (!this.running) await this.start();
  }

  async query<T extends object = Record<string, unknown>>(database: string, sql: string, values?: unknown[]): Promise<T[]> {
    return withClient(this.url(database), async (client) => (await client.query(sql, values)).rows as T[]);
  }

  destroy(): void {
    this.stopNow();
    fs.rmSync(this.dir, { recursive: true, force: true });
    untrack(this);
  }

  /** The end of the run: a cluster has no orderly stop there, it goes when everything else is stopped. */
  releaseNow(): void {
    this.destroy();
  }
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(spawnSync("id", ["-u", POSTGRES_USER], { encoding: "utf8" }).stdout.trim());
  const gid = Number(spawnSync("id", ["-g", POSTGRES_USER], { encoding: "utf8" }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`no ${POSTGRES_USER} user to run PostgreSQL as`);
  return { uid, gid };
}

const TEMPLATE_DATABASE = "fp_faults_template";
let clusterSetup: Promise<PostgresCluster> | undefined;
let databaseCount = 0;

/**
 * The run's cluster, with a template database migrated, seeded and fitted once (about as long as the service's
 * own `migrate` + `seed` + first refit). Suites run one after another, so a drill that stops it restarts it
 * before it ends; `freshDatabase` restarts it too if a failed drill left it stopped.
 */
export function sharedCluster(): Promise<PostgresCluster> {
  clusterSetup ??= (async () => {
    const cluster = await PostgresCluster.create();
    await cluster.query("postgres", `CREATE DATABASE ${TEMPLATE_DATABASE}`);
    await prepareDatabase(cluster.url(TEMPLATE_DATABASE));
    return cluster;
  })();
  return clusterSetup;
}

/** A copy of the seeded template on the run's cluster; returns its URL. */
export async function freshDatabase(cluster: PostgresCluster): Promise<{ name: string; url: string }> {
  await cluster.ensureRunning();
  databaseCount += 1;
  const name = `fp_faults_${databaseCount}`;
  await cluster.query("postgres", `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  return { name, url: cluster.url(name) };
}
