import assert from "node:assert/strict";
import type { MatchPrediction } from "../../service/src/domain/types";
import type { Database } from "../../service/src/storage/db";
import { insertRefitRequest } from "../../service/src/storage/repositories/refitRequests";
import { commandDatabase, seededDatabaseUrl, testWorker } from "../support/databases";
import { metricValue } from "../support/metrics";
import { eventually } from "../support/net";
import { type ErrorBody, type TestService, startTestService, testConfig, writeToken } from "../support/service";

interface MatchJson {
  id: number;
  league: string;
  date: string;
  kickoff: string | null;
  status: string;
  score: { home: number; away: number } | null;
}

interface FixtureJson {
  match: MatchJson;
  prediction: MatchPrediction | null;
  model: { version: number; name: string; fittedAt: string; dataFrom: string; dataTo: string } | null;
  forecast: boolean;
}

interface FixturesJson {
  data: FixtureJson[];
  range: { from: string; to: string };
}

/** The fields of GET /api/v1/predictions' `prediction`, in its order. */
const PREDICTION_FIELDS = [
  "homeWin",
  "draw",
  "awayWin",
  "expectedGoals",
  "likelyScores",
  "over25",
  "under25",
  "bothTeamsToScore",
];

/** The service's "now" during the tests: a Friday noon in a season no shipped data reaches. */
const NOW = new Date("2030-03-01T12:00:00Z");
/** When the first forecasts were stored: before the played and the kicked-off matches began. */
const EARLIER = new Date("2030-02-20T12:00:00Z");

describe("GET /api/v1/fixtures and the prediction precompute (PostgreSQL)", () => {
  let db: Database;
  let api: TestService;
  let now = EARLIER;
  const ids: Record<string, number> = {};
  let oldE0Version = 0;
  let e0Version = 0;
  let precomputedE0 = 0;

  const json = async <T>(path: string, status = 200): Promise<T> => {
    const response = await api.get(path);
    assert.equal(response.status, status, `${path}: ${await response.clone().text()}`);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    return (await response.json()) as T;
  };

  /** Creates the fixture through the API, then gives it the kick-off and match day an import would. */
  async function addFixture(
    name: string,
    fixture: { league: string; date: string; homeTeam: string; awayTeam: string },
    schedule: { kickoff?: string; matchday?: number } = {},
  ): Promise<void> {
    const body = { season: "2029-2030", ...fixture };
    const response = await api.send("POST", "/api/v1/matches", body, await writeToken());
    assert.equal(response.status, 201, await response.clone().text());
    ids[name] = ((await response.json()) as MatchJson).id;
    await db("matches")
      .where({ id: ids[name] })
      .update({ kickoff_at: schedule.kickoff ?? null, matchday: schedule.matchday ?? null });
  }

  const storedFor = async (version: number): Promise<Map<number, MatchPrediction>> => {
    const rows: Array<{ match_id: number; details: MatchPrediction }> = await db("predictions")
      .where({ model_version_id: version })
      .select("match_id", "details");
    return new Map(rows.map((row) => [row.match_id, row.details]));
  };
  const currentVersion = async (league: string) =>
    ((await db("model_versions").where({ league_code: league }).max("id as id").first()) as { id: number }).id;
  const predictionCount = async () => Number((await db("predictions").count("* as n").first())?.n);

  before(async function () {
    this.timeout(120_000);
    const url = await seededDatabaseUrl();
    db = commandDatabase(url);
    await db("leagues").insert({ code: "X1", name: "Test League Without Model", country: "Nowhere" });
    api = await startTestService(testConfig({ DATABASE_URL: url }), { clock: () => now });

    const E0 = { league: "E0" };
    await addFixture("played", { ...E0, date: "2030-02-23", homeTeam: "Everton", awayTeam: "Liverpool" }, {
      kickoff: "2030-02-23T15:00:00Z",
      matchday: 27,
    });
    await addFixture("underway", { ...E0, date: "2030-03-01", homeTeam: "Wolves", awayTeam: "Fulham" }, {
      kickoff: "2030-03-01T11:00:00Z",
      matchday: 28,
    });
    await addFixture("first", { ...E0, date: "2030-03-02", homeTeam: "Arsenal", awayTeam: "Chelsea" }, {
      kickoff: "2030-03-02T12:30:00Z",
      matchday: 28,
    });
    await addFixture("second", { ...E0, date: "2030-03-02", homeTeam: "Liverpool", awayTeam: "Everton" }, {
      kickoff: "2030-03-02T15:00:00Z",
      matchday: 28,
    });
    await addFixture("third", { ...E0, date: "2030-03-03", homeTeam: "Brentford", awayTeam: "Aston Villa" }, {
      kickoff: "2030-03-03T16:30:00Z",
      matchday: 28,
    });
    await addFixture("nextRound", { ...E0, date: "2030-03-09", homeTeam: "Chelsea", awayTeam: "Arsenal" }, {
      kickoff: "2030-03-09T15:00:00Z",
      matchday: 29,
    });
    // D1 as a source without times or match days: a round is its first date and the three days after it.
    const D1 = { league: "D1" };
    await addFixture("d1Saturday", { ...D1, date: "2030-03-02", homeTeam: "Bayern Munich", awayTeam: "Dortmund" });
    await addFixture("d1Monday", { ...D1, date: "2030-03-04", homeTeam: "Mainz", awayTeam: "Wolfsburg" });
    await addFixture("d1Later", { ...D1, date: "2030-03-08", homeTeam: "Dortmund", awayTeam: "Bayern Munich" });
    await addFixture("unmodelled", { league: "X1", date: "2030-03-05", homeTeam: "Alpha Town", awayTeam: "Beta City" });

    // The worker as it ran on 20 February: every fixture then still to come got the model's forecast.
    oldE0Version = await currentVersion("E0");
    await testWorker(db, { clock: () => now }).runOnce();
    await db("matches").where({ id: ids.played }).update({ status: "played", home_goals: 2, away_goals: 1 });

    // A refit on 1 March stores the new model's forecasts, for the matches still to kick off only.
    now = NOW;
    await insertRefitRequest(db, { league: "E0", reason: "manual", requestedBy: "fixtures test" });
    const worker = testWorker(db, { clock: () => now });
    await worker.start();
    await eventually(async () => ((await currentVersion("E0")) > oldE0Version ? true : undefined), 90_000, 100);
    await worker.stop();
    precomputedE0 = await metricValueOf(worker.metrics, 'prediction_precompute_total{league="E0"}');
    e0Version = await currentVersion("E0");
    await api.service.registry.refresh(db);
  });

  after(async () => {
    await api?.stop();
    await db?.destroy();
  });

  describe("the precompute", () => {
    it("a refit stores the new model's prediction for every scheduled match still to kick off, and only those", async () => {
      assert.ok(e0Version > oldE0Version, "the refit made a new version");
      const stored = await storedFor(e0Version);
      assert.deepEqual([...stored.keys()].sort(), [ids.first, ids.second, ids.third, ids.nextRound].sort());
      assert.equal(precomputedE0, 4);
      for (const prediction of stored.values()) assertSumsToOne(prediction);
    });

    it("stored a forecast for every fixture that was still to come when it first ran", async () => {
      const stored = await storedFor(oldE0Version);
      for (const name of ["played", "underway", "first", "second", "third", "nextRound"]) {
        assert.ok(stored.has(ids[name]), `${name} has the first model's forecast`);
      }
      const d1 = await storedFor(await currentVersion("D1"));
      assert.deepEqual([...d1.keys()].sort(), [ids.d1Saturday, ids.d1Monday, ids.d1Later].sort());
    });

    it("stores the forecast of a fixture added later when told fixtures changed, without a refit", async () => {
      const worker = testWorker(db, { clock: () => now });
      await worker.start();
      await worker.scheduler.idle();
      // Queued behind the start passes: once it is done, they are too, and the fixture below is news to them.
      await worker.precompute.refresh("E0", "start");
      await addFixture("addedLater", { league: "E0", date: "2030-03-16", homeTeam: "Everton", awayTeam: "Chelsea" }, {
        kickoff: "2030-03-16T15:00:00Z",
        matchday: 30,
      });
      await worker.signals.publish("fixtures-changed", "E0");
      await worker.stop();
      assert.equal(await currentVersion("E0"), e0Version, "no refit");
      assert.ok((await storedFor(e0Version)).has(ids.addedLater));
    });
  });

  describe("GET /api/v1/fixtures", () => {
    it("answers by default the next match day of each league, in kick-off order, with the stored forecasts", async () => {
      const body = await json<FixturesJson>("/api/v1/fixtures");
      const expected = ["d1Saturday", "first", "second", "third", "d1Monday", "unmodelled"].map((name) => ids[name]);
      assert.deepEqual(
        body.data.map((item) => item.match.id),
        expected,
      );
      assert.deepEqual(body.range, { from: "2030-03-02", to: "2030-03-05" });
      const e0 = await storedFor(e0Version);
      const d1 = await storedFor(await currentVersion("D1"));
      for (const item of body.data) {
        assert.equal(item.forecast, true);
        if (item.match.league === "X1") {
          assert.equal(item.prediction, null, "a league without a model has no prediction");
          assert.equal(item.model, null);
          continue;
        }
        const stored = item.match.league === "E0" ? e0 : d1;
        assert.deepEqual(item.prediction, stored.get(item.match.id));
        assert.deepEqual(Object.keys(item.prediction ?? {}), PREDICTION_FIELDS, "in the model's order, as computed");
        assert.equal(item.model?.version, await currentVersion(item.match.league));
        assertSumsToOne(item.prediction as MatchPrediction);
      }
    });

    it("gives each match exactly as GET /api/v1/matches/:id does", async () => {
      const body = await json<FixturesJson>("/api/v1/fixtures?league=E0");
      assert.deepEqual(body.data[0].match, await json<MatchJson>(`/api/v1/matches/${ids.first}`));
    });

    it("shows the forecast as stored, not one made anew (which would read the same unless the store differs)", async () => {
      const stored = db("predictions").where({ model_version_id: e0Version, match_id: ids.third });
      const { details } = (await stored.clone().select("details").first()) as { details: MatchPrediction };
      await stored.clone().update({ details: JSON.stringify({ ...details, homeWin: 0.125 }) });
      try {
        const body = await json<FixturesJson>("/api/v1/fixtures?league=E0&from=2030-03-03&to=2030-03-03");
        assert.deepEqual(
          body.data.map((item) => [item.match.id, item.prediction?.homeWin]),
          [[ids.third, 0.125]],
        );
      } finally {
        await stored.clone().update({ details: JSON.stringify(details) });
      }
    });

    it("one league's next match day leaves out the next round and the match under way", async () => {
      const body = await json<FixturesJson>("/api/v1/fixtures?league=E0");
      assert.deepEqual(
        body.data.map((item) => item.match.id),
        [ids.first, ids.second, ids.third],
      );
      assert.deepEqual(body.range, { from: "2030-03-02", to: "2030-03-03" });
    });

    it("an explicit range adds matches under way and played, with their pre-match prediction and forecast false", async () => {
      const body = await json<FixturesJson>("/api/v1/fixtures?league=E0&from=2030-02-23&to=2030-03-09");
      assert.deepEqual(
        body.data.map((item) => item.match.id),
        ["played", "underway", "first", "second", "third", "nextRound"].map((name) => ids[name]),
      );
      assert.deepEqual(body.range, { from: "2030-02-23", to: "2030-03-09" });
      const before = await storedFor(oldE0Version);
      const [played, underway, ...upcoming] = body.data;
      assert.deepEqual(played.match.score, { home: 2, away: 1 });
      for (const item of [played, underway]) {
        assert.equal(item.forecast, false);
        assert.equal(item.model?.version, oldE0Version, "the model that made the forecast, not the current one");
        assert.deepEqual(item.prediction, before.get(item.match.id));
      }
      for (const item of upcoming) {
        assert.equal(item.forecast, true);
        assert.equal(item.model?.version, e0Version);
      }
    });

    it("a match without a stored pre-match prediction shows null, and is not predicted anew", async () => {
      const body = await json<FixturesJson>("/api/v1/fixtures?league=E0&from=2025-08-01&to=2025-09-30");
      assert.ok(body.data.length > 0, "the seeded results of August and September 2025");
      for (const item of body.data) {
        assert.equal(item.match.status, "played");
        assert.deepEqual([item.forecast, item.prediction, item.model], [false, null, null]);
      }
    });

    it("a match that kicks off leaves the default list", async () => {
      try {
        now = new Date("2030-03-02T12:31:00Z");
        const body = await json<FixturesJson>("/api/v1/fixtures?league=E0");
        assert.deepEqual(
          body.data.map((item) => item.match.id),
          [ids.second, ids.third],
        );
      } finally {
        now = NOW;
      }
    });

    it("503 model_not_ready with Retry-After for a league without a model named alone, 404 for an unknown league", async () => {
      const response = await api.get("/api/v1/fixtures?league=X1");
      assert.equal(response.status, 503);
      assert.ok(Number(response.headers.get("retry-after")) > 0);
      assert.equal(((await response.json()) as ErrorBody).error.code, "model_not_ready");
      const unknown = await json<ErrorBody>("/api/v1/fixtures?league=ZZ9", 404);
      assert.match(unknown.error.message, /ZZ9/);
    });

    it("400 naming the parameter for bad dates, a reversed or too long range, half a range and unknown parameters", async () => {
      const cases: Array<[string, string]> = [
        ["from=2030-02-30&to=2030-03-02", "from"],
        ["from=2030-03-02&to=soon", "to"],
        ["from=2030-03-09&to=2030-03-02", "from"],
        ["from=2030-03-01&to=2030-05-02", "to"],
        ["from=2030-03-01", "to"],
        ["to=2030-03-01", "from"],
        ["league=e0", "league"],
        ["page=2", "page"],
      ];
      for (const [search, field] of cases) {
        const body = await json<ErrorBody & { error: { details: Array<{ field: string }> } }>(
          `/api/v1/fixtures?${search}`,
          400,
        );
        assert.equal(body.error.code, "invalid_query", search);
        assert.deepEqual([...new Set(body.error.details.map((detail) => detail.field))], [field], search);
      }
      await json<FixturesJson>("/api/v1/fixtures?from=2030-03-01&to=2030-05-01");
    });
  });

  describe("reads never write", () => {
    it("GET /api/v1/predictions/:id answers an upcoming fixture with the current model's stored forecast", async () => {
      const body = await json<{ prediction: MatchPrediction; model: { version: number }; inSample: boolean }>(
        `/api/v1/predictions/${ids.second}`,
      );
      assert.equal(body.model.version, e0Version);
      assert.deepEqual(body.prediction, (await storedFor(e0Version)).get(ids.second));
      assert.equal(body.inSample, false);
    });

    it("no read request changes the number of stored predictions", async () => {
      // A fixture the worker has not reached: its forecast is computed in process, not stored.
      await addFixture("unseen", { league: "E0", date: "2030-03-10", homeTeam: "Fulham", awayTeam: "Everton" }, {
        kickoff: "2030-03-10T14:00:00Z",
        matchday: 29,
      });
      const count = await predictionCount();
      const reads = [
        "/api/v1/fixtures",
        "/api/v1/fixtures?league=E0",
        "/api/v1/fixtures?league=E0&from=2030-02-23&to=2030-03-10",
        "/api/v1/fixtures?from=2030-03-01&to=2030-03-31",
        ...["played", "underway", "first", "unseen", "d1Later", "unmodelled"].map((name) => `/api/v1/predictions/${ids[name]}`),
        "/api/v1/predictions?league=E0&home=Arsenal&away=Everton",
        "/api/v1/predictions?league=D1&home=Mainz&away=Dortmund",
      ];
      const statuses = [];
      for (const path of reads) statuses.push((await api.get(path)).status);
      assert.deepEqual(
        statuses,
        reads.map((path) => (path.endsWith(`/${ids.unmodelled}`) ? 503 : 200)),
      );
      const unseen = await json<{ prediction: MatchPrediction; model: { version: number } }>(
        `/api/v1/predictions/${ids.unseen}`,
      );
      assert.equal(unseen.model.version, e0Version);
      assertSumsToOne(unseen.prediction);
      assert.equal(await predictionCount(), count);
    });
  });
});

function assertSumsToOne(prediction: MatchPrediction): void {
  const sum = prediction.homeWin + prediction.draw + prediction.awayWin;
  assert.ok(Math.abs(sum - 1) < 1e-9, `probabilities sum to ${sum}`);
}

async function metricValueOf(metrics: { registry: { metrics(): Promise<string> } }, series: string): Promise<number> {
  return metricValue(await metrics.registry.metrics(), series);
}
