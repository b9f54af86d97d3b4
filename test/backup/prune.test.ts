import assert from "node:assert/strict";
import { readdir, rm, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { runBackupCommand } from "../../service/src/backup";
import { captureLogs } from "../support/service";
import { makeTempDir } from "../support/tempDir";
import { backupEnv } from "./helpers";

const DATABASE = "football";
const NOW = new Date("2025-05-31T15:00:00Z");

function compact(day: Date): string {
  return day
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}

/** Five months of nightly backups, 1 January to 31 May 2025 at 02:00 UTC, each a dump with its two sidecars. */
async function writeCalendar(dir: string): Promise<string[]> {
  const bases: string[] = [];
  for (let day = new Date("2025-01-01T02:00:00Z"); day <= NOW; day = new Date(day.getTime() + 86_400_000)) {
    const base = `${DATABASE}-${compact(day)}`;
    bases.push(base);
    for (const suffix of [".dump", ".dump.sha256", ".manifest.json"]) {
      const file = path.join(dir, `${base}${suffix}`);
      await writeFile(file, base);
      // Every file looks just copied: retention must go by the time in the name, never by mtime.
      await utimes(file, NOW, NOW);
    }
  }
  return bases;
}

function dumpsIn(names: string[]): string[] {
  return names.filter((name) => name.endsWith(".dump")).sort();
}

describe("backup prune over a simulated calendar", () => {
  let dir: string;

  beforeEach(async () => {
    dir = makeTempDir("fp-backup-test-");
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps exactly the 7 daily, 4 weekly and 3 monthly backups and their sidecars", async () => {
    const bases = await writeCalendar(dir);
    assert.equal(bases.length, 151);
    const otherDatabase = path.join(dir, "football_dev-20250101T020000Z.dump");
    await writeFile(otherDatabase, "");

    const logs = captureLogs();
    const status = await runBackupCommand("prune", [], {
      env: backupEnv(DATABASE, dir),
      logger: logs.logger,
      now: () => NOW,
    });
    assert.equal(status, 0, logs.text());

    // By hand: 31 May 2025 is a Saturday. Daily 25-31 May; weekly adds Sun 18 and Sun 11 May (weeks from Mon 12
    // and Mon 5 May; the weeks from 26 and 19 May are already covered); monthly adds 30 April and 31 March.
    const expected = [
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
    const remaining = await readdir(dir);
    assert.deepEqual(
      dumpsIn(remaining),
      [...expected.map((day) => `football-${day}T020000Z.dump`), path.basename(otherDatabase)].sort(),
      "another database's backup is not this database's to prune",
    );
    for (const day of expected) {
      assert.ok(remaining.includes(`football-${day}T020000Z.dump.sha256`), `checksum of ${day} kept`);
      assert.ok(remaining.includes(`football-${day}T020000Z.manifest.json`), `manifest of ${day} kept`);
    }
    assert.equal(remaining.length, expected.length * 3 + 1, "the deleted backups' sidecars are gone too");
    assert.ok(remaining.includes("football-20250531T020000Z.dump"), "the newest backup is kept");

    const summary = logs.entries().find((entry) => entry.command === "prune");
    assert.deepEqual((summary?.stores as { deleted: string[] }[])[0].deleted.length, 151 - expected.length);
  });

  it("never deletes the newest backup, with every tier at 0", async () => {
    await writeCalendar(dir);
    const status = await runBackupCommand("prune", [], {
      env: backupEnv(DATABASE, dir, { BACKUP_KEEP_DAILY: "0", BACKUP_KEEP_WEEKLY: "0", BACKUP_KEEP_MONTHLY: "0" }),
      logger: captureLogs().logger,
      now: () => NOW,
    });
    assert.equal(status, 0);
    assert.deepEqual(dumpsIn(await readdir(dir)), ["football-20250531T020000Z.dump"]);
  });

  it("deletes nothing with --dry-run", async () => {
    await writeCalendar(dir);
    const before = (await readdir(dir)).sort();
    const status = await runBackupCommand("prune", ["--dry-run"], {
      env: backupEnv(DATABASE, dir),
      logger: captureLogs().logger,
      now: () => NOW,
    });
    assert.equal(status, 0);
    assert.deepEqual((await readdir(dir)).sort(), before);
  });

  it("exits with 2 and names the variable when a retention setting is not a count", async () => {
    const logs = captureLogs();
    const status = await runBackupCommand("prune", [], {
      env: backupEnv(DATABASE, dir, { BACKUP_KEEP_WEEKLY: "four" }),
      logger: logs.logger,
    });
    assert.equal(status, 2);
    assert.match(logs.text(), /BACKUP_KEEP_WEEKLY must be a whole number/);
  });
});
