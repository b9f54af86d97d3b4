import assert from "node:assert/strict";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { runBackupCommand } from "../../service/src/backup";
import { captureLogs } from "../support/service";
import { makeTempDir } from "../support/tempDir";
import { backupEnv, backupTestDatabases, withDatabase } from "./helpers";

const TEAMS = 20;

/**
 * Every transaction records one fixture and credits both teams with a game played, so in any consistent state
 * the games played add up to twice the fixtures. A dump and counts that straddled a commit would break that.
 */
async function writeFixturesUntil(database: string, stop: { requested: boolean }): Promise<number> {
  return withDatabase(database, async (client) => {
    let committed = 0;
    while (!stop.requested) {
      const home = 1 + (committed % TEAMS);
      const away = 1 + ((committed + 1 + (committed % 7)) % TEAMS);
      await client.query("BEGIN");
      await client.query("INSERT INTO fixtures (home, away) VALUES ($1, $2)", [home, away]);
      await client.query("UPDATE team_totals SET played = played + 1 WHERE team IN ($1, $2)", [home, away]);
      await client.query("COMMIT");
      committed++;
    }
    return committed;
  });
}

async function fixturesInvariant(database: string): Promise<{ fixtures: number; played: number }> {
  return withDatabase(database, async (client) => {
    const result = await client.query<{ fixtures: string; played: string }>(
      "SELECT (SELECT count(*) FROM fixtures) AS fixtures, (SELECT sum(played) FROM team_totals) AS played",
    );
    return { fixtures: Number(result.rows[0].fixtures), played: Number(result.rows[0].played) };
  });
}

describe("a backup taken while the application writes", function () {
  this.timeout(60_000);
  const databases = backupTestDatabases();
  let dir: string;

  beforeEach(async () => {
    dir = makeTempDir("fp-backup-test-");
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await databases.dropAll();
  });

  it("is one consistent snapshot: the manifest's counts match the restored data and the invariant holds", async () => {
    const source = await databases.create("concurrent");
    await withDatabase(source, (client) =>
      client.query(`
        CREATE TABLE fixtures (id bigserial PRIMARY KEY, home int NOT NULL, away int NOT NULL);
        CREATE TABLE team_totals (team int PRIMARY KEY, played int NOT NULL);
        INSERT INTO team_totals SELECT g, 0 FROM generate_series(1, ${TEAMS}) g;
        -- Bulk that makes pg_dump take long enough for many commits to land while it runs.
        CREATE TABLE history AS SELECT g AS id, md5(g::text) AS digest FROM generate_series(1, 150000) g;
      `),
    );

    const stop = { requested: false };
    const writer = writeFixturesUntil(source, stop);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = await fixturesInvariant(source);
    const logs = captureLogs();
    const status = await runBackupCommand("backup", [], { env: backupEnv(source, dir), logger: logs.logger });
    const after = await fixturesInvariant(source);
    stop.requested = true;
    const committed = await writer;
    assert.equal(status, 0, logs.text());

    const manifestName = (await readdir(dir)).find((name) => name.endsWith(".manifest.json"));
    const manifest = JSON.parse(await readFile(path.join(dir, manifestName as string), "utf8")) as {
      row_counts: Record<string, number>;
    };
    const inBackup = manifest.row_counts["public.fixtures"];
    assert.ok(
      before.fixtures > 0 && after.fixtures > inBackup,
      `writes ran during the backup (${before.fixtures} → ${inBackup} → ${after.fixtures} of ${committed})`,
    );

    const target = databases.reserve("concurrent_restored");
    const restore = await runBackupCommand("restore", ["--target", target], {
      env: backupEnv(source, dir),
      logger: captureLogs().logger,
    });
    assert.equal(restore, 0);
    const restored = await fixturesInvariant(target);
    assert.equal(restored.fixtures, inBackup, "the manifest counted the rows the dump holds");
    assert.equal(restored.played, 2 * restored.fixtures, "no transaction is half in the backup");
    assert.equal(manifest.row_counts["public.history"], 150000);
    assert.equal(manifest.row_counts["public.team_totals"], TEAMS);
  });
});
