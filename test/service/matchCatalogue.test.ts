import assert from "node:assert/strict";
import { FIXTURES_BUCKET, PREDICTIONS_BUCKET, READS_BUCKET } from "../../service/src/cache/cache";
import { MemoryCache } from "../../service/src/cache/memoryCache";
import { NearCache } from "../../service/src/cache/nearCache";
import { createLogger } from "../../service/src/logger";
import { Metrics } from "../../service/src/metrics";
import type { PredictionAnswer } from "../../service/src/predictions/answers";
import { MatchCatalogue } from "../../service/src/predictions/matchCatalogue";
import { ModelRegistry } from "../../service/src/predictions/modelRegistry";
import { PredictionService } from "../../service/src/predictions/predictionService";
import type { Database } from "../../service/src/storage/db";
import { findMatch } from "../../service/src/storage/repositories/matches";
import { commandDatabase, seededDatabaseUrl } from "../support/databases";
import { ManualInvalidations } from "../support/invalidations";
import { metricValue } from "../support/metrics";
import { sleep } from "../support/net";
import { silentLogger } from "../support/service";

const BUCKETS = [READS_BUCKET, PREDICTIONS_BUCKET, FIXTURES_BUCKET];

/** What an answer sends, whether as text or encoded. */
const asText = (answer: PredictionAnswer) => ({ league: answer.league, body: answer.body.toString() });

describe("the match catalogue (PostgreSQL)", () => {
  let db: Database;
  let feed: ManualInvalidations;
  let metrics: Metrics;
  let catalogues: MatchCatalogue[];
  let played: number[];

  /** The catalogues' clock: tests move it instead of waiting. */
  let now: number;
  const clock = () => new Date(now);
  const catalogueOf = (database: Database, maxAgeMs = 60_000, logger = silentLogger) => {
    const catalogue = new MatchCatalogue(database, feed, logger, metrics, { buckets: BUCKETS, maxAgeMs, clock });
    catalogues.push(catalogue);
    return catalogue;
  };
  const loaded = async (catalogue: MatchCatalogue) => {
    catalogue.start();
    await catalogue.settled();
    return catalogue;
  };
  const setScore = (id: number, home: number, away: number) =>
    db("matches").where({ id }).update({ home_goals: home, away_goals: away, updated_at: db.fn.now() });

  before(async () => {
    db = commandDatabase(await seededDatabaseUrl());
    played = (await db("matches").select("id").where("status", "played").orderBy("id").limit(5)).map(
      (row: { id: number }) => row.id,
    );
  });

  beforeEach(() => {
    feed = new ManualInvalidations();
    metrics = new Metrics();
    catalogues = [];
    now = Date.parse("2026-12-06T12:00:00Z");
  });
  const series = async (name: string) => metricValue(await metrics.registry.metrics(), name);

  afterEach(async () => {
    await Promise.all(catalogues.map((catalogue) => catalogue.close()));
  });

  after(async () => {
    await db.destroy();
  });

  it("holds every stored match as findMatch reads it, and nothing else", async () => {
    const catalogue = await loaded(catalogueOf(db));
    for (const id of played) assert.deepEqual(catalogue.get(id), await findMatch(db, id));
    assert.equal(catalogue.get(0), undefined);
  });

  it("serves and loads nothing while the invalidation feed is not live", async () => {
    feed.live = false;
    const catalogue = await loaded(catalogueOf(db));
    assert.equal(catalogue.get(played[0]), undefined);
    feed.live = true;
    assert.equal(catalogue.get(played[0]), undefined, "the first lookup once live starts a load");
    await catalogue.settled();
    assert.ok(catalogue.get(played[0]) !== undefined);
  });

  it("drops its copy on a reset of a match bucket or a lost feed, and loads the database's state again", async () => {
    const catalogue = await loaded(catalogueOf(db));
    const [id] = played;
    const before = catalogue.get(id);
    await setScore(id, 7, 7);
    feed.emit("invalidated", ["some-other-bucket"]);
    assert.deepEqual(catalogue.get(id), before, "a bucket no match write resets leaves it");
    feed.emit("invalidated", [PREDICTIONS_BUCKET]);
    assert.equal(catalogue.get(id), undefined, "dropped at once");
    assert.equal(await series("match_catalogue_matches"), 0, "the gauge shows it holds none");
    await catalogue.settled();
    assert.deepEqual(catalogue.get(id)?.score, { home: 7, away: 7 });
    await setScore(id, before?.score?.home ?? 0, before?.score?.away ?? 0);
    feed.emit("missed");
    assert.equal(catalogue.get(id), undefined);
    await catalogue.settled();
    assert.deepEqual(catalogue.get(id), before);
    const [{ count }] = await db("matches").count<Array<{ count: string }>>("* as count");
    assert.equal(await series("match_catalogue_matches"), Number(count));
    assert.equal(await series('match_catalogue_drops_total{reason="reset"}'), 1);
    assert.equal(await series('match_catalogue_drops_total{reason="feed-lost"}'), 1);
    assert.equal(await series('match_catalogue_loads_total{outcome="loaded"}'), 3);
  });

  it("drops its copy at once when a writer of this process resets a match bucket, before any announcement", async () => {
    const catalogue = await loaded(catalogueOf(db));
    // The writers' cache in a serving process: the near cache over the shared one, on the catalogue's feed.
    const writers = new NearCache(new MemoryCache(60), feed, { buckets: [PREDICTIONS_BUCKET], maxEntries: 10, ttlMs: 1_000 });
    await writers.invalidate(["some-other-bucket"]);
    assert.ok(catalogue.get(played[0]) !== undefined, "a bucket no match write resets leaves it");
    const reset = writers.invalidate([READS_BUCKET]);
    assert.equal(catalogue.get(played[0]), undefined, "dropped before the shared reset is under way");
    await reset;
    await catalogue.settled();
    assert.ok(catalogue.get(played[0]) !== undefined, "and loaded again");
  });

  it("loads again when a reset overlaps a load, rather than keeping what that load read", async () => {
    let loads = 0;
    const count = (query: { sql: string }) => {
      if (!/\bwhere\b/i.test(query.sql)) loads += 1;
    };
    db.on("query", count);
    try {
      const catalogue = catalogueOf(db);
      catalogue.start();
      feed.emit("invalidated", [READS_BUCKET]);
      await catalogue.settled();
      assert.equal(loads, 2, "the load under way when the reset came, then one begun after it");
      assert.ok(catalogue.get(played[0]) !== undefined);
      assert.equal(await series('match_catalogue_loads_total{outcome="discarded"}'), 1);
      assert.equal(await series('match_catalogue_loads_total{outcome="loaded"}'), 1);
    } finally {
      db.off("query", count);
    }
  });

  it("loads a new copy once the copy is maxAgeMs old, answering from the old one meanwhile, never from one twice as old", async () => {
    const catalogue = await loaded(catalogueOf(db, 100));
    const [id] = played;
    const first = catalogue.get(id);
    now += 150;
    assert.equal(catalogue.get(id), first, "the old copy answers while the new one loads");
    await catalogue.settled();
    const second = catalogue.get(id);
    assert.deepEqual(second, first);
    assert.notEqual(second, first, "a new copy, loaded again");

    const stalled = await loaded(catalogueOf(db, 100));
    feed.live = false;
    now += 250;
    feed.live = true;
    assert.equal(stalled.get(id), undefined, "a copy twice maxAgeMs old, which no load replaced, answers nothing");
    await stalled.settled();
    assert.ok(stalled.get(id) !== undefined);
  });

  it("tries a failed load again a second later at the earliest, however many lookups ask", async () => {
    const lines: string[] = [];
    const logger = createLogger("debug", { write: (line: string) => lines.push(line) });
    const failures = () => lines.filter((line) => line.includes("match catalogue not loaded")).length;
    const broken = commandDatabase("postgres://postgres@127.0.0.1:1/nowhere");
    try {
      const catalogue = await loaded(catalogueOf(broken, 60_000, logger));
      assert.equal(failures(), 1);
      for (let i = 0; i < 50; i++) {
        assert.equal(catalogue.get(1), undefined);
        await sleep(5);
      }
      await catalogue.settled();
      assert.equal(failures(), 1, "lookups within the second after a failure start no load");
      now += 1_000;
      catalogue.get(1);
      await catalogue.settled();
      assert.equal(failures(), 2, "a lookup after it does");
      assert.equal(await series('match_catalogue_loads_total{outcome="failed"}'), 2);
      assert.equal(await series("match_catalogue_matches"), 0);
    } finally {
      await broken.destroy();
    }
  });

  describe("answering predictions from it", () => {
    it("answers exactly as the database path does, and only until a reset drops the copy", async () => {
      const registry = new ModelRegistry();
      await registry.refresh(db);
      const metrics = new Metrics();
      const catalogue = await loaded(catalogueOf(db));
      const fromCatalogue = new PredictionService(db, new MemoryCache(60), registry, metrics, { catalogue });
      const fromDatabase = new PredictionService(db, new MemoryCache(60), registry, new Metrics());
      const scheduled = (await db("matches").select("id").where("status", "scheduled").orderBy("id").limit(3)).map(
        (row: { id: number }) => row.id,
      );
      for (const id of [...played, ...scheduled]) {
        const answer = await fromCatalogue.forMatch(id);
        assert.deepEqual(asText(answer), asText(await fromDatabase.forMatch(id)), `match ${id}`);
        const again = await fromCatalogue.forMatch(id);
        assert.equal(again, answer, "a second request gets the very answer made for the first");
        assert.equal(typeof again.body, "string", "kept as text (see wireBody)");
      }
      const count = (name: string) => metrics.registry.getSingleMetricAsString(name);
      assert.match(await count("predictions_total"), /source="cache"/);

      const [id] = played;
      const stored = await findMatch(db, id);
      const original = await fromCatalogue.forMatch(id);
      await setScore(id, 5, 4);
      feed.emit("invalidated", [PREDICTIONS_BUCKET]);
      const fresh = await fromCatalogue.forMatch(id);
      assert.notDeepEqual(asText(fresh), asText(original));
      assert.match(fresh.body.toString(), /"score":\{"home":5,"away":4\}/);
      await catalogue.settled();
      assert.deepEqual(asText(await fromCatalogue.forMatch(id)), asText(fresh), "the new copy answers as the database did");
      await setScore(id, stored?.score?.home ?? 0, stored?.score?.away ?? 0);
    });
  });
});
