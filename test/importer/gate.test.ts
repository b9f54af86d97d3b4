import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { teamNameKey } from "../../service/src/domain/teamNames";
import { checkBatch } from "../../service/src/importer/gate";
import { SHIPPED_OPENFOOTBALL_DIR, importShippedData } from "../../service/src/importer/shipped";
import { parseFootballDataCsv } from "../../service/src/importer/sources/footballDataCsv";
import { parseOpenfootball } from "../../service/src/importer/sources/openfootball";
import { type Feed, FeedError, type SourceRow } from "../../service/src/importer/types";
import { runQuarantine } from "../../service/src/runtime/importCommands";
import type { Database } from "../../service/src/storage/db";
import { listLeagues } from "../../service/src/storage/repositories/leagues";
import type { Team } from "../../service/src/storage/repositories/teams";
import { silentLogger, testConfig } from "../support/service";
import { NOW, type OpenfootballFile, importDatabase, seasonMatches, snapshot } from "./support";

const feed = (league: string, season: string, timeZone: string): Feed => ({
  league,
  season,
  source: "openfootball",
  code: "x",
  timeZone,
});

function parseShipped(relative: string, league: string, season: string, timeZone: string) {
  const text = readFileSync(path.join(SHIPPED_OPENFOOTBALL_DIR, relative), "utf8");
  return parseOpenfootball(text, feed(league, season, timeZone));
}

const find = (rows: SourceRow[], home: string, away: string) => {
  const row = rows.find((r) => r.homeName === home && r.awayName === away);
  assert.ok(row, `${home} v ${away}`);
  return row;
};

/** Every name of the rows as its own team, so the gate's other checks can be looked at alone. */
function everyoneKnown(rows: SourceRow[]): Map<string, Team> {
  const names = [...new Set(rows.flatMap((row) => [row.homeName, row.awayName]))];
  return new Map(names.map((name, index) => [teamNameKey(name), { id: index + 1, name }]));
}

describe("importer: the oddities of the real files and the data-quality gate", () => {
  describe("reading openfootball as SOURCE.md describes it", () => {
    it("a bare [0, 0] list is a 0-0 result; no score key, `{}` or only `ht` is no result yet", () => {
      const { rows, problems } = parseShipped("2026-27/en.1.json", "E0", "2026-2027", "Europe/London");
      assert.deepEqual(problems, []);
      const bare = find(rows, "Nottingham Forest FC", "Tottenham Hotspur FC");
      assert.deepEqual([bare.status, bare.score], ["played", { home: 0, away: 0 }]);
      assert.equal(rows.filter((row) => Array.isArray((row.raw as { score?: unknown }).score)).length, 4);
      assert.equal(rows.filter((row) => row.status === "played").length, 40);
      assert.equal(find(rows, "Arsenal FC", "Leeds United FC").status, "scheduled");
      const { rows: laLiga } = parseShipped("2024-25/es.1.json", "SP1", "2024-2025", "Europe/Madrid");
      const empty = laLiga.filter((row) => JSON.stringify((row.raw as { score?: unknown }).score) === "{}");
      assert.equal(empty.length, 10, "the last round of 2024-25 has `score: {}`");
      assert.ok(empty.every((row) => row.status === "scheduled" && row.score === null));
    });

    it("ft without ht is the result; an awarded game keeps its awarded score, marked awarded", () => {
      const { rows } = parseShipped("2024-25/de.1.json", "D1", "2024-2025", "Europe/Berlin");
      const withoutHalfTime = rows.filter((row) => {
        const score = (row.raw as { score?: { ht?: unknown; ft?: unknown } }).score;
        return score?.ft !== undefined && score.ht === undefined;
      });
      assert.ok(withoutHalfTime.length >= 11);
      assert.ok(withoutHalfTime.every((row) => row.status === "played" && row.score !== null));
      const awarded = find(rows, "1. FC Union Berlin", "VfL Bochum 1848");
      assert.deepEqual([awarded.date, awarded.status, awarded.score, awarded.awarded], ["2024-12-14", "played", { home: 0, away: 2 }, true]);
    });

    it("a postponed game has no time and no score; missing times leave the kick-off unknown, the date kept", () => {
      const { rows } = parseShipped("2026-27/es.1.json", "SP1", "2026-2027", "Europe/Madrid");
      const postponed = find(rows, "Levante UD", "Athletic Club");
      assert.deepEqual([postponed.date, postponed.status, postponed.kickoff, postponed.score], ["2026-09-16", "postponed", null, null]);
      const { rows: bundesliga } = parseShipped("2026-27/de.1.json", "D1", "2026-2027", "Europe/Berlin");
      const untimed = bundesliga.filter((row) => row.kickoff === null);
      assert.equal(untimed.length, 198, "Matchdays 12 to 33 have no time");
      assert.ok(untimed.every((row) => row.matchday !== null && row.matchday >= 12 && row.matchday <= 33 && /^\d{4}-/.test(row.date)));
    });

    it("rounds out of order: the match day comes from the round, not from where a game is listed", () => {
      const { rows } = parseShipped("2026-27/es.1.json", "SP1", "2026-2027", "Europe/Madrid");
      const firstOfRound2 = rows.filter((row) => row.matchday === 2).map((row) => row.date).sort()[0];
      const lateRound1 = rows.filter((row) => row.matchday === 1 && row.date > firstOfRound2);
      assert.equal(lateRound1.length, 4, "four Matchday 1 games were played after Matchday 2 began");
      assert.equal(find(rows, "Real Sociedad de Fútbol", "RC Celta de Vigo").matchday, 6);
    });

    it("times are local: 15:00 in London on 26 December is 15:00 UTC, in August 14:00 UTC", () => {
      const { rows } = parseOpenfootball(JSON.stringify(snapshot("51c7c2c")), feed("E0", "2026-2027", "Europe/London"));
      const boxingDay = rows.find((row) => row.date === "2026-12-26" && row.kickoff !== null);
      assert.equal(boxingDay?.kickoff?.toISOString().slice(11, 16), "15:00");
      const august = rows.find((row) => row.date === "2026-08-22" && (row.raw as { time?: string }).time === "15:00");
      assert.equal(august?.kickoff?.toISOString().slice(11, 16), "14:00");
    });
  });

  describe("reading football-data.co.uk's shot columns", () => {
    const csv = (header: string, ...lines: string[]) => [header, ...lines].join("\n");
    const read = (text: string) => parseFootballDataCsv(text, { ...feed("E0", "2014-2015", "Europe/London"), source: "football-data-csv" });

    it("reads HS, AS, HST, AST as integers or as pandas' 12.0; empty cells, or a file without the columns, are no shots", () => {
      const header = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HS,AS,HST,AST";
      const { rows, problems } = read(
        csv(
          header,
          "E0,16/08/14,Arsenal,Crystal Palace,2.0,1.0,H,14.0,4.0,6.0,2.0",
          "E0,16/08/14,Leicester,Everton,2,2,D,11,13,,",
          "E0,16/08/14,Man United,Swansea,1,2,A,,,,",
        ),
      );
      assert.deepEqual(problems, []);
      assert.deepEqual(
        rows.map((row) => [row.shots, row.shotsOnTarget]),
        [
          [{ home: 14, away: 4 }, { home: 6, away: 2 }],
          [{ home: 11, away: 13 }, null],
          [null, null],
        ],
      );
      const older = read(csv("Div,Date,HomeTeam,AwayTeam,FTHG,FTAG", "E0,16/08/14,Arsenal,Crystal Palace,2,1"));
      assert.deepEqual([older.rows[0].shots, older.rows[0].shotsOnTarget], [null, null]);
    });

    it("a half-filled pair or a count that is not whole is a problem naming the line and column; half a pair of columns is not the format", () => {
      const header = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,HS,AS,HST,AST";
      const { rows, problems } = read(
        csv(
          header,
          "E0,16/08/14,Arsenal,Crystal Palace,2,1,14,,6,2",
          "E0,16/08/14,Leicester,Everton,2,2,11,13,4.5,3",
          "E0,16/08/14,Man United,Swansea,1,2,9,x,3,3",
          "E0,16/08/14,QPR,Hull,0,1,100,9,,",
        ),
      );
      assert.deepEqual(rows, []);
      assert.deepEqual(
        problems.map((problem) => [problem.code, problem.reason]),
        [
          ["invalid_shots", 'line 2: HS "14" but AS is empty: a pair is given for both sides or neither'],
          ["invalid_shots", 'line 3: HST "4.5" is not a whole number from 0 to 99'],
          ["invalid_shots", 'line 4: AS "x" is not a whole number from 0 to 99'],
          ["invalid_shots", 'line 5: HS "100" is not a whole number from 0 to 99'],
        ],
      );
      assert.throws(
        () => read(csv("Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,HS,AS,HST", "E0,16/08/14,Arsenal,Crystal Palace,2,1,14,4,6")),
        (error: Error) => error instanceof FeedError && /a HST column but no AST column/.test(error.message),
      );
    });
  });

  describe("the gate", () => {
    const context = (rows: SourceRow[], now = NOW, teams = 20) => ({
      season: "2026-2027",
      teams,
      timeZone: "Europe/London",
      now,
      known: everyoneKnown(rows),
    });
    const parse = (file: OpenfootballFile) => parseOpenfootball(JSON.stringify(file), feed("E0", "2026-2027", "Europe/London"));
    const codes = (problems: Array<{ code: string }>) => problems.map((problem) => problem.code);

    it("passes the real current season whole", () => {
      const { rows } = parse(snapshot("40b3e1b"));
      const result = checkBatch(rows, context(rows));
      assert.deepEqual([result.clean.length, result.problems, result.shapeProblem], [380, [], undefined]);
    });

    it("refuses results dated after now", () => {
      const { rows } = parse(snapshot("40b3e1b"));
      const result = checkBatch(rows, context(rows, new Date("2026-09-06T00:00:00Z")));
      const future = result.problems.filter((problem) => problem.code === "future_result");
      const fromTheSixth = rows.filter((row) => row.status === "played" && row.date >= "2026-09-06").length;
      assert.ok(fromTheSixth > 0);
      assert.equal(future.length, fromTheSixth, "the results of 6 to 14 September are not possible on the 6th at midnight");
      assert.equal(result.clean.length, 380 - fromTheSixth);
    });

    it("refuses a duplicate pairing, a team twice on one day and a team playing itself, each record by name", () => {
      const file = snapshot("40b3e1b");
      const duplicate = structuredClone(file.matches.find((m) => m.team1 === "Arsenal FC" && m.team2 === "Chelsea FC"));
      assert.ok(duplicate);
      duplicate.date = "2027-03-31";
      delete duplicate.score;
      // Everton's next home game moved onto the day of Everton v Fulham: Everton, and that game's visitors (who
      // play someone else that day too), each play twice.
      const clash = file.matches.find((m) => m.team1 === "Everton FC" && m.team2 === "Fulham FC");
      const other = file.matches.find((m) => m.team1 === "Everton FC" && m !== clash && m.date > (clash?.date ?? ""));
      assert.ok(clash && other);
      other.date = clash.date;
      file.matches.push(duplicate, { round: "Matchday 38", date: "2027-05-30", team1: "Hull City AFC", team2: "Hull City AFC" });
      const { rows } = parse(file);
      const known = everyoneKnown(rows);
      const result = checkBatch(rows, { ...context(rows), known });
      assert.deepEqual(codes(result.problems).sort(), [
        "duplicate_pairing",
        "duplicate_pairing",
        "same_team",
        "team_twice_a_day",
        "team_twice_a_day",
        "team_twice_a_day",
      ]);
      assert.match(result.problems.find((p) => p.code === "duplicate_pairing")?.reason ?? "", /Arsenal FC v Chelsea FC appears 2 times/);
      assert.match(result.problems.find((p) => p.code === "team_twice_a_day")?.reason ?? "", /plays 2 matches on/);
      assert.equal(result.clean.length, 382 - 6);
    });

    it("refuses scores that are not whole numbers from 0 to 99, and dates that are not in the season", () => {
      const file = snapshot("40b3e1b");
      file.matches[0].score = { ft: [-1, 2] };
      file.matches[1].score = [1.5, 0];
      file.matches[2].date = "2026-02-30";
      file.matches[3].date = "2025-08-01";
      const { rows, problems } = parse(file);
      assert.deepEqual(codes(problems), ["invalid_score", "invalid_score", "invalid_date"]);
      assert.match(problems[0].reason, /\[-1,2\] is not two whole numbers from 0 to 99/);
      const result = checkBatch(rows, context(rows));
      assert.deepEqual(codes(result.problems), ["invalid_date"]);
      assert.match(result.problems[0].reason, /2025-08-01 is outside season 2026-2027/);
    });

    it("refuses shots that are not whole numbers from 0 to 99, or that come without a played result, whatever the source", () => {
      const { rows } = parse(snapshot("40b3e1b"));
      assert.ok(rows.every((row) => row.shots === null && row.shotsOnTarget === null), "openfootball carries no shots");
      const [good, negative, fractional, tooMany] = rows.filter((row) => row.status === "played");
      const fixture = rows.find((row) => row.status === "scheduled");
      assert.ok(fixture);
      good.shots = { home: 14, away: 0 };
      good.shotsOnTarget = { home: 99, away: 3 };
      negative.shots = { home: -1, away: 4 };
      fractional.shotsOnTarget = { home: 2.5, away: 1 };
      tooMany.shots = { home: 100, away: 9 };
      fixture.shotsOnTarget = { home: 3, away: 2 };
      const result = checkBatch(rows, context(rows));
      const byKey = (a: string[], b: string[]) => a[0].localeCompare(b[0]);
      assert.deepEqual(
        result.problems.map((problem) => [problem.recordKey, problem.code, problem.reason]).sort(byKey),
        [
          [negative.recordKey, "invalid_shots", 'shots {"home":-1,"away":4} are not two whole numbers from 0 to 99'],
          [fractional.recordKey, "invalid_shots", 'shots on target {"home":2.5,"away":1} are not two whole numbers from 0 to 99'],
          [tooMany.recordKey, "invalid_shots", 'shots {"home":100,"away":9} are not two whole numbers from 0 to 99'],
          [fixture.recordKey, "invalid_shots", "shots on target 3-2 for a match without a result (scheduled)"],
        ].sort(byKey),
      );
      const passed = result.clean.find((row) => row.recordKey === good.recordKey);
      assert.deepEqual([passed?.shots, passed?.shotsOnTarget], [{ home: 14, away: 0 }, { home: 99, away: 3 }]);
      assert.equal(result.clean.length, 380 - 4);
    });

    it("refuses closing odds that are not three finite decimal odds above 1, whatever the source", () => {
      const { rows } = parse(snapshot("40b3e1b"));
      assert.ok(rows.every((row) => row.closingOdds === null), "openfootball carries no odds");
      const [good, evens, infinite, missing] = rows.filter((row) => row.status === "played");
      good.closingOdds = { home: 1.01, draw: 6.5, away: 41, source: "pinnacle-closing" };
      evens.closingOdds = { home: 1, draw: 4, away: 5, source: "market-average-closing" };
      infinite.closingOdds = { home: 2, draw: Number.POSITIVE_INFINITY, away: 3, source: "pinnacle-closing" };
      missing.closingOdds = { home: 2, draw: Number.NaN, away: 3, source: "pinnacle-closing" };
      const result = checkBatch(rows, context(rows));
      const byKey = (a: string[], b: string[]) => a[0].localeCompare(b[0]);
      assert.deepEqual(
        result.problems.map((problem) => [problem.recordKey, problem.code, problem.reason]).sort(byKey),
        [
          [evens.recordKey, "invalid_odds", "closing odds 1 / 4 / 5 (market-average-closing) are not three finite decimal odds above 1"],
          [infinite.recordKey, "invalid_odds", "closing odds 2 / Infinity / 3 (pinnacle-closing) are not three finite decimal odds above 1"],
          [missing.recordKey, "invalid_odds", "closing odds 2 / NaN / 3 (pinnacle-closing) are not three finite decimal odds above 1"],
        ].sort(byKey),
      );
      assert.deepEqual(result.clean.find((row) => row.recordKey === good.recordKey)?.closingOdds, good.closingOdds);
      assert.equal(result.clean.length, 380 - 3);
    });

    it("refuses a batch that is not the shape of the league's season", () => {
      const { rows } = parse(snapshot("40b3e1b"));
      assert.equal(checkBatch(rows, context(rows, NOW, 18)).shapeProblem, "20 teams in a season of a 18-team league");
    });
  });

  describe("the shipped data, through the importer", function () {
    this.timeout(120_000);
    let db: Database;
    let url: string;

    before(async () => {
      ({ db, url } = await importDatabase());
    });

    after(() => db?.destroy());

    it("brings D1 and SP1 through 2025-26 and every league into 2026-27, every record clean", async () => {
      const outcomes = await importShippedData(db, silentLogger, { clock: () => NOW });
      assert.deepEqual(
        outcomes.map((o) => [o.league, o.season, o.inserted, o.quarantined]),
        [
          ["D1", "2024-2025", 306, 0],
          ["SP1", "2024-2025", 380, 0],
          ["D1", "2025-2026", 306, 0],
          ["SP1", "2025-2026", 380, 0],
          ["D1", "2026-2027", 306, 0],
          ["SP1", "2026-2027", 380, 0],
          ["E0", "2026-2027", 380, 0],
        ],
      );
      const seasons = Object.fromEntries((await listLeagues(db)).map((league) => [league.code, league.seasons.at(-1)]));
      assert.deepEqual(seasons, { D1: "2026-2027", E0: "2026-2027", SP1: "2026-2027" });
      const awarded = await db("matches").where({ awarded: true }).select("home_goals", "away_goals");
      assert.deepEqual(awarded, [{ home_goals: 0, away_goals: 2 }]);
    });

    it("is idempotent, and never rolls back what a live import recorded since", async () => {
      const d1 = await seasonMatches(db, "D1", "2026-2027");
      const corrected = d1.find((row) => row.status === "played");
      const redated = d1.find((row) => row.status === "scheduled");
      assert.ok(corrected && redated);
      await db("matches").where({ id: corrected.id }).update({ home_goals: 7 });
      await db("matches").where({ id: redated.id }).update({ match_date: "2027-06-20", kickoff_at: null });
      const outcomes = await importShippedData(db, silentLogger, { clock: () => NOW });
      assert.ok(outcomes.every((o) => o.inserted === 0 && o.updated === 0));
      assert.equal((await db("matches").where({ id: corrected.id }).first()).home_goals, 7);
      assert.equal((await db("matches").where({ id: redated.id }).first()).match_date, "2027-06-20");
    });

    it("fixtures whose date passed without a result are overdue: counted, and listed by `quarantine overdue`", async () => {
      const printed: string[] = [];
      const config = testConfig({ DATABASE_URL: url });
      assert.equal(await runQuarantine(config, silentLogger, ["overdue", "--league", "E0"], (line) => printed.push(line), () => NOW), 0);
      assert.match(printed[0], /^100 overdue fixture\(s\): dated before 2026-12-06/);
      assert.equal(printed.length, 101);
      assert.match(printed[1], /^match \d+ E0 2026-09-18 /);
    });
  });
});
