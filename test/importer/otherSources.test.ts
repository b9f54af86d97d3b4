import assert from "node:assert/strict";
import type { Database } from "../../service/src/storage/db";
import {
  type Handler,
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
  seasonMatches,
  shippedFile,
  snapshot,
  wireImporter,
} from "./support";

/**
 * The two other sources, served by a real HTTP server from real openfootball data: football-data.org's v4 API (its
 * documented match shape, statuses, `X-Auth-Token`, and rate-limit headers) and a football-data.co.uk season CSV.
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
    it("reads the CSV layout (BOM, CRLF, dd/mm/yy, UK times, 2.0 goals) and takes the API's matches over", async () => {
      const names = new Map<string, string>([
        ["FC Bayern München", "Bayern Munich"],
        ["Borussia Dortmund", "Dortmund"],
      ]);
      const csv = footballDataCsv(shippedFile("2026-27/de.1.json"), "D1", (name) => names.get(name) ?? name);
      server.on("/mmz4281/2627/D1.csv", body(csv, 200, { "content-type": "text/csv" }));
      const wired = wireImporter(db, {
        DATABASE_URL: url,
        IMPORT_LEAGUES: "D1:football-data-csv:D1",
        FOOTBALL_DATA_CSV_BASE_URL: `${server.baseUrl}/mmz4281`,
      });
      const before = await seasonMatches(db, "D1", "2026-2027");
      const [outcome] = await wired.importer.run({ triggeredBy: "test" });
      assert.deepEqual([outcome.status, outcome.season, outcome.fetched, outcome.inserted, outcome.quarantined], ["succeeded", "2026-2027", 306, 0, 0]);
      const after = await seasonMatches(db, "D1", "2026-2027");
      assert.equal(after.length, 306);
      assert.deepEqual(
        after.map((row) => [row.id, row.status, row.home_goals, row.away_goals]),
        before.map((row) => [row.id, row.status, row.home_goals, row.away_goals]),
        "the same results, and no match added",
      );
      assert.equal(played(after).length, 27, "25 full-time scores and two bare 0-0 lists");
      assert.ok(after.every((row) => row.source === "football-data-csv"));
    });
  });
});
