import assert from "node:assert/strict";
import { setImmediate as nextTurn } from "node:timers/promises";
import { predictFromRates } from "../../service/src/domain/scorelines";
import { BatchedPredictionReads } from "../../service/src/predictions/batchedReads";
import type { Database } from "../../service/src/storage/db";
import { findMatch } from "../../service/src/storage/repositories/matches";
import { latestVersionIds } from "../../service/src/storage/repositories/modelVersions";
import { type PredictionRecord, recordPredictions } from "../../service/src/storage/repositories/predictions";
import { commandDatabase, seededDatabaseUrl } from "../support/databases";

describe("batched reads of uncached predictions (PostgreSQL)", () => {
  let url: string;
  let db: Database;
  let statements: string[];
  const record = (query: { sql: string }) => statements.push(query.sql);

  before(async () => {
    url = await seededDatabaseUrl();
    db = commandDatabase(url);
    db.on("query", record);
  });

  beforeEach(() => {
    statements = [];
  });

  after(async () => {
    db.off("query", record);
    await db.destroy();
  });

  const someMatchIds = async (count: number): Promise<number[]> =>
    (await db("matches").select("id").orderBy("id").limit(count)).map((row: { id: number }) => row.id);

  it("reads the matches asked for in one turn with one statement, each as findMatch reads it", async () => {
    const ids = await someMatchIds(40);
    const missing = Math.max(...ids) + 1_000_000;
    statements = [];
    const reads = new BatchedPredictionReads(db);
    const found = await Promise.all([...ids, missing].map((id) => reads.match(id)));
    assert.equal(statements.length, 1, statements.join("\n"));
    assert.equal(found.at(-1), undefined, "an id that does not exist");
    for (const [i, id] of ids.entries()) assert.deepEqual(found[i], await findMatch(db, id));
  });

  it("sends later reads together once a statement is done while two are under way", async () => {
    const ids = await someMatchIds(100);
    // The statements wait behind a lock until every turn has asked: none returns before the last turn, however fast
    // PostgreSQL answers or however slowly the turns go on a busy machine.
    const locker = commandDatabase(url);
    const lock = await locker.transaction();
    try {
      await lock.raw("lock table matches in access exclusive mode");
      statements = [];
      const reads = new BatchedPredictionReads(db);
      const waves: Array<Promise<unknown>> = [];
      for (let wave = 0; wave < 10; wave++) {
        waves.push(...ids.slice(wave * 10, wave * 10 + 10).map((id) => reads.match(id)));
        await nextTurn();
      }
      await lock.commit();
      const found = await Promise.all(waves);
      assert.ok(found.every((match) => match !== undefined));
      // The first two turns' reads go at once; the other eight turns' wait for one of them and go as one.
      assert.equal(statements.length, 3, `${statements.length} statements for 10 turns of reads`);
    } finally {
      if (!lock.isCompleted()) await lock.rollback();
      await locker.destroy();
    }
  });

  it("reads the stored forecasts of several model versions in one statement per version", async () => {
    const versions = [...(await latestVersionIds(db))].slice(0, 2);
    assert.equal(versions.length, 2, "the seeded database has a model for at least two leagues");
    const stored: PredictionRecord[] = [];
    for (const [index, [league, version]] of versions.entries()) {
      const matches: Array<{ id: number; home_team_id: number; away_team_id: number }> = await db("matches")
        .select("id", "home_team_id", "away_team_id")
        .where("league_code", league)
        .orderBy("id")
        .limit(5);
      for (const [i, match] of matches.entries()) {
        stored.push({
          modelVersion: version,
          matchId: match.id,
          league,
          homeTeamId: match.home_team_id,
          awayTeamId: match.away_team_id,
          prediction: predictFromRates(1 + index + i / 10, 1.2, -0.05),
        });
      }
    }
    await recordPredictions(db, stored);
    statements = [];
    const reads = new BatchedPredictionReads(db);
    const [, firstVersion] = versions[0];
    const found = await Promise.all([
      ...stored.map((record) => reads.storedForecast(record.modelVersion, record.matchId)),
      reads.storedForecast(firstVersion, stored.at(-1)?.matchId ?? 0),
    ]);
    assert.equal(statements.length, 2, statements.join("\n"));
    assert.deepEqual(found.slice(0, -1), stored.map((record) => record.prediction));
    assert.equal(found.at(-1), undefined, "a version's read does not answer with another version's forecast");
  });

  it("hands a failed statement's error to every read of its batch, and a failed statement frees its place", async () => {
    const broken = commandDatabase("postgres://postgres@127.0.0.1:1/nowhere");
    try {
      const reads = new BatchedPredictionReads(broken);
      // More rounds than statements may be under way at once: a place a failure kept would stall the third.
      for (let round = 0; round < 3; round++) {
        const outcomes = await Promise.allSettled([reads.match(1), reads.match(2)]);
        assert.deepEqual(
          outcomes.map((outcome) => outcome.status),
          ["rejected", "rejected"],
        );
      }
    } finally {
      await broken.destroy();
    }
  });
});
