import assert from "node:assert/strict";
import { loadHistoricalResults, type HistoricalMatch } from "../../service/src/data/historicalResults";
import { predictMatch } from "../../service/src/domain/dixonColes";
import { DIXON_COLES_SHOTS, fitShotsModel } from "../../service/src/domain/shotsModel";
import type { DixonColesParameters } from "../../service/src/domain/types";
import type { Database } from "../../service/src/storage/db";
import { MIGRATIONS } from "../../service/src/storage/migrations";
import { migrateDown, migrateToLatest, pendingMigrations } from "../../service/src/storage/migrator";
import { findMatch, findMatches } from "../../service/src/storage/repositories/matches";
import { findModelVersion, insertModelVersion } from "../../service/src/storage/repositories/modelVersions";
import { seedHistoricalResults } from "../../service/src/storage/seed";
import { commandDatabase, freshDatabaseUrl } from "../support/databases";

const SHOT_COLUMNS = ["home_shots", "away_shots", "home_shots_on_target", "away_shots_on_target"];
const ODDS_COLUMNS = ["home_closing_odds", "draw_closing_odds", "away_closing_odds", "closing_odds_source"];

const TABLES = [
  "audit_log",
  "import_quarantine",
  "import_runs",
  "leagues",
  "matches",
  "model_versions",
  "predictions",
  "refit_requests",
  "seasons",
  "team_aliases",
  "teams",
];

async function tablesOf(db: Database): Promise<string[]> {
  const rows: Array<{ tablename: string }> = await db("pg_tables")
    .select("tablename")
    .where("schemaname", "public")
    .whereNotIn("tablename", ["knex_migrations", "knex_migrations_lock"])
    .orderBy("tablename");
  return rows.map((row) => row.tablename);
}

/** Everything a re-seed could touch, including the sequences a careless upsert would advance. */
async function snapshot(db: Database) {
  const counts: Record<string, unknown> = {};
  for (const table of TABLES) counts[table] = (await db(table).count("* as n"))[0].n;
  const sequences = await db.raw("SELECT sequencename, last_value FROM pg_sequences ORDER BY sequencename");
  const updated = await db("matches").max("updated_at as at").first();
  return { counts, sequences: sequences.rows, lastUpdate: updated?.at };
}

describe("storage", () => {
  describe("migrations", () => {
    let db: Database;

    before(async () => {
      db = commandDatabase(await freshDatabaseUrl());
    });

    after(() => db?.destroy());

    it("go up from an empty database, creating every table", async () => {
      assert.equal((await pendingMigrations(db)).length, MIGRATIONS.length);
      assert.equal((await migrateToLatest(db)).length, MIGRATIONS.length);
      assert.deepEqual(await tablesOf(db), TABLES);
      assert.deepEqual(await pendingMigrations(db), []);
      assert.deepEqual(await migrateToLatest(db), []);
    });

    it("enforce the constraints the data relies on", async () => {
      await db("leagues").insert({ code: "T1", name: "Test", country: "Nowhere" });
      const [season] = await db("seasons").insert({ league_code: "T1", name: "2020-2021" }).returning("id");
      const [a, b] = await db("teams").insert([{ name: "Alpha", name_key: "alpha" }, { name: "Beta", name_key: "beta" }]).returning("id");
      const match = {
        league_code: "T1",
        season_id: season.id,
        match_date: "2020-09-01",
        home_team_id: a.id,
        away_team_id: b.id,
      };
      const insert = (row: Record<string, unknown>) => db("matches").insert({ ...match, ...row });
      await assert.rejects(db("seasons").insert({ league_code: "T1", name: "2020-2022" }), /seasons_name_format/);
      await assert.rejects(insert({ status: "played" }), /matches_status_score/);
      await assert.rejects(insert({ status: "scheduled", home_goals: 1, away_goals: 0 }), /matches_status_score/);
      await assert.rejects(insert({ away_team_id: a.id, status: "scheduled" }), /matches_distinct_teams/);
      const played = { status: "played", home_goals: 1, away_goals: 0 };
      await assert.rejects(insert({ status: "scheduled", home_shots: 9, away_shots: 4 }), /matches_shots_played/);
      await assert.rejects(insert({ ...played, home_shots: 9 }), /matches_shots_pair/);
      await assert.rejects(insert({ ...played, away_shots_on_target: 2 }), /matches_shots_on_target_pair/);
      await assert.rejects(insert({ ...played, home_shots: 100, away_shots: 4 }), /matches_shots_range/);
      await assert.rejects(insert({ ...played, home_shots_on_target: -1, away_shots_on_target: 0 }), /matches_shots_range/);
      await db("matches").insert({ ...match, status: "scheduled" });
      await assert.rejects(db("matches").insert({ ...match, status: "scheduled" }), /unique/);
      await db("leagues").insert({ code: "T2", name: "Other", country: "Nowhere" });
      await assert.rejects(
        db("matches").insert({ ...match, league_code: "T2", match_date: "2020-09-02", status: "scheduled" }),
        /foreign key/,
        "a match cannot sit in another league's season",
      );
      const refit = (reason: string) => db("refit_requests").insert({ league_code: "T1", reason, requested_by: "test" });
      for (const reason of ["result", "stats", "manual"]) await refit(reason);
      await assert.rejects(refit("whim"), /refit_requests_reason/);
    });

    it("go down completely and up again", async () => {
      assert.equal((await migrateDown(db, "all")).length, MIGRATIONS.length);
      assert.deepEqual(await tablesOf(db), []);
      assert.equal((await migrateToLatest(db)).length, MIGRATIONS.length);
      assert.deepEqual(await tablesOf(db), TABLES);
    });

    it("roll back the last batch only", async () => {
      await migrateDown(db, "all");
      await migrateToLatest(db);
      assert.deepEqual(await migrateDown(db, "last-batch"), [...MIGRATIONS].reverse().map(([name]) => name));
      await migrateToLatest(db);
    });
  });

  describe("seed", () => {
    let db: Database;

    before(async () => {
      db = commandDatabase(await freshDatabaseUrl());
      await migrateToLatest(db);
    });

    after(() => db?.destroy());

    it("loads every shipped league, season, team and result", async () => {
      const summary = await seedHistoricalResults(db);
      assert.deepEqual(summary, {
        leaguesAdded: 3,
        seasonsAdded: 37,
        teamsAdded: 101,
        matchesAdded: 13_320,
        resultsFilled: 0,
        shotsFilled: 0,
        leaguesChanged: ["D1", "E0", "SP1"],
      });
      const arsenal = await db("matches as m")
        .join("teams as h", "h.id", "m.home_team_id")
        .join("teams as a", "a.id", "m.away_team_id")
        .where({ "h.name": "Arsenal", "a.name": "Chelsea", "m.match_date": "2024-04-23" })
        .first("m.home_goals", "m.away_goals", "m.status", ...SHOT_COLUMNS);
      assert.deepEqual(arsenal, {
        home_goals: 5,
        away_goals: 0,
        status: "played",
        home_shots: 27,
        away_shots: 7,
        home_shots_on_target: 10,
        away_shots_on_target: 1,
      });
      assert.equal((await db("matches").whereNull("home_shots").count("* as n"))[0].n, "0");
      // The shipped results carry no bookmakers' prices (their terms are unclear): only an operator's import adds them.
      assert.equal((await db("matches").whereNotNull("home_closing_odds").count("* as n"))[0].n, "0");
      const audit = await db("audit_log").where({ action: "seed.import" });
      assert.equal(audit.length, 1);
      assert.equal((await db("refit_requests").whereNull("completed_at")).length, 3);
    });

    it("changes nothing when run again: no row, sequence, audit entry or refit request", async () => {
      const before = await snapshot(db);
      const summary = await seedHistoricalResults(db);
      assert.deepEqual(summary, {
        leaguesAdded: 0,
        seasonsAdded: 0,
        teamsAdded: 0,
        matchesAdded: 0,
        resultsFilled: 0,
        shotsFilled: 0,
        leaguesChanged: [],
      });
      assert.deepEqual(await snapshot(db), before);
    });

    it("adds shots to played matches stored without them, keeps stored shots, and requests a refit for stats", async () => {
      const rows: Array<{ id: number }> = await db("matches").where({ league_code: "D1" }).orderBy("id").limit(3);
      const [missing, alsoMissing, kept] = rows.map((row) => row.id);
      const noShots = Object.fromEntries(SHOT_COLUMNS.map((column) => [column, null]));
      await db("matches").whereIn("id", [missing, alsoMissing]).update(noShots);
      await db("matches").where({ id: kept }).update({ home_shots: 1, away_shots: 2 });
      const pending = (await db("refit_requests").whereNull("completed_at")).length;

      const summary = await seedHistoricalResults(db);
      assert.equal(summary.shotsFilled, 2);
      assert.deepEqual(summary.leaguesChanged, ["D1"]);
      const requests = await db("refit_requests").whereNull("completed_at").orderBy("id");
      assert.equal(requests.length, pending + 1);
      assert.deepEqual([requests.at(-1).league_code, requests.at(-1).reason], ["D1", "stats"], "shots changed, not results");
      const filled = await db("matches").where({ id: missing }).first(...SHOT_COLUMNS);
      assert.ok(SHOT_COLUMNS.every((column) => Number.isInteger(filled[column])), JSON.stringify(filled));
      const untouched = await db("matches").where({ id: kept }).first("home_shots", "away_shots");
      assert.deepEqual(untouched, { home_shots: 1, away_shots: 2 });
    });

    it("keeps the closing odds a deployment stored when seeding again", async () => {
      const [{ id }] = await db("matches").where({ league_code: "SP1", status: "played" }).orderBy("id").limit(1).select("id");
      const imported = { home_closing_odds: 2.5, draw_closing_odds: 3.2, away_closing_odds: 3, closing_odds_source: "pinnacle-closing" };
      await db("matches").where({ id }).update(imported);
      const summary = await seedHistoricalResults(db);
      assert.deepEqual(summary.leaguesChanged, []);
      assert.deepEqual(await db("matches").where({ id }).first(...ODDS_COLUMNS), imported);
    });

    it("refuses a half-filled or impossible triple of closing odds in the database", async () => {
      const [{ id }] = await db("matches").where({ league_code: "D1", status: "played" }).orderBy("id").limit(1).select("id");
      await db("matches").where({ id }).update({ home_closing_odds: 1.9, draw_closing_odds: 3.6, away_closing_odds: 4.2, closing_odds_source: "pinnacle-closing" });
      await assert.rejects(db("matches").where({ id }).update({ draw_closing_odds: null }), /matches_closing_odds_triple/);
      await assert.rejects(db("matches").where({ id }).update({ away_closing_odds: 1 }), /matches_closing_odds_range/);
      await assert.rejects(db("matches").where({ id }).update({ closing_odds_source: "bet365" }), /matches_closing_odds_source/);
    });

    it("fills in results of scheduled fixtures but never overrides a recorded result", async () => {
      const [match] = await db("matches as m")
        .join("teams as h", "h.id", "m.home_team_id")
        .join("teams as a", "a.id", "m.away_team_id")
        .join("seasons as s", "s.id", "m.season_id")
        .where("m.league_code", "SP1")
        .orderBy("m.id")
        .limit(2)
        .select(
          "m.id",
          "m.league_code as league",
          "s.name as season",
          "m.match_date as date",
          "h.name as homeTeam",
          "a.name as awayTeam",
          "m.home_goals as homeGoals",
          "m.away_goals as awayGoals",
        );
      const shipped: HistoricalMatch = match;
      const unplayed = { status: "scheduled", home_goals: null, away_goals: null };
      await db("matches")
        .where({ id: match.id })
        .update({ ...unplayed, ...Object.fromEntries(SHOT_COLUMNS.map((column) => [column, null])) });
      const refilled = await seedHistoricalResults(db, [shipped]);
      assert.equal(refilled.resultsFilled, 1);
      assert.deepEqual(refilled.leaguesChanged, ["SP1"]);
      await db("matches").where({ id: match.id }).update({ home_goals: 9 });
      assert.equal((await seedHistoricalResults(db, [shipped])).resultsFilled, 0);
      assert.equal((await db("matches").where({ id: match.id }).first()).home_goals, 9);
    });

    it("reads a match's kick-off as JSON writes the instant, whatever the session's time zone; none as null", async () => {
      const [{ id: withKickoff, match_date: date }, { id: without }] = await db("matches").orderBy("id").limit(2);
      // An evening kick-off in UTC, the next day in Kolkata (the schema holds a kick-off to its match's UTC date).
      const kickoff = new Date(`${date as string}T20:30:45.678Z`);
      await db("matches").where({ id: withKickoff }).update({ kickoff_at: kickoff });
      await db("matches").where({ id: without }).update({ kickoff_at: null });
      await db.transaction(async (trx) => {
        await trx.raw("SET LOCAL TIME ZONE 'Asia/Kolkata'");
        assert.equal((await findMatch(trx, withKickoff))?.kickoff, kickoff.toISOString());
        const batch = await findMatches(trx, [withKickoff, without]);
        assert.equal(batch.get(withKickoff)?.kickoff, kickoff.toISOString());
        assert.equal(batch.get(without)?.kickoff, null);
      });
    });
  });

  describe("model versions", () => {
    let db: Database;

    before(async () => {
      db = commandDatabase(await freshDatabaseUrl());
      await migrateToLatest(db);
      await db("leagues").insert({ code: "E0", name: "Premier League", country: "England" });
    });

    after(() => db?.destroy());

    it("round-trip the shot-blended model's parameters: the stored row predicts exactly as the fit", async () => {
      const matches = loadHistoricalResults().filter((match) => match.league === "E0" && match.season === "2023-2024");
      const fitted = fitShotsModel("E0", matches, { asOf: "2024-06-01" });
      assert.equal(fitted.parameters.model, DIXON_COLES_SHOTS);
      const stored = await insertModelVersion(db, fitted, new Date());
      const loaded = await findModelVersion(db, stored.version);
      assert.deepEqual(loaded?.parameters, fitted.parameters);
      for (const [home, away] of [["Arsenal", "Chelsea"], ["Luton", "Man City"], ["Newtown", "Arsenal"]]) {
        assert.deepEqual(predictMatch(loaded?.parameters as DixonColesParameters, home, away), predictMatch(fitted.parameters, home, away));
      }
    });
  });
});
