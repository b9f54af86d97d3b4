import assert from "node:assert/strict";
import type { ImportOutcome } from "../../service/src/importer/importer";
import { runQuarantine } from "../../service/src/runtime/importCommands";
import type { Database } from "../../service/src/storage/db";
import { silentLogger } from "../support/service";
import {
  NOW,
  type OpenfootballFile,
  SNAPSHOTS,
  SourceServer,
  type WiredImporter,
  body,
  failure,
  hang,
  importDatabase,
  json,
  metricValue,
  played,
  seasonMatches,
  snapshot,
  wireImporter,
} from "./support";

/**
 * The importer against a real HTTP server serving openfootball's 2026-27 EPL file as it grew (the four stored
 * versions), then edited the ways a real source changes: a corrected score, a postponement, a withdrawn result,
 * an unknown team name, broken bodies and an outage. After each step the database is checked row by row.
 */
describe("importer: openfootball over HTTP, version after version", function () {
  this.timeout(120_000);
  const FILE = "/openfootball/2026-27/en.1.json";
  const server = new SourceServer();
  let db: Database;
  let wired: WiredImporter;

  before(async () => {
    await server.start();
    const database = await importDatabase();
    db = database.db;
    wired = wireImporter(db, {
      DATABASE_URL: database.url,
      IMPORT_LEAGUES: "E0:openfootball:en.1",
      IMPORT_SEASON: "2026-2027",
      OPENFOOTBALL_BASE_URL: `${server.baseUrl}/openfootball`,
    });
  });

  after(async () => {
    await server.stop();
    await db?.destroy();
  });

  const importE0 = async (): Promise<ImportOutcome> => {
    const [outcome] = await wired.importer.run({ triggeredBy: "test" });
    return outcome;
  };
  const serve = (file: OpenfootballFile) => server.on(FILE, json(file));
  const e0 = () => seasonMatches(db, "E0", "2026-2027");
  const pendingRefits = async () =>
    (await db("refit_requests").where({ league_code: "E0", requested_by: "importer:openfootball" }).whereNull("completed_at")).length;
  const auditOf = (action: string) => db("audit_log").where({ actor: "importer:openfootball", action }).orderBy("id");
  const counts = (outcome: ImportOutcome) => ({
    status: outcome.status,
    inserted: outcome.inserted,
    updated: outcome.updated,
    unchanged: outcome.unchanged,
    quarantined: outcome.quarantined,
  });
  const ok = (inserted: number, updated: number, unchanged: number, quarantined = 0) => ({
    status: "succeeded",
    inserted,
    updated,
    unchanged,
    quarantined,
  });
  /** Refits are the worker's; here each request is marked served so the next step counts only its own. */
  const serveRefits = () => db("refit_requests").whereNull("completed_at").update({ completed_at: db.fn.now() });

  it("fixtures only: 380 scheduled matches with UTC kick-offs and match days, and no refit", async () => {
    const file = snapshot("51c7c2c");
    serve({ ...file, matches: file.matches.map(({ score: _score, ...match }) => match) });
    assert.deepEqual(counts(await importE0()), ok(380, 0, 0));
    const rows = await e0();
    assert.equal(rows.length, 380);
    assert.deepEqual(new Set(rows.map((row) => row.status)), new Set(["scheduled"]));
    const opener = rows.find((row) => row.home === "Arsenal" && row.away === "Coventry");
    assert.ok(opener, "openfootball names resolve through the alias table (Arsenal FC, and the new Coventry City FC)");
    // 20:00 in London in August is 19:00 UTC.
    assert.deepEqual({ date: opener.date, kickoff: opener.kickoff?.toISOString(), matchday: opener.matchday }, {
      date: "2026-08-21",
      kickoff: "2026-08-21T19:00:00.000Z",
      matchday: 1,
    });
    assert.equal(opener.source, "openfootball");
    assert.equal(await pendingRefits(), 0);
    assert.deepEqual(wired.signalled, []);
    assert.equal(await metricValue(wired.metrics, "import_rows_total", { league: "E0", outcome: "inserted" }), 380);
    assert.equal(await metricValue(wired.metrics, "import_rows_fetched_total", { league: "E0", source: "openfootball" }), 380);
    const [run] = await db("import_runs").where({ league_code: "E0" }).orderBy("id", "desc").limit(1);
    assert.deepEqual([run.status, run.triggered_by, run.inserted], ["succeeded", "test", 380]);
  });

  it("each stored version adds exactly its new results, audited, with one refit per changed version", async () => {
    const expected: Record<string, { played: number; updated: number; moved: number }> = {
      "51c7c2c": { played: 6, updated: 6, moved: 0 },
      "4e4146c": { played: 10, updated: 4, moved: 0 },
      // One fixture re-dated (Man City v Sunderland), ten new results.
      "8aa4cd0": { played: 20, updated: 11, moved: 1 },
      // 36 full-time scores and four bare [0, 0] lists, and 34 fixtures re-dated or re-timed.
      "40b3e1b": { played: 40, updated: 54, moved: 34 },
    };
    const ids = new Map((await e0()).map((row) => [`${row.home}:${row.away}`, row.id]));
    let moves = 0;
    for (const version of SNAPSHOTS) {
      serve(snapshot(version));
      const want = expected[version];
      assert.deepEqual(counts(await importE0()), ok(0, want.updated, 380 - want.updated), version);
      const rows = await e0();
      assert.equal(rows.length, 380, `${version}: a re-dated match moves, it is not added again`);
      assert.equal(played(rows).length, want.played, version);
      assert.deepEqual(new Map(rows.map((row) => [`${row.home}:${row.away}`, row.id])), ids, `${version}: every match keeps its id`);
      moves += want.moved;
      assert.equal((await auditOf("match.result")).length, want.played, version);
      assert.equal((await auditOf("match.reschedule")).length, moves, version);
      assert.equal(await pendingRefits(), 1, `${version}: one refit request for the version's results`);
      await serveRefits();
    }
    assert.deepEqual(wired.signalled, ["E0", "E0", "E0", "E0"]);

    const rows = await e0();
    const moved = rows.find((row) => row.home === "Man City" && row.away === "Sunderland");
    assert.deepEqual([moved?.date, moved?.kickoff?.toISOString()], ["2026-09-20", "2026-09-20T13:00:00.000Z"]);
    const bare = rows.find((row) => row.home === "Nott'm Forest" && row.away === "Tottenham");
    assert.deepEqual([bare?.status, bare?.home_goals, bare?.away_goals], ["played", 0, 0], "a bare [0, 0] is a 0-0 result");
    const [correction] = await auditOf("match.result");
    assert.equal(correction.before.status, "scheduled");
    assert.equal(correction.after.status, "played");
    assert.equal(await metricValue(wired.metrics, "import_rows_total", { league: "E0", outcome: "updated" }), 6 + 4 + 11 + 54);
  });

  it("the same version again writes nothing: no update, audit row, refit or cache drop", async () => {
    const auditRows = (await db("audit_log").count("* as n"))[0].n;
    const invalidations = wired.invalidations;
    assert.deepEqual(counts(await importE0()), ok(0, 0, 380));
    assert.equal((await db("audit_log").count("* as n"))[0].n, auditRows);
    assert.equal(await pendingRefits(), 0);
    assert.equal(wired.invalidations, invalidations);
  });

  /**
   * The newest version as the source now publishes it: each test below edits it further, as a real file changes
   * from one fetch to the next.
   */
  const published = snapshot("40b3e1b");
  function edit(home: string, away: string, change: (match: OpenfootballFile["matches"][number]) => void): void {
    const match = published.matches.find((m) => m.team1 === home && m.team2 === away);
    assert.ok(match, `${home} v ${away} is in the file`);
    change(match);
    serve(published);
  }

  it("a corrected score is recorded and audited like an operator's write, and refits", async () => {
    edit("Arsenal FC", "Coventry City FC", (match) => (match.score = { ht: [2, 0], ft: [3, 1] }));
    assert.deepEqual(counts(await importE0()), ok(0, 1, 379));
    const row = (await e0()).find((r) => r.home === "Arsenal" && r.away === "Coventry");
    assert.deepEqual([row?.home_goals, row?.away_goals], [3, 1]);
    const correction = (await auditOf("match.result")).at(-1);
    assert.equal(correction.entity_id, String(row?.id));
    assert.deepEqual([correction.before.score, correction.after.score], [{ home: 3, away: 0 }, { home: 3, away: 1 }]);
    assert.match(correction.request_id, /^import-/);
    assert.equal(await pendingRefits(), 1);
    assert.deepEqual(wired.signalled.at(-1), "E0");
    await serveRefits();
  });

  it("a postponed match changes status; re-dated later it is scheduled again on its new date, same match", async () => {
    const before = (await e0()).find((r) => r.home === "Chelsea" && r.away === "Liverpool");
    assert.equal(before?.status, "scheduled");
    edit("Chelsea FC", "Liverpool FC", (match) => {
      delete match.time;
      match.status = "postponed";
    });
    assert.deepEqual(counts(await importE0()), ok(0, 1, 379));
    const postponed = (await e0()).find((r) => r.id === before?.id);
    assert.deepEqual([postponed?.status, postponed?.kickoff], ["postponed", null]);
    const [statusChange] = await auditOf("match.status");
    assert.deepEqual([statusChange.before.status, statusChange.after.status], ["scheduled", "postponed"]);

    // Re-dated onto a day both clubs already play: the gate holds all three matches back, nothing moves.
    edit("Chelsea FC", "Liverpool FC", (match) => {
      delete match.status;
      match.date = "2027-02-10";
      match.time = "19:45";
    });
    assert.deepEqual(counts(await importE0()), ok(0, 0, 377, 3));
    const twice = await db("import_quarantine").where({ league_code: "E0", status: "open" }).orderBy("id");
    assert.deepEqual(new Set(twice.map((row) => row.reason_code)), new Set(["team_twice_a_day"]));
    assert.match(twice[0].reason, /(Chelsea|Liverpool) plays 2 matches on 2027-02-10/);
    assert.equal((await e0()).find((r) => r.id === before?.id)?.status, "postponed");

    edit("Chelsea FC", "Liverpool FC", (match) => (match.date = "2027-02-17"));
    assert.deepEqual(counts(await importE0()), ok(0, 1, 379));
    const rescheduled = (await e0()).find((r) => r.id === before?.id);
    assert.deepEqual([rescheduled?.status, rescheduled?.date, rescheduled?.kickoff?.toISOString()], [
      "scheduled",
      "2027-02-17",
      "2027-02-17T19:45:00.000Z",
    ]);
    assert.equal((await db("import_quarantine").where({ league_code: "E0", status: "open" })).length, 0);
    assert.equal(await pendingRefits(), 0, "no result changed");
  });

  it("a result the source stops reporting is kept and quarantined, never deleted", async () => {
    const score = published.matches.find((m) => m.team1 === "Arsenal FC" && m.team2 === "Chelsea FC")?.score;
    edit("Arsenal FC", "Chelsea FC", (match) => delete match.score);
    assert.deepEqual(counts(await importE0()), ok(0, 0, 380, 1));
    const kept = (await e0()).find((r) => r.home === "Arsenal" && r.away === "Chelsea");
    assert.deepEqual([kept?.status, kept?.home_goals, kept?.away_goals], ["played", 2, 1]);
    const [held] = await db("import_quarantine").where({ league_code: "E0", status: "open" });
    assert.equal(held.reason_code, "result_withdrawn");
    assert.match(held.reason, /Arsenal v Chelsea as scheduled; the recorded 2-1 is kept/);
    assert.equal(await metricValue(wired.metrics, "import_quarantined_records", { league: "E0" }), 1);

    edit("Arsenal FC", "Chelsea FC", (match) => (match.score = score));
    assert.deepEqual(counts(await importE0()), ok(0, 0, 380));
    const [settled] = await db("import_quarantine").where({ id: held.id });
    assert.deepEqual([settled.status, settled.resolved_by], ["resolved", "importer"]);
    assert.equal(await metricValue(wired.metrics, "import_quarantined_records", { league: "E0" }), 0);
  });

  it("an unknown team name is quarantined while the rest commits; accepted as an alias, its matches import", async () => {
    const file = structuredClone(published);
    for (const match of file.matches) {
      if (match.team1 === "Coventry City FC") match.team1 = "Coventry City Football Club";
      if (match.team2 === "Coventry City FC") match.team2 = "Coventry City Football Club";
    }
    serve(file);
    const outcome = await importE0();
    assert.deepEqual(counts(outcome), ok(0, 0, 342, 38), "a team's 38 matches wait; nothing of them is guessed");
    const held = await db("import_quarantine").where({ league_code: "E0", status: "open" }).orderBy("id");
    assert.equal(held.length, 38);
    assert.deepEqual(new Set(held.map((row) => row.reason_code)), new Set(["unknown_team"]));
    assert.deepEqual(held[0].unknown_names, ["Coventry City Football Club"]);
    assert.equal(held[0].raw.team1 === "Coventry City Football Club" || held[0].raw.team2 === "Coventry City Football Club", true);
    assert.equal((await db("teams").where({ name: "Coventry City Football Club" })).length, 0, "no team invented");

    const again = await importE0();
    assert.equal(again.quarantined, 38, "fetched again, the same 38 records, not 76");
    assert.equal((await db("import_quarantine").where({ league_code: "E0", status: "open" })).length, 38);
    assert.equal((await db("import_quarantine").where({ id: held[0].id }).first()).seen_count, 2);

    const printed: string[] = [];
    const status = await runQuarantine(wired.config, silentLogger, ["accept", String(held[0].id), "--alias-of", "Coventry", "--by", "alice"], (line) => printed.push(line), () => NOW);
    assert.equal(status, 0, printed.join("\n"));
    assert.match(printed.join("\n"), /"Coventry City Football Club" now means Coventry/);
    assert.equal((await db("import_quarantine").where({ league_code: "E0", status: "accepted" })).length, 38);
    const [decision] = await db("audit_log").where({ actor: "alice", action: "team.alias" });
    assert.equal(decision.after.alias, "Coventry City Football Club");

    assert.deepEqual(counts(await importE0()), ok(0, 0, 380), "the accepted records resolve to the Coventry matches stored");
    assert.equal(await metricValue(wired.metrics, "import_quarantined_records", { league: "E0" }), 0);
  });

  it("more failing records than IMPORT_MAX_FAILURE_RATIO allows: nothing at all is written", async () => {
    const file = structuredClone(published);
    const renamed = new Set(["Arsenal FC", "Chelsea FC", "Everton FC"]);
    for (const match of file.matches) {
      if (renamed.has(match.team1)) match.team1 = `${match.team1} (renamed)`;
      if (renamed.has(match.team2)) match.team2 = `${match.team2} (renamed)`;
      if (match.team1 === "Liverpool FC" && match.team2 === "Fulham FC") match.score = [4, 4];
    }
    serve(file);
    const before = await e0();
    const outcome = await importE0();
    assert.equal(outcome.status, "rejected");
    assert.match(outcome.error ?? "", /more than IMPORT_MAX_FAILURE_RATIO \(0.2\) allows; nothing written/);
    assert.deepEqual(await e0(), before, "not even the changed score of a record that passed");
    assert.equal((await db("import_quarantine").where({ league_code: "E0", status: "open" })).length, 0);
    const [run] = await db("import_runs").where({ league_code: "E0" }).orderBy("id", "desc").limit(1);
    assert.equal(run.status, "rejected");
    assert.equal(run.details.problems.length, 20, "a sample of the problems, for the operator");
    assert.equal(await metricValue(wired.metrics, "import_runs_total", { league: "E0", status: "rejected" }), 1);
  });

  it("malformed bodies fail the run and write nothing", async () => {
    const before = await e0();
    const cases: Array<[string, RegExp]> = [
      ["<html>Service Unavailable</html>", /not JSON/],
      ['{"name": "English Premier League 2026/27", "matches": [{"round": "Match', /not JSON/],
      ['{"name": "English Premier League 2026/27", "fixtures": []}', /no "matches" list/],
    ];
    for (const [text, problem] of cases) {
      server.on(FILE, body(text));
      const outcome = await importE0();
      assert.equal(outcome.status, "failed", text);
      assert.match(outcome.error ?? "", problem);
    }
    assert.deepEqual(await e0(), before);
    assert.equal((await db("import_runs").where({ league_code: "E0", status: "failed" })).length, 3);
  });

  it("an outage: 500s and a hung request are retried with backoff, a 429 waits for its Retry-After", async () => {
    const text = JSON.stringify(published);
    const errorsBefore = await metricValue(wired.metrics, "import_request_errors_total", { source: "openfootball", reason: "http_5xx" });
    server.on(FILE, failure(500), failure(503), body(text));
    assert.equal((await importE0()).status, "succeeded");
    assert.equal(await metricValue(wired.metrics, "import_request_errors_total", { source: "openfootball", reason: "http_5xx" }), errorsBefore + 2);

    server.on(FILE, hang(), body(text));
    const started = Date.now();
    assert.equal((await importE0()).status, "succeeded");
    assert.ok(Date.now() - started >= 2_000, "the hung request was given IMPORT_TIMEOUT_SECONDS (2) before the retry");
    assert.equal(await metricValue(wired.metrics, "import_request_errors_total", { source: "openfootball", reason: "timeout" }), 1);

    const requests = server.requestsTo(FILE).length;
    server.on(FILE, failure(429, { "Retry-After": "1" }), body(text));
    const throttled = Date.now();
    assert.equal((await importE0()).status, "succeeded");
    const [limited, retried] = server.requestsTo(FILE).slice(requests);
    assert.ok(retried.at - limited.at >= 1_000, `the retry came ${retried.at - limited.at} ms after the 429, not 1 s`);
    assert.ok(Date.now() - throttled < 10_000);
  });

  it("a source that stays down fails the run after its retries; the last success stays what it was", async () => {
    await wired.importer.refreshState();
    const lastSuccess = await metricValue(wired.metrics, "import_last_success_timestamp_seconds", { league: "E0" });
    assert.ok(lastSuccess > 0);
    server.on(FILE, failure(502));
    const requests = server.requestsTo(FILE).length;
    const outcome = await importE0();
    assert.equal(outcome.status, "failed");
    assert.match(outcome.error ?? "", /HTTP 502.*\(after 3 attempts\)/);
    assert.equal(server.requestsTo(FILE).length - requests, 3, "IMPORT_RETRIES=2: three attempts in all");
    assert.equal(await metricValue(wired.metrics, "import_last_success_timestamp_seconds", { league: "E0" }), lastSuccess);
    assert.ok((await metricValue(wired.metrics, "import_last_run_timestamp_seconds", { league: "E0" })) >= lastSuccess);
    assert.equal(await metricValue(wired.metrics, "import_season_active", { league: "E0" }), 1);
    assert.equal((await metricValue(wired.metrics, "import_overdue_fixtures", { league: "E0" })) > 0, true);
  });
});
