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
import { freePort, sleep } from "./net";
import { type RunOptions, run, shellWord, which } from "./processes";
import { TempDir, makeTempDir } from "./tempDir";

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

/**
 * initdb, postgres and pgbouncer refuse to run as root, and the Barman tools must read the data directories: as
 * root, they all run as the postgres user.
 */
const isRoot = process.getuid?.() === 0;
const POSTGRES_USER = "postgres";

function asPostgresUser(command: string, args: string[]): [string, string[]] {
  return isRoot ? ["runuser", ["-u", POSTGRES_USER, "--", command, ...args]] : [command, args];
}

/** Runs a command as the user the clusters run as (so it can read and write their data directories). */
export function runAsPostgres(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  const [asUser, asUserArgs] = asPostgresUser(command, args);
  return run(asUser, asUserArgs, { timeoutMs: COMMAND_TIMEOUT_MS, ...options });
}

/** The ids to spawn a process with so that it runs as the postgres user; none when not root. */
export function postgresUserIds(): { uid: number; gid: number } | undefined {
  return isRoot ? postgresIds() : undefined;
}

/** A scratch directory the postgres user owns. */
export function makePostgresDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  const ids = postgresUserIds();
  if (ids !== undefined) fs.chownSync(dir, ids.uid, ids.gid);
  return dir;
}

export interface ClusterOptions {
  /**
   * Server settings on top of the defaults below, passed as `postgres -c name=value` so they win over the data
   * directory's own files (which a standby or a restore copies from elsewhere).
   */
  settings?: Record<string, string | number>;
  /** Added to the server's environment: archive_command and restore_command run with it. */
  env?: Record<string, string>;
  /** initdb --wal-segsize, in MB: smaller segments are archived and replayed sooner. */
  walSegmentMb?: number;
  /** A free port unless given (the README test runs its own on 5432, in a network namespace of its own). */
  port?: number;
}

/**
 * A PostgreSQL cluster in a temporary directory, on a port of its own, trust authentication on 127.0.0.1 and
 * its socket directory only (replication connections included, as initdb sets them up). Default durability
 * settings (fsync, synchronous_commit): the write drills rely on them.
 */
export class PostgresCluster implements RunResource {
  private running = false;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
    private readonly options: ClusterOptions,
  ) {}

  private static async inNewDir(prefix: string, options: ClusterOptions): Promise<PostgresCluster> {
    const port = options.port ?? (await freePort());
    const cluster = new PostgresCluster(makePostgresDir(prefix), port, postgresBinDir(), options);
    track(cluster);
    return cluster;
  }

  static async create(options: ClusterOptions = {}): Promise<PostgresCluster> {
    const cluster = await PostgresCluster.inNewDir("fp-faults-pg-", options);
    await runAsPostgres(path.join(cluster.bin, "initdb"), [
      "-D",
      cluster.dataDir,
      "-U",
      "postgres",
      "-A",
      "trust",
      "-E",
      "UTF8",
      ...(options.walSegmentMb === undefined ? [] : [`--wal-segsize=${options.walSegmentMb}`]),
      "--no-sync", // only initdb's own files; the running server keeps fsync on
    ]);
    await cluster.start();
    return cluster;
  }

  /**
   * A hot standby of `primary` streaming from it as `name` through a physical replication slot of that name
   * (what CloudNativePG sets up for each replica): cloned with pg_basebackup, then started with
   * `primary_conninfo` pointing at `primaryPort` (the primary's own port unless a forwarder stands between).
   * Commits wait for it once the primary lists it in `synchronous_standby_names`.
   */
  static async standbyOf(
    primary: PostgresCluster,
    name: string,
    options: ClusterOptions & { primaryPort?: number } = {},
  ): Promise<PostgresCluster> {
    const conninfo = `host=127.0.0.1 port=${options.primaryPort ?? primary.port} user=postgres application_name=${name}`;
    const settings = { ...options.settings, primary_conninfo: conninfo, primary_slot_name: name };
    const standby = await PostgresCluster.inNewDir("fp-faults-standby-", { ...options, settings });
    await runAsPostgres(path.join(standby.bin, "pg_basebackup"), [
      ...["-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres", "-D", standby.dataDir],
      ...["--wal-method=stream", "--create-slot", "--slot", name, "--checkpoint=fast", "--no-sync"],
    ]);
    standby.writeDataFile("standby.signal", "");
    await standby.start();
    return standby;
  }

  /**
   * A cluster whose data directory `fill` writes (a base backup restored by a backup tool), started in
   * targeted recovery: `recovery.signal` plus the `restore_command` and `recovery_target_*` of `options.settings`.
   * Resolves once it accepts read-only connections; `waitUntilPrimary` waits for the end of recovery.
   */
  static async recover(fill: (dataDir: string) => Promise<void>, options: ClusterOptions): Promise<PostgresCluster> {
    const cluster = await PostgresCluster.inNewDir("fp-faults-recovered-", options);
    await fill(cluster.dataDir);
    fs.chmodSync(cluster.dataDir, 0o700); // what the server insists on, whatever the tool left
    cluster.writeDataFile("recovery.signal", "");
    await cluster.start();
    return cluster;
  }

  private get dataDir(): string {
    return path.join(this.dir, "data");
  }

  private writeDataFile(name: string, content: string): void {
    const file = path.join(this.dataDir, name);
    fs.writeFileSync(file, content);
    const ids = postgresUserIds();
    if (ids !== undefined) fs.chownSync(file, ids.uid, ids.gid);
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
    const settings = {
      listen_addresses: "127.0.0.1",
      port: this.port,
      unix_socket_directories: this.dir,
      max_connections: 60,
      log_min_messages: "warning",
      ...this.options.settings,
    };
    // pg_ctl hands its -o options to the shell.
    const options = Object.entries(settings)
      .map(([name, value]) => `-c ${shellWord(`${name}=${value}`)}`)
      .join(" ");
    const [command, args] = this.pgCtl(["-w", "-t", "60", "-l", this.logFile, "-o", options, "start"]);
    await run(command, args, { timeoutMs: COMMAND_TIMEOUT_MS, env: { ...process.env, ...this.options.env } });
    this.running = true;
  }

  get logFile(): string {
    return path.join(this.dir, "server.log");
  }

  /** `pg_ctl promote`: a standby (or a paused recovery) ends recovery and takes writes; waits until it does. */
  async promote(): Promise<void> {
    const [command, args] = this.pgCtl(["-w", "-t", "60", "promote"]);
    await run(command, args, { timeoutMs: COMMAND_TIMEOUT_MS });
  }

  /** Waits until recovery has ended (a recovery target reached and promoted); fails if the server stops. */
  async waitUntilPrimary(timeoutMs = COMMAND_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [{ recovering }] = await this.query<{ recovering: boolean }>("postgres", "SELECT pg_is_in_recovery() AS recovering");
      if (!recovering) return;
      if (Date.now() > deadline) throw new Error(`still in recovery after ${timeoutMs} ms:\n${this.logTail()}`);
      await sleep(100);
    }
  }

  /** The end of the server log, for failure messages. */
  logTail(chars = 3000): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, "utf8").slice(-chars) : "(no server log)";
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

/**
 * A copy of the seeded template in a new database `name` on a cluster of a drill's own (pg_dump into pg_restore,
 * a second or two against several for migrating, seeding and fitting again); returns its URL.
 */
export async function copyTemplateTo(target: PostgresCluster, name: string): Promise<string> {
  const source = await sharedCluster();
  await source.ensureRunning();
  const scratch = new TempDir("fp-faults-dump-");
  try {
    const dump = path.join(scratch.path, "template.dump");
    const bin = postgresBinDir();
    await run(path.join(bin, "pg_dump"), ["--format=custom", "--file", dump, source.url(TEMPLATE_DATABASE)]);
    await target.query("postgres", `CREATE DATABASE ${name}`);
    await run(path.join(bin, "pg_restore"), ["--no-owner", "--exit-on-error", "--dbname", target.url(name), dump]);
  } finally {
    scratch.remove();
  }
  return target.url(name);
}
