import assert from "node:assert/strict";
import { selectBackupsToKeep } from "../../service/src/backup";

interface Backup {
  createdAt: Date;
}

const DEFAULT_POLICY = { daily: 7, weekly: 4, monthly: 3 };

function at(iso: string): Backup {
  return { createdAt: new Date(iso) };
}

/** One backup at 02:00 UTC on every day from `first` to `last`, inclusive. */
function dailyBackups(first: string, last: string): Backup[] {
  const backups: Backup[] = [];
  for (
    let day = new Date(`${first}T02:00:00Z`);
    day <= new Date(`${last}T02:00:00Z`);
    day = new Date(day.getTime() + 86_400_000)
  ) {
    backups.push({ createdAt: day });
  }
  return backups;
}

function isoStrings(backups: readonly Backup[]): string[] {
  return backups.map((backup) => backup.createdAt.toISOString());
}

/** Deterministic shuffle, so the tests also show that input order does not matter. */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  let seed = 42;
  for (let i = copy.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

describe("backup retention (selectBackupsToKeep)", () => {
  it("keeps 7 daily, 4 ISO-weekly and 3 monthly backups over five months, newest of each period", () => {
    // 1 January to 31 May 2025 daily at 02:00, plus a second backup on the afternoons of 30 April and 31 May.
    const backups = [
      ...dailyBackups("2025-01-01", "2025-05-31"),
      at("2025-04-30T14:00:00Z"),
      at("2025-05-31T14:00:00Z"),
    ];
    const kept = selectBackupsToKeep(shuffled(backups), DEFAULT_POLICY, new Date("2025-05-31T15:00:00Z"));

    // Worked out by hand from a calendar. 31 May 2025 is a Saturday.
    // daily:   31 May (14:00, the newer of that day) and 30, 29, 28, 27, 26, 25 May
    // weekly:  weeks starting Mon 26 May (-> 31 May 14:00), 19 May (-> Sun 25 May), 12 May (-> Sun 18 May),
    //          5 May (-> Sun 11 May)
    // monthly: May (-> 31 May 14:00), April (-> 30 April 14:00), March (-> 31 March)
    assert.deepEqual(isoStrings(kept), [
      "2025-05-31T14:00:00.000Z",
      "2025-05-30T02:00:00.000Z",
      "2025-05-29T02:00:00.000Z",
      "2025-05-28T02:00:00.000Z",
      "2025-05-27T02:00:00.000Z",
      "2025-05-26T02:00:00.000Z",
      "2025-05-25T02:00:00.000Z",
      "2025-05-18T02:00:00.000Z",
      "2025-05-11T02:00:00.000Z",
      "2025-04-30T14:00:00.000Z",
      "2025-03-31T02:00:00.000Z",
    ]);
  });

  it("always keeps the newest backup, even with every tier set to 0", () => {
    const backups = dailyBackups("2025-01-01", "2025-01-31");
    const kept = selectBackupsToKeep(
      shuffled(backups),
      { daily: 0, weekly: 0, monthly: 0 },
      new Date("2025-02-01T00:00:00Z"),
    );
    assert.deepEqual(isoStrings(kept), ["2025-01-31T02:00:00.000Z"]);
  });

  it("groups weeks by ISO week, Monday to Sunday, across the turn of the year", () => {
    // Sun 29 Dec 2024 is in 2024-W52; Mon 30 Dec 2024 and Sun 5 Jan 2025 are both in 2025-W01; Mon 6 Jan 2025 is W02.
    const backups = [
      at("2024-12-29T02:00:00Z"),
      at("2024-12-30T02:00:00Z"),
      at("2025-01-05T02:00:00Z"),
      at("2025-01-06T02:00:00Z"),
    ];
    const kept = selectBackupsToKeep(backups, { daily: 0, weekly: 3, monthly: 0 }, new Date("2025-01-06T12:00:00Z"));
    assert.deepEqual(isoStrings(kept), [
      "2025-01-06T02:00:00.000Z",
      "2025-01-05T02:00:00.000Z",
      "2024-12-29T02:00:00.000Z",
    ]);
  });

  it("counts periods that have backups, so a stalled backup job never empties the store", () => {
    const backups = dailyBackups("2025-01-01", "2025-01-10");
    const kept = selectBackupsToKeep(backups, { daily: 7, weekly: 0, monthly: 0 }, new Date("2025-05-31T00:00:00Z"));
    assert.deepEqual(isoStrings(kept), [
      "2025-01-10T02:00:00.000Z",
      "2025-01-09T02:00:00.000Z",
      "2025-01-08T02:00:00.000Z",
      "2025-01-07T02:00:00.000Z",
      "2025-01-06T02:00:00.000Z",
      "2025-01-05T02:00:00.000Z",
      "2025-01-04T02:00:00.000Z",
    ]);
  });

  it("keeps backups stamped after now without letting them take a daily slot", () => {
    const backups = [...dailyBackups("2025-03-01", "2025-03-03"), at("2025-03-09T02:00:00Z")];
    const kept = selectBackupsToKeep(backups, { daily: 2, weekly: 0, monthly: 0 }, new Date("2025-03-03T12:00:00Z"));
    assert.deepEqual(isoStrings(kept), [
      "2025-03-09T02:00:00.000Z",
      "2025-03-03T02:00:00.000Z",
      "2025-03-02T02:00:00.000Z",
    ]);
  });

  it("returns nothing for no backups", () => {
    assert.deepEqual(selectBackupsToKeep([], DEFAULT_POLICY, new Date()), []);
  });
});
