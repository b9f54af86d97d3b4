import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Client } from "pg";
import { runBackupCommand } from "../../service/src/backup";
import { parseGauges } from "../support/metrics";
import { captureLogs } from "../support/service";
import { makeTempDir } from "../support/tempDir";
import {
  backupEnv,
  backupTestDatabases,
  databaseExists,
  scratchDatabasesOf,
  startFakePushgateway,
  withDatabase,
  type FakeServer,
} from "./helpers";

/** Types that a dump and restore could plausibly mangle: unicode, NULLs, numeric scale, jsonb, arrays, time zones. */
const SCHEMA = `
  CREATE TABLE teams (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    founded date,
    tags text[] NOT NULL DEFAULT '{}',
    meta jsonb
  );
  CREATE TABLE matches (
    id bigserial PRIMARY KEY,
    home_id int NOT NULL REFERENCES teams(id),
    away_id int NOT NULL REFERENCES teams(id),
    kickoff timestamptz NOT NULL,
    home_goals int,
    away_goals int,
    home_odds numeric(6, 3),
    notes text
  );
  CREATE INDEX matches_kickoff ON matches (kickoff);
  CREATE VIEW results AS SELECT id, home_goals - away_goals AS margin FROM matches WHERE home_goals IS NOT NULL;
`;

const SEED = `
  INSERT INTO teams (name, founded, tags, meta)
  SELECT CASE WHEN g % 5 = 0 THEN 'Borussia Mönchengladbach ' || g ELSE 'Team ' || g END,
         CASE WHEN g % 7 = 0 THEN NULL ELSE date '1880-01-01' + g * 300 END,
         ARRAY['league-' || (g % 3), 'quote''s'],
         CASE WHEN g % 4 = 0 THEN NULL ELSE jsonb_build_object('stadium', 'Ground ' || g, 'capacity', g * 1000) END
    FROM generate_series(1, 40) g;
  INSERT INTO matches (home_id, away_id, kickoff, home_goals, away_goals, home_odds, notes)
  SELECT 1 + g % 40, 1 + (g + 7) % 40, timestamptz '2024-08-01 19:45+01' + g * interval '3 hours 17 minutes',
         CASE WHEN g % 11 = 0 THEN NULL ELSE g % 5 END, CASE WHEN g % 11 = 0 THEN NULL ELSE g % 3 END,
         CASE WHEN g % 9 = 0 THEN NULL ELSE 1 + (g % 700) / 100.0 END,
         CASE WHEN g % 13 = 0 THEN E'line one\\nline two\\ttab «quoted»' END
    FROM generate_series(1, 1500) g;
`;

/** The data, not just the counts: every row of every table as JSON text, in key order, plus sequence positions. */
async function contentsOf(database: string): Promise<Record<string, string[]>> {
  return withDatabase(database, async (client: Client) => {
    const tables = await client.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    const contents: Record<string, string[]> = {};
    for (const { name } of tables.rows) {
      const rows = await client.query<{ row: string }>(
        `SELECT row_to_json(t)::text AS row FROM ${client.escapeIdentifier(name)} t ORDER BY id`,
      );
      contents[name] = rows.rows.map((row) => row.row);
    }
    const sequences = await client.query<{ row: string }>(
      `SELECT row_to_json(s)::text AS row
         FROM (SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1) s`,
    );
    contents["(sequences)"] = sequences.rows.map((row) => row.row);
    return contents;
  });
}

function only<T>(items: T[]): T {
  assert.equal(items.length, 1, `expected exactly one, got ${JSON.stringify(items)}`);
  return items[0];
}

describe("backup round trip against the real PostgreSQL", function () {
  this.timeout(60_000);
  const databases = backupTestDatabases();
  let source: string;
  let dir: string;
  let pushgateway: FakeServer;

  const run = (command: "backup" | "verify" | "restore", argv: string[] = []) => {
    const logs = captureLogs();
    const env = backupEnv(source, dir, { PUSHGATEWAY_URL: pushgateway.url, PUSHGATEWAY_NAMESPACE: "football-prediction-test" });
    return runBackupCommand(command, argv, { env, logger: logs.logger }).then((status) => ({ status, logs }));
  };

  async function newestDump(): Promise<string> {
    const dumps = (await readdir(dir)).filter((name) => name.endsWith(".dump")).sort();
    return path.join(dir, dumps[dumps.length - 1]);
  }

  async function readManifest(): Promise<Record<string, unknown>> {
    const dump = await newestDump();
    return JSON.parse(await readFile(dump.replace(/\.dump$/, ".manifest.json"), "utf8")) as Record<string, unknown>;
  }

  beforeEach(async () => {
    source = await databases.create("source");
    dir = makeTempDir("fp-backup-test-");
    pushgateway = await startFakePushgateway();
    await withDatabase(source, async (client) => {
      await client.query(SCHEMA);
      await client.query(SEED);
    });
  });

  afterEach(async () => {
    await pushgateway.close();
    await rm(dir, { recursive: true, force: true });
    await databases.dropAll();
  });

  it("restores into a new database exactly the state that was backed up, not the state after it", async () => {
    const backedUp = await contentsOf(source);
    const backup = await run("backup");
    assert.equal(backup.status, 0, backup.logs.text());

    const manifest = await readManifest();
    assert.deepEqual(manifest.row_counts, { "public.matches": 1500, "public.teams": 40 });
    assert.equal(manifest.database, source);
    assert.match(String(manifest.sha256), /^[0-9a-f]{64}$/);
    const checksumLine = await readFile(`${await newestDump()}.sha256`, "utf8");
    assert.equal(checksumLine, `${manifest.sha256}  ${path.basename(await newestDump())}\n`);

    await withDatabase(source, async (client) => {
      await client.query("UPDATE teams SET name = name || ' (renamed)', meta = NULL WHERE id % 2 = 0");
      await client.query("DELETE FROM matches WHERE id % 3 = 0");
      await client.query("INSERT INTO teams (name) VALUES ('Newcomers FC')");
      await client.query("CREATE TABLE created_after_backup (id int PRIMARY KEY)");
    });
    assert.notDeepEqual(await contentsOf(source), backedUp);

    const target = databases.reserve("restored");
    const restore = await run("restore", ["--target", target]);
    assert.equal(restore.status, 0, restore.logs.text());
    assert.deepEqual(await contentsOf(target), backedUp);

    const summary = restore.logs.entries().find((entry) => entry.command === "restore" && entry.ok === true);
    assert.deepEqual(summary?.row_counts, manifest.row_counts);
  });

  it("refuses to restore over a non-empty database unless --force, which replaces it entirely", async () => {
    const backedUp = await contentsOf(source);
    assert.equal((await run("backup")).status, 0);
    await withDatabase(source, (client) =>
      client.query("DELETE FROM matches WHERE id > 100; CREATE TABLE extra (id int)"),
    );
    const changed = await contentsOf(source);

    const refused = await run("restore", ["--target", source]);
    assert.equal(refused.status, 1);
    assert.match(refused.logs.text(), new RegExp(`database ${source} is not empty .*pass --force`));
    assert.deepEqual(await contentsOf(source), changed, "a refused restore changes nothing");

    const forced = await run("restore", ["--target", source, "--force"]);
    assert.equal(forced.status, 0, forced.logs.text());
    assert.deepEqual(await contentsOf(source), backedUp, "the extra table is gone and the deleted rows are back");
  });

  it("verifies the newest backup in a scratch database and pushes success to the Pushgateway", async () => {
    assert.equal((await run("backup")).status, 0);
    const verify = await run("verify");
    assert.equal(verify.status, 0, verify.logs.text());
    assert.deepEqual(await scratchDatabasesOf(source), [], "the scratch database is dropped");

    const [backupPush, verifyPush] = pushgateway.requests;
    assert.equal(backupPush.method, "POST");
    assert.equal(backupPush.url, `/metrics/job/backup/namespace/football-prediction-test/database/${source}`);
    const backupGauges = parseGauges(backupPush.body);
    assert.equal(backupGauges.backup_size_bytes, (await readManifest()).bytes);
    assert.ok(Math.abs(backupGauges.backup_last_success_timestamp_seconds - Date.now() / 1000) < 60);
    assert.ok(backupGauges.backup_duration_seconds > 0);
    assert.equal(verifyPush.url, `/metrics/job/backup/namespace/football-prediction-test/database/${source}`);
    assert.equal(parseGauges(verifyPush.body).backup_verify_success, 1);
    assert.ok(parseGauges(verifyPush.body).backup_verify_last_run_timestamp_seconds > 0);
  });

  it("fails verify loudly on a corrupted backup file and refuses to restore it", async () => {
    assert.equal((await run("backup")).status, 0);
    const dump = await newestDump();
    const bytes = await readFile(dump);
    for (let i = 0; i < 16; i++) bytes[Math.floor(bytes.length / 2) + i] ^= 0xff;
    await writeFile(dump, bytes);

    const verify = await run("verify");
    assert.equal(verify.status, 1);
    const failure = only(verify.logs.entries().filter((entry) => entry.ok === false));
    assert.match(
      String(failure.msg),
      /^BACKUP VERIFICATION FAILED: backup file .* is corrupted: its SHA-256 is [0-9a-f]{64}, the manifest records/,
    );
    assert.equal(failure.level, "error");
    assert.equal(parseGauges(pushgateway.requests[1].body).backup_verify_success, 0);

    const target = databases.reserve("from_corrupt");
    const restore = await run("restore", ["--target", target]);
    assert.equal(restore.status, 1);
    assert.match(restore.logs.text(), /is corrupted/);
    assert.equal(await databaseExists(target), false, "nothing is created from a corrupted backup");
  });

  it("fails verify loudly on a truncated backup file", async () => {
    assert.equal((await run("backup")).status, 0);
    const dump = await newestDump();
    const { bytes } = (await readManifest()) as { bytes: number };
    await truncate(dump, Math.floor(bytes / 2));

    const verify = await run("verify");
    assert.equal(verify.status, 1);
    assert.match(
      verify.logs.text(),
      new RegExp(`is truncated: ${Math.floor(bytes / 2)} bytes on disk, the manifest records ${bytes}`),
    );
    assert.equal(parseGauges(pushgateway.requests[1].body).backup_verify_success, 0);
  });

  it("fails verify when a damaged dump comes with matching checksums, because pg_restore rejects it", async () => {
    assert.equal((await run("backup")).status, 0);
    const dump = await newestDump();
    const original = await readFile(dump);
    const damaged = original.subarray(0, Math.floor(original.length * 0.6));
    await writeFile(dump, damaged);
    // Forge the sidecars, as if the damage had happened before the checksum was taken.
    const sha256 = createHash("sha256").update(damaged).digest("hex");
    const manifestFile = dump.replace(/\.dump$/, ".manifest.json");
    const manifest = { ...JSON.parse(await readFile(manifestFile, "utf8")), bytes: damaged.length, sha256 };
    await writeFile(manifestFile, JSON.stringify(manifest));
    await writeFile(`${dump}.sha256`, `${sha256}  ${path.basename(dump)}\n`);

    const verify = await run("verify");
    assert.equal(verify.status, 1);
    assert.match(verify.logs.text(), /BACKUP VERIFICATION FAILED: pg_restore failed/);
    assert.deepEqual(await scratchDatabasesOf(source), [], "the scratch database is dropped after a failure too");
  });

  it("fails verify when there is no backup at all", async () => {
    const verify = await run("verify");
    assert.equal(verify.status, 1);
    assert.match(verify.logs.text(), new RegExp(`there is no backup of database ${source} in ${dir}`));
    assert.equal(parseGauges(pushgateway.requests[0].body).backup_verify_success, 0);
  });

  it("exits with 2 and names the variable when DATABASE_URL is missing", async () => {
    const logs = captureLogs();
    const status = await runBackupCommand("backup", [], { env: { BACKUP_DIR: dir }, logger: logs.logger });
    assert.equal(status, 2);
    assert.match(logs.text(), /DATABASE_URL is required/);
  });
});
