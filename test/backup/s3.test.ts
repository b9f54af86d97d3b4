import assert from "node:assert/strict";
import { readdir, rm } from "node:fs/promises";
import { runBackupCommand } from "../../service/src/backup";
import { captureLogs } from "../support/service";
import { makeTempDir } from "../support/tempDir";
import { type FakeS3, startFakeS3 } from "./fake-s3";
import { backupEnv, backupTestDatabases, withDatabase } from "./helpers";

const BUCKET = "football-backups";
const ACCESS_KEY_ID = "test-access-key";

describe("backups with S3-compatible storage", function () {
  this.timeout(60_000);
  const databases = backupTestDatabases();
  let s3: FakeS3;
  let dir: string;
  let source: string;

  const env = () =>
    backupEnv(source, dir, {
      BACKUP_S3_ENDPOINT: s3.endpoint,
      BACKUP_S3_BUCKET: BUCKET,
      BACKUP_S3_ACCESS_KEY_ID: ACCESS_KEY_ID,
      BACKUP_S3_SECRET_ACCESS_KEY: "test-secret-key",
    });

  async function run(command: "backup" | "prune" | "verify" | "restore", argv: string[] = [], now?: Date) {
    const logs = captureLogs();
    const status = await runBackupCommand(command, argv, { env: env(), logger: logs.logger, now: now && (() => now) });
    return { status, logs };
  }

  beforeEach(async () => {
    s3 = await startFakeS3(BUCKET, ACCESS_KEY_ID);
    dir = makeTempDir("fp-backup-test-");
    source = await databases.create("s3");
    await withDatabase(source, (client) =>
      client.query(`
        CREATE TABLE seasons (id int PRIMARY KEY, name text);
        INSERT INTO seasons SELECT g, 'Season ' || g FROM generate_series(1, 25) g;
      `),
    );
  });

  afterEach(async () => {
    await s3.close();
    await rm(dir, { recursive: true, force: true });
    await databases.dropAll();
  });

  it("uploads the dump, checksum and manifest, then verifies and restores from S3 alone", async () => {
    const backup = await run("backup");
    assert.equal(backup.status, 0, backup.logs.text());
    const local = (await readdir(dir)).sort();
    assert.deepEqual(
      [...s3.objects.keys()].sort(),
      local.map((name) => `${source}/${name}`),
    );
    for (const name of local) assert.ok(s3.objects.get(`${source}/${name}`)?.length, `${name} uploaded with content`);

    // Without the local copy, S3 is the only source.
    await rm(dir, { recursive: true });
    const verify = await run("verify", ["--source", "s3"]);
    assert.equal(verify.status, 0, verify.logs.text());

    const target = databases.reserve("s3_restored");
    const restore = await run("restore", ["--source", "s3", "--target", target]);
    assert.equal(restore.status, 0, restore.logs.text());
    const rows = await withDatabase(target, (client) => client.query("SELECT count(*)::int AS n FROM seasons"));
    assert.equal(rows.rows[0].n, 25);
    assert.deepEqual(await readdir(dir), [], "downloads are deleted afterwards");
  });

  it("prunes S3 keys with the same retention as the local volume", async () => {
    const now = new Date("2025-05-31T15:00:00Z");
    for (let day = new Date("2025-01-01T02:00:00Z"); day <= now; day = new Date(day.getTime() + 86_400_000)) {
      const base = `${source}-${day
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z")
        .replace(/[-:]/g, "")}`;
      for (const suffix of [".dump", ".dump.sha256", ".manifest.json"])
        s3.objects.set(`${source}/${base}${suffix}`, Buffer.from(base));
    }
    s3.objects.set("someone-else/unrelated.txt", Buffer.from("x"));

    const prune = await run("prune", [], now);
    assert.equal(prune.status, 0, prune.logs.text());
    const keptDumps = [...s3.objects.keys()].filter((key) => key.endsWith(".dump")).sort();
    const expectedDays = [
      "20250331",
      "20250430",
      "20250511",
      "20250518",
      "20250525",
      "20250526",
      "20250527",
      "20250528",
      "20250529",
      "20250530",
      "20250531",
    ];
    assert.deepEqual(
      keptDumps,
      expectedDays.map((day) => `${source}/${source}-${day}T020000Z.dump`),
    );
    assert.equal(s3.objects.size, expectedDays.length * 3 + 1);
  });

  it("fails the backup when the upload is refused, keeping the local copy", async () => {
    const logs = captureLogs();
    const status = await runBackupCommand("backup", [], {
      env: { ...env(), BACKUP_S3_ACCESS_KEY_ID: "wrong-key" },
      logger: logs.logger,
    });
    assert.equal(status, 1);
    assert.match(
      logs.text(),
      /backup failed: upload to s3:\/\/football-backups\/ failed, the local copy .* is kept: unsigned/,
    );
    assert.equal(s3.objects.size, 0);
    assert.equal((await readdir(dir)).filter((name) => name.endsWith(".dump")).length, 1);
  });

  it("rejects --source s3 without a bucket, with exit status 2", async () => {
    const logs = captureLogs();
    const status = await runBackupCommand("verify", ["--source", "s3"], {
      env: backupEnv(source, dir),
      logger: logs.logger,
    });
    assert.equal(status, 2);
    assert.match(logs.text(), /--source s3 needs BACKUP_S3_BUCKET/);
  });
});
