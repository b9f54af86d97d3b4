/**
 * Point-in-time recovery for real, with the programs CloudNativePG's Barman Cloud plugin runs (barman-cli-cloud)
 * against a local S3 server (s3rver). What each step stands in for:
 *
 * - the source cluster's `archive_mode = on` with `archive_command = barman-cloud-wal-archive --gzip ...`: a
 *   Cluster with `spec.plugins: [{ name: barman-cloud.cloudnative-pg.io, isWALArchiver: true, parameters:
 *   { barmanObjectName } }]`, the ObjectStore's `configuration.destinationPath`, `endpointURL`, `s3Credentials`
 *   and `wal.compression: gzip` (the plugin archives every segment as it is finished; CNPG's default
 *   archive_timeout of 5 minutes bounds how long a quiet segment waits, where the drill switches explicitly);
 * - `barman-cloud-backup --immediate-checkpoint --name`: a Backup or ScheduledBackup with `method: plugin` and the
 *   ObjectStore's `data.immediateCheckpoint: true` (uncompressed here: compressing the base backup only costs the
 *   drill time);
 * - `barman-cloud-restore` into a new data directory, then recovery with `restore_command =
 *   barman-cloud-wal-restore ...`, `recovery_target_time` and `recovery_target_action = promote`: a new Cluster
 *   with `bootstrap.recovery: { source, recoveryTarget: { targetTime } }` and an `externalClusters` entry using
 *   the plugin with the source's `barmanObjectName` and `serverName`. (The recovered Cluster archives its new
 *   timeline under a serverName of its own; here its archiving is off.)
 *
 * The cluster uses 1 MB WAL segments (`initdb --wal-segsize=1`) so that few bytes go to and from the store.
 */
import assert from "node:assert/strict";
import { BarmanCloud } from "../support/barmanCloud";
import { report } from "../support/load";
import { sleep } from "../support/net";
import { PostgresCluster } from "../support/postgresCluster";
import { S3Server } from "../support/s3Server";

const BUCKET = "backups";
const SERVER_NAME = "football-prediction";
const BACKUP_NAME = "pitr-drill";

/** Waits until `segment` (and so every segment before it) is in the archive; fails on an archiving error. */
async function archived(cluster: PostgresCluster, segment: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [state] = await cluster.query<{ last: string | null; failed: string }>(
      "postgres",
      "SELECT last_archived_wal AS last, failed_count AS failed FROM pg_stat_archiver",
    );
    if (Number(state.failed) > 0) throw new Error(`archive_command failed:\n${cluster.logTail()}`);
    if (state.last !== null && state.last >= segment) return;
    if (Date.now() > deadline) throw new Error(`${segment} not archived within ${timeoutMs} ms:\n${cluster.logTail()}`);
    await sleep(50);
  }
}

describe("backup: point-in-time recovery with the Barman Cloud tools", function () {
  this.timeout(180_000);
  let store: S3Server;
  const clusters: PostgresCluster[] = [];

  before(async () => {
    store = await S3Server.start([BUCKET]);
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") for (const cluster of clusters) console.log(cluster.logTail());
  });

  after(async () => {
    for (const cluster of clusters) cluster.destroy();
    await store?.stop();
  });

  it("restores the base backup and replays the archived WAL up to a target time: exactly what committed before it", async () => {
    const barman = new BarmanCloud(store, `s3://${BUCKET}/pitr`, SERVER_NAME);
    const source = await PostgresCluster.create({
      walSegmentMb: 1,
      env: barman.env,
      settings: { archive_mode: "on", archive_command: barman.archiveCommand },
    });
    clusters.push(source);
    const sql = (text: string) => source.query("postgres", text);
    await sql("CREATE TABLE results (id integer PRIMARY KEY, committed_at timestamptz NOT NULL DEFAULT clock_timestamp())");
    await sql("INSERT INTO results (id) SELECT generate_series(1, 100)");

    const backupStarted = performance.now();
    await barman.backup(source, BACKUP_NAME);
    const backupMs = performance.now() - backupStarted;

    // After the base backup, so only the archived WAL brings them back: ten commits before the target, ten after.
    for (let id = 101; id <= 110; id++) await sql(`INSERT INTO results (id) VALUES (${id})`);
    const [{ target }] = await source.query<{ target: string }>("postgres", "SELECT clock_timestamp()::text AS target");
    for (let id = 111; id <= 120; id++) await sql(`INSERT INTO results (id) VALUES (${id})`);
    const [{ segment }] = await source.query<{ segment: string }>("postgres", "SELECT pg_walfile_name(pg_switch_wal()) AS segment");
    const archiveStarted = performance.now();
    const walArchived = archived(source, segment).then(() => performance.now() - archiveStarted);

    // The download of the base backup overlaps the archiving of the last segment; recovery starts when both are done.
    const restoreStarted = performance.now();
    let archiveMs = 0;
    const recovered = await PostgresCluster.recover(
      async (dataDir) => {
        [, archiveMs] = await Promise.all([barman.restore(BACKUP_NAME, dataDir), walArchived]);
      },
      {
        env: barman.env,
        settings: {
          restore_command: barman.restoreCommand,
          recovery_target_time: target,
          recovery_target_action: "promote",
          archive_mode: "off",
        },
      },
    );
    clusters.push(recovered);
    await recovered.waitUntilPrimary();
    const recoveryMs = performance.now() - restoreStarted;

    const rows = await recovered.query<{ id: number; committed_at: Date }>(
      "postgres",
      "SELECT id, committed_at FROM results ORDER BY id",
    );
    assert.deepEqual(
      rows.map((row) => row.id),
      Array.from({ length: 110 }, (_, i) => i + 1),
      "rows 1-100 from the base backup and 101-110 from the WAL; none of 111-120, committed after the target",
    );
    assert.ok(rows.every((row) => row.committed_at.getTime() <= Date.parse(target)), "nothing committed after the target");
    // Promoted onto a new timeline (the second), it takes writes.
    const [{ walFile }] = await recovered.query<{ walFile: string }>(
      "postgres",
      `SELECT pg_walfile_name(pg_current_wal_lsn()) AS "walFile"`,
    );
    assert.equal(walFile.slice(0, 8), "00000002", `timeline of ${walFile}`);
    await recovered.query("postgres", "INSERT INTO results (id) VALUES (111)");

    report("point-in-time recovery", {
      baseBackupMs: Math.round(backupMs),
      lastSegmentArchivedMs: Math.round(archiveMs),
      restoreAndRecoveryMs: Math.round(recoveryMs),
      rowsRecovered: rows.length,
      rowsAfterTargetLeftOut: 10,
    });
  });
});
