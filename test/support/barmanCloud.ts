/**
 * The Barman Cloud tools (Debian's barman-cli-cloud), the programs CloudNativePG's Barman Cloud plugin runs, against
 * an S3 endpoint: the archive_command and restore_command of a cluster, base backups and their restore.
 */
import { type PostgresCluster, runAsPostgres } from "./postgresCluster";
import { shellWord, which } from "./processes";
import type { S3Server } from "./s3Server";

export class BarmanCloud {
  /**
   * `destination` is the object store's path (`s3://bucket/path`, the ObjectStore's destinationPath) and
   * `serverName` the folder under it that holds one cluster's WAL and base backups.
   */
  constructor(
    private readonly store: S3Server,
    private readonly destination: string,
    private readonly serverName: string,
  ) {
    const missing = ["barman-cloud-wal-archive", "barman-cloud-backup", "barman-cloud-restore"].filter((tool) => which(tool) === undefined);
    if (missing.length > 0) {
      throw new Error(`${missing.join(", ")} not on PATH (scripts/setup.sh installs Debian's barman-cli-cloud)`);
    }
  }

  /** The environment the tools need: the server's credentials (a cluster running the commands below gets them too). */
  get env(): Record<string, string> {
    return this.store.clientEnv;
  }

  private command(tool: string, ...args: string[]): string[] {
    return [tool, "--endpoint-url", this.store.endpoint, ...args, this.destination, this.serverName];
  }

  /** For `archive_command` (run by /bin/sh): ships the finished WAL segment at `%p`, gzip-compressed. */
  get archiveCommand(): string {
    return [...this.command("barman-cloud-wal-archive", "--gzip"), "%p"].map(shellWord).join(" ");
  }

  /** For `restore_command`: fetches the segment or history file `%f` into `%p`. */
  get restoreCommand(): string {
    return [...this.command("barman-cloud-wal-restore"), "%f", "%p"].map(shellWord).join(" ");
  }

  /**
   * An online base backup of `cluster` named `name` (as the plugin names each after its Backup object), run as the
   * cluster's user, who can read its data directory.
   */
  async backup(cluster: PostgresCluster, name: string): Promise<void> {
    const [tool, ...args] = this.command(
      "barman-cloud-backup",
      ...["--host", "127.0.0.1", "--port", String(cluster.port), "--user", "postgres"],
      ...["--name", name, "--immediate-checkpoint"],
    );
    await runAsPostgres(tool, args, { env: { ...process.env, ...this.env } });
  }

  /** Downloads and unpacks the base backup named `name` into `dataDir` (which must not exist or be empty). */
  async restore(name: string, dataDir: string): Promise<void> {
    const [tool, ...args] = this.command("barman-cloud-restore");
    await runAsPostgres(tool, [...args, name, dataDir], { env: { ...process.env, ...this.env } });
  }
}
