import assert from "node:assert/strict";
import { parseFootballDataCsv } from "../../service/src/importer/sources/footballDataCsv";
import { FeedError } from "../../service/src/importer/types";
import type { Database } from "../../service/src/storage/db";
import { CLOSING_ODDS_COLUMNS } from "../../service/src/storage/repositories/matches";
import {
  type CsvCell,
  type MatchRow,
  type OpenfootballMatch,
  SourceServer,
  type WiredImporter,
  body,
  footballDataCsv,
  importDatabase,
  oddsCells,
  oddsOf,
  resultOf,
  seasonMatches,
  storedRows,
  shippedFile,
  wireImporter,
} from "./support";

/**
 * Bookmakers' closing odds through football-data.co.uk season files, served by a real HTTP server: Pinnacle's
 * closing prices (`PSCH`/`PSCD`/`PSCA`), else the market average's (`AvgCH`/...), carried through the gate, never
 * erased, audited as `match.odds`, and never a reason to refit (the model does not use them).
 */
describe("importer: closing odds from football-data.co.uk files", function () {
  this.timeout(120_000);
  const server = new SourceServer();
  const D1 = "/mmz4281/2627/D1.csv";
  const SP1 = "/mmz4281/2627/SP1.csv";
  const bundesliga = shippedFile("2026-27/de.1.json");
  const played1 = bundesliga.matches.filter((match) => resultOf(match) !== undefined);
  const names = new Map<string, string>([
    ["FC Bayern München", "Bayern Munich"],
    ["Borussia Dortmund", "Dortmund"],
  ]);
  const d1Csv = (cells?: (match: OpenfootballMatch) => Partial<Record<CsvCell, string>>) =>
    footballDataCsv(bundesliga, "D1", (name) => names.get(name) ?? name, cells);
  const serve = (path: string, csv: string) => server.on(path, body(csv, 200, { "content-type": "text/csv" }));
  let db: Database;
  let wired: WiredImporter;

  const d1 = () => seasonMatches(db, "D1", "2026-2027");
  const auditOf = (action: string): Promise<Array<{ entity_id: string; before: { closingOdds: unknown; score: unknown }; after: { closingOdds: unknown; score: unknown } }>> =>
    db("audit_log").where({ actor: "importer:football-data-csv", action }).orderBy("id");
  const pendingRefits = async () =>
    (await db("refit_requests").where({ requested_by: "importer:football-data-csv" }).whereNull("completed_at").orderBy("id")).map(
      (request: { league_code: string; reason: string }) => [request.league_code, request.reason],
    );
  const serveRefits = () => db("refit_requests").whereNull("completed_at").update({ completed_at: db.fn.now() });
  const importCsv = async (league: string, mode?: "fill-only") => {
    const [outcome] = await wired.importer.run({ triggeredBy: "test", leagues: [league], ...(mode ? { mode } : {}) });
    return [outcome.status, outcome.inserted, outcome.updated, outcome.unchanged, outcome.quarantined];
  };
  const oddsIn = (row: MatchRow) =>
    row.closing_odds_source === null
      ? null
      : { home: row.home_closing_odds, draw: row.draw_closing_odds, away: row.away_closing_odds, source: row.closing_odds_source };
  const expected = (match: OpenfootballMatch, source = "pinnacle-closing") => ({ ...oddsOf(match), source });


  before(async () => {
    await server.start();
    let url: string;
    ({ db, url } = await importDatabase());
    wired = wireImporter(db, {
      DATABASE_URL: url,
      IMPORT_LEAGUES: "D1:football-data-csv:D1,SP1:football-data-csv:SP1",
      FOOTBALL_DATA_CSV_BASE_URL: `${server.baseUrl}/mmz4281`,
    });
  });

  after(async () => {
    await server.stop();
    await db?.destroy();
  });

  it("stores new matches with their closing odds: Pinnacle's, else the market average's; fixtures have none", async () => {
    const laLiga = shippedFile("2026-27/es.1.json");
    const averageOnly = laLiga.matches.filter((match) => resultOf(match) !== undefined)[5];
    serve(SP1, footballDataCsv(laLiga, "SP1", (name) => name, (match) => oddsCells(match, match === averageOnly ? "average" : "pinnacle")));
    assert.deepEqual(await importCsv("SP1"), ["succeeded", 380, 0, 0, 0]);
    const rowOf = await storedRows(db, "SP1", laLiga);
    for (const match of laLiga.matches) {
      const odds = resultOf(match) === undefined ? null : expected(match, match === averageOnly ? "market-average-closing" : "pinnacle-closing");
      assert.deepEqual(oddsIn(rowOf(match)), odds, `${match.team1} v ${match.team2}`);
    }
    assert.deepEqual(await pendingRefits(), [["SP1", "result"]], "for the results, as ever");
    await serveRefits();
  });

  it("odds that arrive later for stored results are filled in, audited as match.odds, and ask for no refit", async () => {
    serve(D1, d1Csv());
    assert.deepEqual(await importCsv("D1"), ["succeeded", 306, 0, 0, 0]);
    assert.ok((await d1()).every((row) => oddsIn(row) === null), "empty closing-odds cells are no odds");
    await serveRefits();
    wired.signalled.length = 0;

    serve(D1, d1Csv((match) => oddsCells(match)));
    assert.deepEqual(await importCsv("D1"), ["succeeded", 0, played1.length, 306 - played1.length, 0]);
    const rowOf = await storedRows(db, "D1", bundesliga);
    const audited = new Map((await auditOf("match.odds")).map((entry) => [Number(entry.entity_id), entry]));
    assert.equal(audited.size, played1.length);
    for (const match of played1) {
      const row = rowOf(match);
      assert.deepEqual(oddsIn(row), expected(match));
      const entry = audited.get(row.id);
      assert.ok(entry, `${match.team1} v ${match.team2} is audited`);
      assert.deepEqual([entry.before.closingOdds, entry.after.closingOdds], [null, expected(match)]);
      assert.deepEqual(entry.after.score, entry.before.score);
    }
    assert.deepEqual(await auditOf("match.stats"), [], "odds are not shots");
    const [apply] = await db("audit_log")
      .where({ actor: "importer:football-data-csv", action: "import.apply", entity_id: "D1/2026-2027" })
      .orderBy("id", "desc")
      .limit(1);
    assert.deepEqual(
      [apply.after.resultsChanged, apply.after.statsChanged, apply.after.oddsChanged, apply.after.refitRequested],
      [false, false, true, false],
    );
    assert.deepEqual(await pendingRefits(), [], "the model does not use odds");
    assert.deepEqual(wired.signalled, [], "the worker is not nudged");
  });

  it("a file without odds erases none; a correction of one match's odds updates that match alone", async () => {
    const stored = (await d1()).map(oddsIn);
    serve(D1, d1Csv());
    assert.deepEqual(await importCsv("D1"), ["succeeded", 0, 0, 306, 0]);
    assert.deepEqual((await d1()).map(oddsIn), stored, "a record without odds says nothing about them");

    const corrected = played1[2];
    serve(D1, d1Csv((match) => (match === corrected ? { PSCH: "1.95", PSCD: "3.80", PSCA: "4.10" } : oddsCells(match))));
    assert.deepEqual(await importCsv("D1"), ["succeeded", 0, 1, 305, 0]);
    const row = (await storedRows(db, "D1", bundesliga))(corrected);
    const now = { home: 1.95, draw: 3.8, away: 4.1, source: "pinnacle-closing" };
    assert.deepEqual(oddsIn(row), now);
    const entry = (await auditOf("match.odds")).at(-1);
    assert.equal(entry?.entity_id, String(row.id));
    assert.deepEqual([entry?.before.closingOdds, entry?.after.closingOdds], [expected(corrected), now]);
    assert.deepEqual(await pendingRefits(), []);
  });

  it("fill-only fills the odds a played match lacks and overwrites none", async () => {
    const rowOf = await storedRows(db, "D1", bundesliga);
    const [emptied, kept] = [rowOf(played1[0]), rowOf(played1[1])];
    await db("matches").where({ id: emptied.id }).update(Object.fromEntries(CLOSING_ODDS_COLUMNS.map((column) => [column, null])));
    serve(D1, d1Csv((match) => oddsCells(match, "average")));
    assert.deepEqual(await importCsv("D1", "fill-only"), ["succeeded", 0, 1, 305, 0]);
    const after = await storedRows(db, "D1", bundesliga);
    assert.deepEqual(oddsIn(after(played1[0])), expected(played1[0], "market-average-closing"));
    assert.deepEqual(oddsIn(after(played1[1])), oddsIn(kept), "stored odds are never overwritten");
    assert.equal((await auditOf("match.odds")).at(-1)?.entity_id, String(emptied.id));
    assert.deepEqual(await pendingRefits(), []);
  });

  it("a half-filled triple, a price that is not a number or not above 1 is quarantined; the rest of the file imports", async () => {
    const [, , , halfFilled, notANumber, evens, halfPinnacle] = played1;
    const lineOf = (match: OpenfootballMatch) => bundesliga.matches.indexOf(match) + 2;
    const stored = (await d1()).map(oddsIn);
    serve(
      D1,
      d1Csv((match) => {
        if (match === halfFilled) return { ...oddsCells(match), PSCD: "" };
        if (match === notANumber) return { ...oddsCells(match), PSCA: "n/a" };
        if (match === evens) return { PSCH: "1.00", PSCD: "4.00", PSCA: "5.00" };
        // A market average does not mend a broken Pinnacle triple.
        if (match === halfPinnacle) return { PSCH: "2.00", AvgCH: "2.1", AvgCD: "3.3", AvgCA: "3.5" };
        return {};
      }),
    );
    assert.deepEqual(await importCsv("D1"), ["succeeded", 0, 0, 302, 4]);
    const open = await db("import_quarantine").where({ league_code: "D1", source: "football-data-csv", status: "open" }).orderBy("id");
    assert.deepEqual(open.map((row) => row.reason_code), ["invalid_odds", "invalid_odds", "invalid_odds", "invalid_odds"]);
    assert.deepEqual(open.map((row) => row.reason).sort(), [
      `line ${lineOf(halfFilled)}: PSCH, PSCA filled but PSCD empty: closing odds are given for all three outcomes or none`,
      `line ${lineOf(halfPinnacle)}: PSCH filled but PSCD, PSCA empty: closing odds are given for all three outcomes or none`,
      `line ${lineOf(notANumber)}: PSCA "n/a" is not decimal odds`,
      "closing odds 1 / 4 / 5 (pinnacle-closing) are not three finite decimal odds above 1",
    ].sort());
    assert.deepEqual((await d1()).map(oddsIn), stored, "nothing of the broken records is written");
  });

  it("a file with only part of a closing-odds triple's columns is not the format", () => {
    const feed = { league: "D1", season: "2026-2027", source: "football-data-csv" as const, code: "D1", timeZone: "Europe/Berlin" };
    assert.throws(
      () => parseFootballDataCsv("Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,PSCH,PSCD\nD1,28/08/26,Bayern Munich,Dortmund,2,1,1.5,4.2\n", feed),
      (error: Error) => error instanceof FeedError && /a PSCH column but no PSCA column/.test(error.message),
    );
  });
});
