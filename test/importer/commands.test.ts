import assert from "node:assert/strict";
import { runQuarantine } from "../../service/src/runtime/importCommands";
import type { Database } from "../../service/src/storage/db";
import { eventually, readBody } from "../support/net";
import { REPO_ROOT, runUnchecked } from "../support/processes";
import { silentLogger, startTestService, testConfig } from "../support/service";
import { runBuiltCommand } from "../support/serviceProcess";
import {
  NOW,
  SourceServer,
  failure,
  importDatabase,
  json,
  played,
  seasonMatches,
  snapshot,
  wireImporter,
} from "./support";

/**
 * The importer as operators and the cluster run it: the CronJob's command in the compiled service, `npm run
 * import` from a checkout (the done-when check), the quarantine command, and the worker's own schedule.
 */
describe("importer: the commands and the schedule", function () {
  this.timeout(180_000);
  const FILE = "/openfootball/2026-27/en.1.json";
  const server = new SourceServer();
  const pushed: Array<{ method: string; path: string; body: string }> = [];
  let db: Database;
  let url: string;

  before(async () => {
    await server.start();
    server.on("/pushgateway/metrics/job/import/namespace/football-prediction-test", async (request, response) => {
      pushed.push({ method: request.method ?? "", path: request.url ?? "", body: (await readBody(request)).toString() });
      response.writeHead(200).end();
    });
    ({ db, url } = await importDatabase());
  });

  after(async () => {
    await server.stop();
    await db?.destroy();
  });

  const environment = () => ({
    DATABASE_URL: url,
    APP_ENV: "test",
    LOG_LEVEL: "info",
    IMPORT_LEAGUES: "E0:openfootball:en.1",
    IMPORT_SEASON: "2026-2027",
    IMPORT_RETRIES: "1",
    OPENFOOTBALL_BASE_URL: `${server.baseUrl}/openfootball`,
  });
  const e0 = () => seasonMatches(db, "E0", "2026-2027");
  const pendingRefits = () =>
    db("refit_requests").where({ league_code: "E0", requested_by: "importer:openfootball" }).whereNull("completed_at");

  it("the CronJob's command, as the image runs it: no JWT_SECRET needed, metrics pushed, exit status per outcome", async () => {
    server.on(FILE, json(snapshot("4e4146c")));
    const env = { ...environment(), PUSHGATEWAY_URL: `${server.baseUrl}/pushgateway`, PUSHGATEWAY_NAMESPACE: "football-prediction-test" };
    const ran = await runBuiltCommand(["import", "--league", "E0", "--trigger", "cron"], env);
    assert.equal(ran.code, 0, ran.output);
    assert.match(ran.output, /"msg":"import succeeded"/);
    assert.equal(played(await e0()).length, 10);
    const [run] = await db("import_runs").where({ league_code: "E0" }).orderBy("id", "desc").limit(1);
    assert.deepEqual([run.status, run.triggered_by, run.inserted], ["succeeded", "cron", 380]);
    assert.equal(pushed.length, 1);
    assert.equal(pushed[0].method, "PUT");
    assert.match(pushed[0].body, /^import_rows_total\{league="E0",source="openfootball",outcome="inserted"\} 380$/m);
    assert.match(pushed[0].body, /^import_last_success_timestamp_seconds\{league="E0"\} \d+/m);
    assert.match(pushed[0].body, /^import_season_active\{league="E0"\} 1$/m);
    assert.doesNotMatch(pushed[0].body, /http_requests_total|process_cpu/, "only the import_* series");

    server.on(FILE, failure(500));
    const failed = await runBuiltCommand(["import", "--trigger", "cron"], env);
    assert.equal(failed.code, 1, "a failed import fails the Job");
    assert.match(failed.output, /HTTP 500/);
    assert.equal(pushed.length, 2, "metrics are pushed after a failure too");

    const misconfigured = await runBuiltCommand(["import", "--league", "SP1"], env);
    assert.equal(misconfigured.code, 2);
    assert.match(misconfigured.output, /IMPORT_LEAGUES does not name SP1 \(configured: E0\)/);
  });

  it("done when: `npm run import -- --league E0` against a newer file adds exactly its new results and triggers a refit", async () => {
    await db("refit_requests").whereNull("completed_at").update({ completed_at: db.fn.now() });
    const before = await e0();
    server.on(FILE, json(snapshot("8aa4cd0")));
    const ran = await runUnchecked("npm", ["run", "import", "--", "--league", "E0"], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...environment() },
      timeoutMs: 120_000,
    });
    assert.equal(ran.code, 0, ran.output);
    const after = await e0();
    const newResults = after.filter((row) => row.status === "played" && before.find((b) => b.id === row.id)?.status !== "played");
    assert.equal(newResults.length, 10, "8aa4cd0 has ten results more than 4e4146c");
    assert.deepEqual(
      after.map((row) => row.id).sort(),
      before.map((row) => row.id).sort(),
      "no match added or removed",
    );
    assert.equal((await pendingRefits()).length, 1, "one refit request, for the worker");
  });

  it("`quarantine list` and `discard`: a discarded record stays out while its source sends it unchanged", async () => {
    const file = snapshot("8aa4cd0");
    const typo = file.matches.find((m) => m.team1 === "Everton FC" && m.team2 === "Fulham FC");
    assert.ok(typo);
    typo.team2 = "Fullham FC";
    server.on(FILE, json(file));
    const config = testConfig(environment());
    const wired = wireImporter(db, environment());
    assert.equal((await wired.importer.run({ triggeredBy: "test" }))[0].quarantined, 1);

    const printed: string[] = [];
    const quarantine = (...args: string[]) => runQuarantine(config, silentLogger, args, (line) => printed.push(line), () => NOW);
    assert.equal(await quarantine("list", "--league", "E0"), 0);
    const id = /^#(\d+) E0 2026-2027 openfootball open unknown_team: "Fullham FC" is neither a team nor an alias of one/.exec(printed[0])?.[1];
    assert.ok(id, printed.join("\n"));

    await assert.rejects(quarantine("discard", id), /--by <operator> is required/);
    assert.equal(await quarantine("discard", id, "--reason", "a typo upstream; reported", "--by", "bob"), 0);
    const [audit] = await db("audit_log").where({ actor: "bob", action: "quarantine.discard" });
    assert.equal(audit.entity_id, id);
    assert.equal((await wired.importer.run({ triggeredBy: "test" }))[0].quarantined, 0, "the same record again: still discarded");
    assert.equal(await quarantine("accept", id, "--new-team", "--by", "bob"), 1, "a discarded record is settled");
    assert.match(printed.at(-1) ?? "", /refused: quarantined record \d+ is already discarded/);
  });

  it("the worker imports on IMPORT_INTERVAL_MINUTES and exposes the import_* gauges", async () => {
    server.on(FILE, json(snapshot("40b3e1b")));
    const api = await startTestService(testConfig({ ...environment(), IMPORT_INTERVAL_MINUTES: "60", LOG_LEVEL: "silent" }), {
      withWorker: true,
    });
    try {
      await eventually(async () => ((await db("import_runs").where({ triggered_by: "worker" })).length > 0 ? true : undefined), 30_000);
      const [{ at }] = await db("import_runs").where({ league_code: "E0", status: "succeeded" }).max("finished_at as at");
      const gauge = (text: string) => Number(/^import_last_success_timestamp_seconds\{league="E0"\} (\S+)$/m.exec(text)?.[1]);
      // The run's counters move when it ends; the gauges are re-read from the database right after, so a scrape
      // in between shows the counter and the previous state: wait for both.
      let last = "";
      await eventually(async () => {
        last = await (await api.ops("/metrics")).text();
        const counted = /^import_runs_total\{league="E0",source="openfootball",status="succeeded"\} 1$/m.test(last);
        return counted && gauge(last) === at.getTime() / 1000 ? true : undefined;
      }, 10_000).catch(() =>
        assert.fail(`the gauge never read the newest successful run (${at.getTime() / 1000}) from the database: ${gauge(last)}`),
      );
      assert.equal(played(await e0()).length, 40);
    } finally {
      await api.stop();
    }
  });
});
