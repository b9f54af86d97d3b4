import assert from "node:assert/strict";
import type { Database } from "../../service/src/storage/db";
import { SHOT_COLUMNS } from "../../service/src/storage/repositories/matches";
import {
  type CsvCell,
  type Handler,
  type MatchRow,
  type OpenfootballMatch,
  SourceServer,
  type WiredImporter,
  apiMatchId,
  body,
  failure,
  footballDataApiResponse,
  footballDataCsv,
  importDatabase,
  json,
  metricValue,
  played,
  resultOf,
  seasonMatches,
  storedRows,
  shippedFile,
  shotCells,
  shotsOf,
  snapshot,
  wireImporter,
} from "./support";

/**
 * The two other sources, served by a real HTTP server from real openfootball data: football-data.org's v4 API (its
 * documented match shape, statuses, `X-Auth-Token`, and rate-limit headers) and football-data.co.uk season CSVs, with
 * and without their shot columns (openfootball has no shots: `shotsOf` makes them up, the same every run).
 */
describe("importer: football-data.org v4 and football-data.co.uk", function () {
  this.timeout(120_000);
  const KEY = "0123456789abcdef0123456789abcdef";
  const server = new SourceServer();
  let db: Database;
  let url: string;

  before(async () => {
    await server.start();
    ({ db, url } = await importDatabase());
  });

  after(async () => {
    await server.stop();
    await db?.destroy();
  });

  describe("the football-data.org v4 API", () => {
    const PL = "/v4/competitions/PL/matches";
    const BL1 = "/v4/competitions/BL1/matches";
    let wired: WiredImporter;
    const e0 = () => seasonMatches(db, "E0", "2026-2027");

    before(() => {
      wired = wireImporter(db, {
        DATABASE_URL: url,
        IMPORT_LEAGUES: "E0:football-data-api:PL,D1:football-data-api:BL1",
        IMPORT_SEASON: "2026-2027",
        FOOTBALL_DATA_API_BASE_URL: `${server.baseUrl}/v4`,
        FOOTBALL_DATA_API_KEY: KEY,
      });
    });

    /** The API's answer for a request with the key; 403 otherwise, as football-data.org answers a bad token. */
    const authorised =
      (answer: unknown, headers: Record<string, string> = {}): Handler =>
      (request, response) => {
        if (request.headers["x-auth-token"] !== KEY) return failure(403)(request, response);
        return json(answer, { "X-API-Version": "v4", "X-Requests-Available-Minute": "9", "X-RequestCounter-Reset": "60", ...headers })(request, response);
      };

    it("imports the season by match id, with the key, after waiting out a 429 and the per-minute quota", async () => {
      const epl = footballDataApiResponse(snapshot("40b3e1b"), "PL", "Europe/London", 2026);
      const bundesliga = footballDataApiResponse(shippedFile("2026-27/de.1.json"), "BL1", "Europe/Berlin", 2026);
      server.on(PL, failure(429, { "Retry-After": "1", "X-Requests-Available-Minute": "0", "X-RequestCounter-Reset": "1" }), authorised(epl, { "X-Requests-Available-Minute": "0", "X-RequestCounter-Reset": "1" }));
      server.on(BL1, authorised(bundesliga));
      const outcomes = await wired.importer.run({ triggeredBy: "test" });
      assert.deepEqual(
        outcomes.map((o) => [o.league, o.status, o.inserted, o.quarantined]),
        [
          ["E0", "succeeded", 380, 0],
          ["D1", "succeeded", 306, 0],
        ],
      );
      const [throttled, retried] = server.requestsTo(PL);
      assert.equal(retried.headers["x-auth-token"], KEY);
      assert.match(retried.path, /\?season=2026$/);
      assert.ok(retried.at - throttled.at >= 1_000, "the 429's Retry-After was waited out");
      const [next] = server.requestsTo(BL1);
      assert.ok(next.at - retried.at >= 900, "no request left this minute: the next one waited for the counter reset");
      assert.equal(await metricValue(wired.metrics, "import_request_errors_total", { source: "football-data-api", reason: "rate_limited" }), 1);

      const rows = await e0();
      assert.equal(rows.length, 380);
      assert.equal(played(rows).length, 40);
      const opener = rows.find((r) => r.home === "Arsenal" && r.away === "Coventry");
      assert.deepEqual([opener?.source, opener?.source_id, opener?.kickoff?.toISOString()], [
        "football-data-api",
        String(apiMatchId({ team1: "Arsenal FC", team2: "Coventry City FC" })),
        "2026-08-21T19:00:00.000Z",
      ]);
      const d1 = await seasonMatches(db, "D1", "2026-2027");
      assert.equal(d1.length, 306);
      assert.equal(played(d1).length, 27);
    });

    it("a re-dated match moves by its id; POSTPONED, CANCELLED and an AWARDED result are mapped", async () => {
      const file = snapshot("40b3e1b");
      const epl = footballDataApiResponse(file, "PL", "Europe/London", 2026) as { matches: Array<Record<string, unknown>> };
      const byPair = (home: string, away: string) =>
        epl.matches.find((m) => (m.homeTeam as { name: string }).name === home && (m.awayTeam as { name: string }).name === away) as Record<string, unknown>;
      Object.assign(byPair("Chelsea FC", "Liverpool FC"), { utcDate: "2027-02-17T20:00:00Z", status: "TIMED" });
      Object.assign(byPair("Everton FC", "Fulham FC"), { status: "POSTPONED" });
      Object.assign(byPair("Leeds United FC", "Hull City AFC"), { status: "CANCELLED" });
      Object.assign(byPair("Arsenal FC", "Coventry City FC"), {
        status: "AWARDED",
        score: { winner: "AWAY_TEAM", duration: "REGULAR", fullTime: { home: 0, away: 3 }, halfTime: { home: null, away: null } },
      });
      server.on(PL, authorised(epl));
      const [outcome] = await wired.importer.run({ triggeredBy: "test", leagues: ["E0"] });
      assert.deepEqual([outcome.status, outcome.updated, outcome.inserted], ["succeeded", 4, 0]);
      const rows = await e0();
      assert.equal(rows.length, 380);
      const find = (home: string, away: string) => rows.find((r) => r.home === home && r.away === away);
      assert.deepEqual([find("Chelsea", "Liverpool")?.date, find("Chelsea", "Liverpool")?.kickoff?.toISOString()], ["2027-02-17", "2027-02-17T20:00:00.000Z"]);
      assert.equal(find("Everton", "Fulham")?.status, "postponed");
      assert.equal(find("Leeds", "Hull")?.status, "cancelled");
      const awarded = find("Arsenal", "Coventry");
      assert.deepEqual([awarded?.status, awarded?.home_goals, awarded?.away_goals, awarded?.awarded], ["played", 0, 3, true]);
    });

    it("without the key the API answers 403: the run fails at once, not retried", async () => {
      const unkeyed = wireImporter(db, {
        DATABASE_URL: url,
        IMPORT_LEAGUES: "E0:football-data-api:PL",
        FOOTBALL_DATA_API_BASE_URL: `${server.baseUrl}/v4`,
        FOOTBALL_DATA_API_KEY: "wrongwrongwrongwrong",
      });
      const before = server.requestsTo(PL).length;
      const [outcome] = await unkeyed.importer.run({ triggeredBy: "test" });
      assert.equal(outcome.status, "failed");
      assert.match(outcome.error ?? "", /HTTP 403.*\(after 1 attempt\)/);
      assert.equal(server.requestsTo(PL).length - before, 1);
    });

    it("a body that is not the v4 shape fails the run", async () => {
      server.on(PL, body('{"errorCode": 400, "message": "Wrong filter"}'));
      const [outcome] = await wired.importer.run({ triggeredBy: "test", leagues: ["E0"] });
      assert.equal(outcome.status, "failed");
      assert.match(outcome.error ?? "", /not a football-data.org match list: no "matches" list/);
    });
  });

  describe("a football-data.co.uk season file", () => {
    const D1 = "/mmz4281/2627/D1.csv";
    const names = new Map<string, string>([
      ["FC Bayern München", "Bayern Munich"],
      ["Borussia Dortmund", "Dortmund"],
    ]);
    const bundesliga = shippedFile("2026-27/de.1.json");
    const played1 = bundesliga.matches.filter((match) => resultOf(match) !== undefined);
    const d1Csv = (cells?: (match: OpenfootballMatch) => Partial<Record<CsvCell, string>>) =>
      footballDataCsv(bundesliga, "D1", (name) => names.get(name) ?? name, cells);
    const serve = (path: string, csv: string) => server.on(path, body(csv, 200, { "content-type": "text/csv" }));
    const d1 = () => seasonMatches(db, "D1", "2026-2027");
    const auditOf = (action: string): Promise<AuditRow[]> =>
      db("audit_log").where({ actor: "importer:football-data-csv", action }).orderBy("id");
    const pendingRefits = async () =>
      (await db("refit_requests").where({ requested_by: "importer:football-data-csv" }).whereNull("completed_at").orderBy("id")).map(
        (request: { league_code: string; reason: string }) => [request.league_code, request.reason],
      );
    const serveRefits = () => db("refit_requests").whereNull("completed_at").update({ completed_at: db.fn.now() });
    let wired: WiredImporter;


    before(() => {
      wired = wireImporter(db, {
        DATABASE_URL: url,
        IMPORT_LEAGUES: "D1:football-data-csv:D1,SP1:football-data-csv:SP1",
        FOOTBALL_DATA_CSV_BASE_URL: `${server.baseUrl}/mmz4281`,
      });
    });

    const importCsv = async (league: string, mode?: "fill-only") => {
      const [outcome] = await wired.importer.run({ triggeredBy: "test", leagues: [league], ...(mode ? { mode } : {}) });
      return [outcome.status, outcome.inserted, outcome.updated, outcome.unchanged, outcome.quarantined];
    };

    it("reads the CSV layout (BOM, CRLF, dd/mm/yy, UK times, 2.0 goals) and takes the API's matches over", async () => {
      serve(D1, d1Csv());
      const before = await d1();
      const [outcome] = await wired.importer.run({ triggeredBy: "test", leagues: ["D1"] });
      assert.deepEqual([outcome.status, outcome.season, outcome.fetched, outcome.inserted, outcome.quarantined], ["succeeded", "2026-2027", 306, 0, 0]);
      const after = await d1();
      assert.equal(after.length, 306);
      assert.deepEqual(
        after.map((row) => [row.id, row.status, row.home_goals, row.away_goals]),
        before.map((row) => [row.id, row.status, row.home_goals, row.away_goals]),
        "the same results, and no match added",
      );
      assert.equal(played(after).length, 27, "25 full-time scores and two bare 0-0 lists");
      assert.ok(after.every((row) => row.source === "football-data-csv"));
      assert.ok(after.every((row) => shotsIn(row).shots === null && shotsIn(row).shotsOnTarget === null), "empty shot cells are no shots");
    });

    it("stores the shots a file has (HS, AS, HST, AST, written as 12.0) with each new match", async () => {
      const laLiga = shippedFile("2026-27/es.1.json");
      const withoutShots = laLiga.matches.find((match) => resultOf(match) !== undefined);
      assert.ok(withoutShots);
      const csv = footballDataCsv(laLiga, "SP1", (name) => name, (match) => (match === withoutShots ? {} : shotCells(match)));
      serve("/mmz4281/2627/SP1.csv", csv);
      assert.deepEqual(await importCsv("SP1"), ["succeeded", 380, 0, 0, 0]);
      const rowOf = await storedRows(db, "SP1", laLiga);
      assert.equal(laLiga.matches.filter((match) => resultOf(match) !== undefined).length, 59, "55 full-time scores, four bare 0-0 lists");
      for (const match of laLiga.matches) {
        const expected: ReturnType<typeof shotsIn> = resultOf(match) === undefined || match === withoutShots ? { shots: null, shotsOnTarget: null } : shotsOf(match);
        assert.deepEqual(shotsIn(rowOf(match)), expected, `${match.team1} v ${match.team2}`);
      }
      assert.deepEqual(await pendingRefits(), [["SP1", "result"]]);
      await serveRefits();
    });

    it("shots that arrive later for stored results are filled in, audited as match.stats, and refit as stats, not results", async () => {
      const results = (await auditOf("match.result")).length;
      wired.signalled.length = 0;
      serve(D1, d1Csv(shotCells));
      assert.deepEqual(await importCsv("D1"), ["succeeded", 0, 27, 279, 0]);
      const rowOf = await storedRows(db, "D1", bundesliga);
      const stats = new Map((await auditOf("match.stats")).map((entry) => [Number(entry.entity_id), entry]));
      assert.equal(stats.size, 27);
      for (const match of played1) {
        const row = rowOf(match);
        assert.deepEqual(shotsIn(row), shotsOf(match), `${match.team1} v ${match.team2}`);
        const entry = stats.get(row.id);
        assert.ok(entry, `${match.team1} v ${match.team2} is audited`);
        assert.deepEqual([entry.before.shots, entry.before.shotsOnTarget], [null, null]);
        assert.deepEqual({ shots: entry.after.shots, shotsOnTarget: entry.after.shotsOnTarget }, shotsOf(match));
        assert.deepEqual(entry.after.score, entry.before.score);
      }
      assert.ok((await d1()).filter((row) => row.status !== "played").every((row) => shotsIn(row).shots === null));
      assert.equal((await auditOf("match.result")).length, results, "no result change is reported");
      const [apply] = await db("audit_log")
        .where({ actor: "importer:football-data-csv", action: "import.apply", entity_id: "D1/2026-2027" })
        .orderBy("id", "desc")
        .limit(1);
      assert.deepEqual([apply.after.updated, apply.after.resultsChanged, apply.after.statsChanged, apply.after.refitRequested], [27, false, true, true]);
      const [run] = await db("import_runs").where({ league_code: "D1" }).orderBy("id", "desc").limit(1);
      assert.deepEqual([run.details.resultsChanged, run.details.statsChanged], [false, true]);
      assert.deepEqual(await pendingRefits(), [["D1", "stats"]]);
      assert.deepEqual(wired.signalled, ["D1"], "the worker is nudged to refit");
      await serveRefits();
    });

    it("a later correction of one match's shots updates that match alone; a file that leaves them empty erases none", async () => {
      const corrected = played1[3];
      serve(D1, d1Csv((match) => (match === corrected ? { ...shotCells(match), HST: "11", AST: "0" } : shotCells(match))));
      assert.deepEqual(await importCsv("D1"), ["succeeded", 0, 1, 305, 0]);
      const row = (await storedRows(db, "D1", bundesliga))(corrected);
      const original = shotsOf(corrected);
      assert.deepEqual(shotsIn(row), { shots: original.shots, shotsOnTarget: { home: 11, away: 0 } });
      const entry = (await auditOf("match.stats")).at(-1);
      assert.equal(entry?.entity_id, String(row.id));
      assert.deepEqual([entry?.before.shotsOnTarget, entry?.after.shotsOnTarget], [original.shotsOnTarget, { home: 11, away: 0 }]);
      assert.deepEqual(await pendingRefits(), [["D1", "stats"]]);
      await serveRefits();

      const stored = (await d1()).map(shotsIn);
      serve(D1, d1Csv());
      assert.deepEqual(await importCsv("D1"), ["succeeded", 0, 0, 306, 0]);
      assert.deepEqual((await d1()).map(shotsIn), stored, "a record without shots says nothing about them");
      assert.deepEqual(await pendingRefits(), []);
    });

    it("fill-only (how the shipped files load) fills the shots a played match lacks and overwrites none", async () => {
      const [emptied, kept] = played1.map(await storedRows(db, "D1", bundesliga));
      await db("matches").where({ id: emptied.id }).update(Object.fromEntries(SHOT_COLUMNS.map((column) => [column, null])));
      // The file disagrees with every stored count: one shot more each.
      const more = (match: OpenfootballMatch): Partial<Record<CsvCell, string>> => {
        if (resultOf(match) === undefined) return {};
        const { shots, shotsOnTarget } = shotsOf(match);
        return { HS: `${shots.home + 1}`, AS: `${shots.away + 1}`, HST: `${shotsOnTarget.home + 1}`, AST: `${shotsOnTarget.away + 1}` };
      };
      serve(D1, d1Csv(more));
      assert.deepEqual(await importCsv("D1", "fill-only"), ["succeeded", 0, 1, 305, 0]);
      const rowOf = await storedRows(db, "D1", bundesliga);
      const [home, away] = [shotsOf(played1[0]), shotsOf(played1[1])];
      assert.deepEqual(shotsIn(rowOf(played1[0])), {
        shots: { home: home.shots.home + 1, away: home.shots.away + 1 },
        shotsOnTarget: { home: home.shotsOnTarget.home + 1, away: home.shotsOnTarget.away + 1 },
      });
      assert.deepEqual(shotsIn(rowOf(played1[1])), away, "stored shots are never overwritten");
      assert.equal(rowOf(played1[1]).id, kept.id);
      assert.equal((await auditOf("match.stats")).at(-1)?.entity_id, String(emptied.id));
      assert.deepEqual(await pendingRefits(), [["D1", "stats"]]);
      await serveRefits();
    });

    it("a broken shots column is quarantined, naming the line and the column; the rest of the file imports", async () => {
      const [, , halfFilled, fractional] = played1;
      const fixture = bundesliga.matches.find((match) => resultOf(match) === undefined);
      assert.ok(fixture);
      const lineOf = (match: OpenfootballMatch) => bundesliga.matches.indexOf(match) + 2;
      const stored = (await d1()).map(shotsIn);
      serve(
        D1,
        d1Csv((match) => {
          if (match === halfFilled) return { ...shotCells(match), AS: "" };
          if (match === fractional) return { ...shotCells(match), HST: "4.5" };
          if (match === fixture) return { HS: "9", AS: "7" };
          return {};
        }),
      );
      assert.deepEqual(await importCsv("D1"), ["succeeded", 0, 0, 303, 3]);
      const open = await db("import_quarantine").where({ league_code: "D1", source: "football-data-csv", status: "open" }).orderBy("id");
      assert.deepEqual(open.map((row) => row.reason_code), ["invalid_shots", "invalid_shots", "invalid_shots"]);
      assert.deepEqual(open.map((row) => row.reason).sort(), [
        `line ${lineOf(halfFilled)}: HS "${shotsOf(halfFilled).shots.home}.0" but AS is empty: a pair is given for both sides or neither`,
        `line ${lineOf(fractional)}: HST "4.5" is not a whole number from 0 to 99`,
        "shots 9-7 for a match without a result (scheduled)",
      ]);
      assert.deepEqual(open.find((row) => row.reason.includes("4.5"))?.raw.HST, "4.5", "the raw record is kept");
      assert.deepEqual((await d1()).map(shotsIn), stored, "nothing of the broken records is written");
    });

    it("a played match with shots that the source turns postponed or cancelled keeps both; the import does not fail", async () => {
      const api = footballDataApiResponse(bundesliga, "BL1", "Europe/Berlin", 2026) as { matches: Array<Record<string, unknown>> };
      const [postponed, cancelled] = api.matches.filter((match) => match.status === "FINISHED");
      Object.assign(postponed, { status: "POSTPONED", score: { fullTime: { home: null, away: null } } });
      Object.assign(cancelled, { status: "CANCELLED", score: { fullTime: { home: null, away: null } } });
      server.on("/v4/competitions/BL1/matches", json(api));
      const fromApi = wireImporter(db, {
        DATABASE_URL: url,
        IMPORT_LEAGUES: "D1:football-data-api:BL1",
        FOOTBALL_DATA_API_BASE_URL: `${server.baseUrl}/v4`,
        FOOTBALL_DATA_API_KEY: KEY,
      });
      const before = played(await d1());
      assert.ok(before.every((row) => shotsIn(row).shots !== null));
      const [outcome] = await fromApi.importer.run({ triggeredBy: "test" });
      assert.deepEqual([outcome.status, outcome.quarantined], ["succeeded", 2]);
      const after = played(await d1());
      const kept = (rows: MatchRow[]) => rows.map((row) => [row.id, row.status, row.home_goals, row.away_goals, shotsIn(row)]);
      assert.deepEqual(kept(after), kept(before), "every result and its shots stay");
      const takenOver = after.filter((row) => row.source === "football-data-api");
      assert.equal(takenOver.length, 25, "taken over by a source without shots, and their shots kept (the two withdrawn stay as they were)");
      const withdrawn = await db("import_quarantine").where({ league_code: "D1", source: "football-data-api", status: "open" });
      assert.deepEqual(withdrawn.map((row) => row.reason_code), ["result_withdrawn", "result_withdrawn"]);
    });
  });
});

const shotsIn = (row: MatchRow) => ({
  shots: row.home_shots === null || row.away_shots === null ? null : { home: row.home_shots, away: row.away_shots },
  shotsOnTarget:
    row.home_shots_on_target === null || row.away_shots_on_target === null
      ? null
      : { home: row.home_shots_on_target, away: row.away_shots_on_target },
});

interface AuditRow {
  entity_id: string;
  before: { score: unknown; shots: unknown; shotsOnTarget: unknown };
  after: { score: unknown; shots: unknown; shotsOnTarget: unknown };
}
