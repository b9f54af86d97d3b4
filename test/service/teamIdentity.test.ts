import assert from "node:assert/strict";
import { teamNameKey, teamNameProblem } from "../../service/src/domain/teamNames";
import type { Knex } from "knex";
import type { Database } from "../../service/src/storage/db";
import { MIGRATIONS } from "../../service/src/storage/migrations";
import { migrateToLatest } from "../../service/src/storage/migrator";
import { commandDatabase, freshDatabaseUrl, seededDatabaseUrl } from "../support/databases";
import { type ErrorBody, type TestService, startTestService, testConfig, writeToken } from "../support/service";

/**
 * Issue 17, findings 2 and 3: a team name has one identity, computed by one function and enforced by the database.
 * Each test here failed on the code before: concurrent `RacerN`/`RACERN` made two teams, `İstanbul FC` answered
 * 409 forever, Greek final sigma split a team, and look-alike names became new teams.
 */

interface MatchJson {
  id: number;
  homeTeam: { id: number; name: string };
  awayTeam: { id: number; name: string };
}

describe("team identity: one team per name", () => {
  let api: TestService;
  let db: Database;
  let token: string;
  let day = 0;

  before(async () => {
    const url = await seededDatabaseUrl();
    db = commandDatabase(url);
    api = await startTestService(testConfig({ DATABASE_URL: url }));
    token = await writeToken("identity");
  });

  after(async () => {
    await api?.stop();
    await db?.destroy();
  });

  /** A fixture on a date of its own, so only the team names can collide. */
  function fixture(homeTeam: string, awayTeam: string) {
    day += 1;
    const date = new Date(Date.UTC(2026, 7, 1 + day)).toISOString().slice(0, 10);
    return api.send("POST", "/api/v1/matches", { league: "E0", season: "2026-2027", date, homeTeam, awayTeam }, token);
  }

  const teamsKeyed = async (key: string) => db("teams").where({ name_key: key }).select("id", "name");

  describe("the key", () => {
    it("folds case fully (ß, final sigma, dotted İ), normalises (fullwidth) and collapses white space", () => {
      assert.equal(teamNameKey("RacerN"), teamNameKey("RACERN"));
      assert.equal(teamNameKey("Straße"), teamNameKey("STRASSE"));
      assert.equal(teamNameKey("Ολυμπιακός"), teamNameKey("ΟΛΥΜΠΙΑΚΌΣ"));
      assert.equal(teamNameKey("İstanbul FC"), teamNameKey("İSTANBUL FC"));
      assert.equal(teamNameKey("Ａrsenal"), "arsenal");
      assert.equal(teamNameKey("  Man \t United "), "man united");
      assert.notEqual(teamNameKey("İstanbul FC"), teamNameKey("Istanbul FC"), "the dotted capital I is its own letter");
    });

    it("refuses bidi controls, zero-width characters and mixed scripts, naming the character", () => {
      assert.match(teamNameProblem("Ars\u202eenal") ?? "", /bidirectional control characters \(U\+202E\)/);
      assert.match(teamNameProblem("Ars\u200benal") ?? "", /invisible characters .*\(U\+200B\)/);
      assert.match(teamNameProblem("\u0410rsenal") ?? "", /mixes Latin and Cyrillic letters \(А U\+0410 is Cyrillic\)/);
      assert.equal(teamNameProblem("FC東京"), undefined, "Latin with Han is one writing system (UTS #39)");
      assert.equal(teamNameProblem("Borussia Mönchengladbach"), undefined);
    });
  });

  describe("through the API", () => {
    it("concurrent creates of RacerN and RACERN make one team, ten rounds out of ten", async () => {
      for (let round = 0; round < 10; round += 1) {
        const responses = await Promise.all([fixture(`Racer${round}`, "Arsenal"), fixture(`RACER${round}`, "Chelsea")]);
        assert.deepEqual(
          responses.map((response) => response.status),
          [201, 201],
        );
        const [first, second] = (await Promise.all(responses.map((response) => response.json()))) as MatchJson[];
        assert.equal(first.homeTeam.id, second.homeTeam.id, `round ${round}`);
        assert.equal((await teamsKeyed(`racer${round}`)).length, 1);
      }
    });

    it("İstanbul FC works end to end: fixtures in any case, the match filter and predictions", async () => {
      const created = await fixture("İstanbul FC", "Arsenal");
      assert.equal(created.status, 201);
      const team = ((await created.json()) as MatchJson).homeTeam;
      const again = await fixture("İSTANBUL FC", "Chelsea");
      assert.equal(again.status, 201, "a second fixture for the team is not a conflict");
      assert.equal(((await again.json()) as MatchJson).homeTeam.id, team.id);

      const filtered = await api.get(`/api/v1/matches?league=E0&team=${encodeURIComponent("i̇stanbul fc")}`);
      assert.equal(filtered.status, 200);
      assert.equal(((await filtered.json()) as { data: unknown[] }).data.length, 2);

      const prediction = await api.get(
        `/api/v1/predictions?league=E0&home=${encodeURIComponent("İSTANBUL FC")}&away=Arsenal`,
      );
      assert.equal(prediction.status, 200);
      const body = (await prediction.json()) as { homeTeam: { id: number; name: string } };
      assert.deepEqual(body.homeTeam, team);
    });

    it("a Greek name with final sigma is one team whatever its case, and takes more than one fixture", async () => {
      const responses = [
        await fixture("ΟΛΥΜΠΙΑΚΌΣ", "Arsenal"),
        await fixture("ΟΛΥΜΠΙΑΚΌΣ", "Chelsea"),
        await fixture("Ολυμπιακός", "Everton"),
      ];
      assert.deepEqual(
        responses.map((response) => response.status),
        [201, 201, 201],
      );
      const matches = (await Promise.all(responses.map((response) => response.json()))) as MatchJson[];
      assert.equal(new Set(matches.map((match) => match.homeTeam.id)).size, 1);
      assert.equal(matches[2].homeTeam.name, "ΟΛΥΜΠΙΑΚΌΣ", "the first spelling is the team's name");
    });

    it("a fullwidth Ａrsenal is Arsenal, not a new team", async () => {
      const created = (await (await fixture("Ａrsenal", "Chelsea")).json()) as MatchJson;
      assert.equal(created.homeTeam.name, "Arsenal");
      assert.equal((await teamsKeyed("arsenal")).length, 1);
    });

    it("400 naming the field and the problem for a right-to-left override, a zero-width space or a look-alike", async () => {
      const cases: Array<[string, RegExp]> = [
        ["Ars\u202eenal", /homeTeam: must not contain bidirectional control characters \(U\+202E\)/],
        ["Ars\u200benal", /homeTeam: must not contain invisible characters/],
        ["\u0410rsenal", /homeTeam: mixes Latin and Cyrillic letters/],
      ];
      const teamsBefore = Number((await db("teams").count("* as n"))[0].n);
      for (const [name, problem] of cases) {
        const response = await fixture(name, "Chelsea");
        assert.equal(response.status, 400, name);
        const body = (await response.json()) as ErrorBody;
        assert.equal(body.error.code, "invalid_body");
        assert.match(body.error.message, problem);
      }
      const lookup = await api.get(`/api/v1/matches?team=${encodeURIComponent("Chel\u200bsea")}`);
      assert.equal(lookup.status, 400);
      assert.equal(Number((await db("teams").count("* as n"))[0].n), teamsBefore);
    });
  });

  describe("in the database", () => {
    it("a second team with the same key is refused by the unique index, whoever writes it", async () => {
      await assert.rejects(db("teams").insert({ name: "ARSENAL", name_key: "arsenal" }), /teams_name_key_unique/);
    });

    it("one key names one team: an alias cannot take a key another team has", async () => {
      const [chelsea] = await db("teams").where({ name_key: "chelsea" }).select("id");
      await assert.rejects(
        db("team_aliases").insert({ name_key: "arsenal", team_id: chelsea.id, name: "Arsenal", created_by: "test" }),
        /team_aliases_pkey/,
      );
    });
  });

  describe("the migration", () => {
    it("merges teams the old code let differ only in case, repointing their matches, and audits each merge", async () => {
      const fresh = commandDatabase(await freshDatabaseUrl());
      try {
        const before = MIGRATIONS.findIndex(([name]) => name === "20261206000017_team_identity");
        const source: Knex.MigrationSource<(typeof MIGRATIONS)[number]> = {
          getMigrations: async () => MIGRATIONS.slice(0, before),
          getMigrationName: ([name]) => name,
          getMigration: async ([, migration]) => migration,
        };
        await fresh.migrate.latest({ migrationSource: source });
        await fresh("leagues").insert({ code: "E0", name: "Premier League", country: "England" });
        const [season] = await fresh("seasons").insert({ league_code: "E0", name: "2026-2027" }).returning("id");
        const [racer, shouting, other] = await fresh("teams")
          .insert([{ name: "RacerN" }, { name: "RACERN" }, { name: "Other" }])
          .returning("id");
        const match = (date: string, home: number) => ({
          league_code: "E0",
          season_id: season.id,
          match_date: date,
          home_team_id: home,
          away_team_id: other.id,
          status: "scheduled",
        });
        await fresh("matches").insert([match("2026-08-01", racer.id), match("2026-08-08", shouting.id)]);

        await migrateToLatest(fresh);

        assert.deepEqual(await fresh("teams").where({ name_key: "racern" }).select("id", "name"), [
          { id: racer.id, name: "RacerN" },
        ]);
        const homes = await fresh("matches").orderBy("match_date").pluck("home_team_id");
        assert.deepEqual(homes, [racer.id, racer.id]);
        const [merge] = await fresh("audit_log").where({ action: "team.merge" });
        assert.deepEqual(merge.before, { id: shouting.id, name: "RACERN" });
        assert.deepEqual(
          (await fresh("team_aliases").orderBy("name_key").select("name_key", "team_id")).map((row) => row.name_key),
          ["other", "racern"],
        );
      } finally {
        await fresh.destroy();
      }
    });
  });
});
