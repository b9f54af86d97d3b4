/**
 * A PgBouncer of the run's own in front of a PostgreSQL server, pooling by transaction with the parameters the
 * service needs behind CloudNativePG's Pooler (POOLER_PARAMETERS, the same list docs/service-interface.md gives the
 * infrastructure): on 127.0.0.1, on a free port, stopped after the run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { type RunResource, track, untrack } from "./cleanup";
import { freePort, sleep } from "./net";
import { terminate, which } from "./processes";
import { makePostgresDir, postgresUserIds } from "./postgresCluster";

/**
 * What the Pooler's `spec.pgbouncer.parameters` must hold for the service (CloudNativePG adds
 * `extra_float_digits,options` to ignore_startup_parameters itself). node-postgres sends the service's
 * statement_timeout as a startup parameter, which PgBouncer refuses unless told to ignore it: the bound then
 * comes from the database's default, which `migrate` sets.
 */
export const POOLER_PARAMETERS: Readonly<Record<string, string>> = {
  pool_mode: "transaction",
  ignore_startup_parameters: "extra_float_digits,options,statement_timeout",
};

export interface PgBouncerOptions {
  /** The PostgreSQL server every database name is forwarded to. */
  server: { host: string; port: number };
  /** Server connections per database and user (default_pool_size). */
  poolSize?: number;
}

export class PgBouncer implements RunResource {
  private output = "";

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {
    const collect = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-64_000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
  }

  static async start(options: PgBouncerOptions): Promise<PgBouncer> {
    const binary = which("pgbouncer") ?? ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].find((file) => fs.existsSync(file));
    if (binary === undefined) throw new Error("pgbouncer is not installed (scripts/setup.sh installs Debian's pgbouncer)");
    const dir = makePostgresDir("fp-pgbouncer-");
    const port = await freePort();
    const ini = [
      "[databases]",
      `* = host=${options.server.host} port=${options.server.port}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      `unix_socket_dir = ${dir}`,
      // The tests' server trusts 127.0.0.1; in the cluster the Pooler authenticates with auth_query and TLS.
      "auth_type = trust",
      `auth_file = ${path.join(dir, "userlist.txt")}`,
      "admin_users = postgres",
      `default_pool_size = ${options.poolSize ?? 20}`,
      "max_client_conn = 500",
      // For the tests: SHOW STATS every second, and a log of errors rather than of every login.
      "stats_period = 1",
      "log_connections = 0",
      "log_disconnections = 0",
      "log_stats = 0",
      ...Object.entries(POOLER_PARAMETERS).map(([name, value]) => `${name} = ${value}`),
    ].join("\n");
    fs.writeFileSync(path.join(dir, "pgbouncer.ini"), `${ini}\n`);
    fs.writeFileSync(path.join(dir, "userlist.txt"), '"postgres" ""\n');
    // PgBouncer refuses to run as root.
    const child = spawn(binary, [path.join(dir, "pgbouncer.ini")], { ...postgresUserIds(), stdio: ["ignore", "pipe", "pipe"] });
    const bouncer = new PgBouncer(child, dir, port);
    track(bouncer);
    await bouncer.waitUntilAnswering(15_000);
    return bouncer;
  }

  /** The URL of `database` through the pooler. */
  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  get log(): string {
    return this.output;
  }

  /** A command of PgBouncer's admin console (`SHOW STATS`, ...), whose rows come back as objects. */
  async admin<T extends object>(command: string): Promise<T[]> {
    const client = new Client({ connectionString: this.url("pgbouncer") });
    await client.connect();
    try {
      return (await client.query(command)).rows as T[];
    } finally {
      await client.end();
    }
  }

  private async waitUntilAnswering(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`pgbouncer exited with ${this.child.exitCode}:\n${this.output}`);
      if (await this.admin("SHOW VERSION").then(() => true, () => false)) return;
      if (Date.now() > deadline) throw new Error(`pgbouncer did not answer on port ${this.port}:\n${this.output}`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    await terminate(this.child, 5_000);
    fs.rmSync(this.dir, { recursive: true, force: true });
    untrack(this);
  }

  release(): Promise<void> {
    return this.stop();
  }

  releaseNow(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
