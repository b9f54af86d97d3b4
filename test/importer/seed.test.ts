import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { FIXTURES_BUCKET, PREDICTIONS_BUCKET, READS_BUCKET } from "../../service/src/cache/cache";
import { runSeed } from "../../service/src/runtime/commands";
import { SEEDED_TABLES } from "../../service/src/runtime/shippedData";
import type { Database } from "../../service/src/storage/db";
import { commandDatabase, seededDatabaseUrl } from "../support/databases";
import { eventually } from "../support/net";
import { REDIS_URL, deleteKeys, uniqueRedisPrefix } from "../support/redisKeys";
import { silentLogger, testConfig } from "../support/service";

/**
 * `seed` runs as the migration Job of every release, beside serving processes: what it writes must reach them as an
 * import's writes do (their cached reads dropped, the worker nudged), and a seed that writes nothing says nothing.
 */
describe("seed: its writes are announced as an import's are", function () {
  this.timeout(180_000);
  const prefix = uniqueRedisPrefix();
  const heard: Array<{ channel: string; message: string }> = [];
  let subscriber: Redis;
  let db: Database;
  let url: string;

  before(async () => {
    url = await seededDatabaseUrl();
    db = commandDatabase(url);
    subscriber = new Redis(REDIS_URL);
    subscriber.on("pmessage", (_pattern, channel: string, message: string) =>
      heard.push({ channel: channel.slice(prefix.length), message }),
    );
    await subscriber.psubscribe(`${prefix}*`);
  });

  after(async () => {
    subscriber?.disconnect();
    await db?.destroy();
    await deleteKeys(REDIS_URL, prefix);
  });

  /** What was published until now: Redis delivers a connection's messages in the order it processed the publishes. */
  async function heardSoFar() {
    const sentinel = `sentinel-${heard.length}-${Date.now()}`;
    const publisher = new Redis(REDIS_URL);
    try {
      await publisher.publish(`${prefix}sentinel`, sentinel);
    } finally {
      publisher.disconnect();
    }
    await eventually(async () => heard.find((entry) => entry.message === sentinel));
    return heard.splice(0).filter((entry) => entry.channel !== "sentinel");
  }

  const seed = () => runSeed(testConfig({ DATABASE_URL: url, REDIS_URL, CACHE_PREFIX: prefix }), silentLogger, []);
  const signalled = (messages: Awaited<ReturnType<typeof heardSoFar>>, channel: string) =>
    new Set(
      messages
        .filter((entry) => entry.channel === `signal:${channel}`)
        .map((entry) => (JSON.parse(entry.message) as { payload: string }).payload),
    );

  it("drops the cached reads and nudges the worker for every league it changed; a seed that changes nothing is silent", async () => {
    // The run's template holds matches.csv's results, fitted; the shipped openfootball files are still to load.
    await seed();
    const first = await heardSoFar();
    const resets = first.filter((entry) => entry.channel === "cache-invalidated");
    assert.ok(resets.length > 0, "the cached reads are dropped");
    for (const reset of resets) {
      assert.deepEqual(
        [...(JSON.parse(reset.message) as string[])].sort(),
        [FIXTURES_BUCKET, PREDICTIONS_BUCKET, READS_BUCKET].sort(),
      );
    }
    const pending = await db("refit_requests").whereNull("completed_at").distinct("league_code");
    const queued = new Set(pending.map((row: { league_code: string }) => row.league_code));
    assert.ok(queued.size > 0, "the shipped files add results, so refits are queued");
    assert.deepEqual(signalled(first, "refit-requested"), queued, "the worker is nudged for each queued refit");
    const written = await db("import_runs")
      .where({ triggered_by: "seed" })
      .where((rows) => rows.where("inserted", ">", 0).orWhere("updated", ">", 0))
      .distinct("league_code");
    assert.deepEqual(
      signalled(first, "fixtures-changed"),
      new Set(written.map((row: { league_code: string }) => row.league_code)),
      "the worker is told of every league whose fixtures the seed wrote",
    );

    await seed();
    assert.deepEqual(await heardSoFar(), [], "a second seed writes nothing and announces nothing");
  });

  it("gathers the planner's statistics of the tables it filled, so a batch of ids is read through the index", async () => {
    // After the seeds above. The database, a copy of the run's template, started with no statistics of its own, and
    // autovacuum's would show as last_autoanalyze.
    const analysed = async () => {
      const rows: Array<{ relname: string }> = await db("pg_stat_user_tables")
        .whereIn("relname", SEEDED_TABLES)
        .whereNotNull("last_analyze")
        .select("relname");
      return rows.length === SEEDED_TABLES.length ? rows : undefined;
    };
    await eventually(analysed);
    const ids: Array<{ id: number }> = await db("matches").select("id").orderBy("id").limit(100);
    // As findMatches asks for a batch: the ids in one array parameter.
    const idArray = `{${ids.map((row) => row.id).join(",")}}`;
    const explained = await db.raw("EXPLAIN SELECT * FROM matches WHERE id = any(?::integer[])", [idArray]);
    const { rows } = explained as { rows: Array<{ "QUERY PLAN": string }> };
    const plan = rows.map((row) => row["QUERY PLAN"]).join("\n");
    assert.doesNotMatch(plan, /Seq Scan on matches/, plan);
  });
});
