import assert from "node:assert/strict";
import { seededDatabaseUrl } from "../support/databases";
import { REDIS_URL, uniqueRedisPrefix } from "../support/redisKeys";
import { type ErrorBody, type TestService, startTestService, testConfig } from "../support/service";

interface MatchJson {
  id: number;
  league: string;
  season: string;
  date: string;
  homeTeam: { id: number; name: string };
  awayTeam: { id: number; name: string };
  status: string;
  score: { home: number; away: number } | null;
  shots: { home: number; away: number } | null;
  shotsOnTarget: { home: number; away: number } | null;
}

interface PageJson<T> {
  data: T[];
  page: { limit: number; nextCursor: string | null };
}

describe("service API (PostgreSQL and Redis)", () => {
  let api: TestService;

  before(async () => {
    const config = testConfig({
      DATABASE_URL: await seededDatabaseUrl(),
      REDIS_URL,
      CACHE_PREFIX: uniqueRedisPrefix(),
    });
    api = await startTestService(config);
  });

  after(() => api?.stop());

  const json = async <T>(path: string, status = 200, port: "api" | "ops" = "api"): Promise<T> => {
    const response = await (port === "api" ? api.get(path) : api.ops(path));
    assert.equal(response.status, status, `${path}: ${await response.clone().text()}`);
    return (await response.json()) as T;
  };

  describe("probes (ops port)", () => {
    it("GET /health answers without touching dependencies", async () => {
      assert.deepEqual(await json("/health", 200, "ops"), { status: "ok" });
    });

    it("GET /health carries a request id, no browser headers, and is counted under its route", async () => {
      const response = await api.ops("/health");
      assert.match(response.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
      assert.equal(response.headers.get("content-security-policy"), null, "the ops port answers probes, not browsers");
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      const metrics = await (await api.ops("/metrics")).text();
      assert.match(metrics, /http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
      assert.doesNotMatch(metrics, /http_request_duration_seconds_count\{[^}]*route="\/health"/, "probes are counted, not timed");
      const posted = await api.ops("/health", { method: "POST" });
      assert.equal(posted.status, 405);
      assert.equal(((await posted.json()) as ErrorBody).error.code, "method_not_allowed");
    });

    it("GET /ready reports every check as ok and nothing degraded", async () => {
      const body = await json<{ status: string; degraded: string[]; checks: Record<string, string> }>("/ready", 200, "ops");
      assert.equal(body.status, "ready");
      assert.deepEqual(body.degraded, []);
      assert.deepEqual(body.checks, { database: "ok", migrations: "ok", model: "ok" });
    });

    it("GET /metrics exposes the contract's metric names", async () => {
      await api.get("/api/v1/ping");
      const response = await api.ops("/metrics");
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
      const text = await response.text();
      for (const name of [
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "predictions_total",
        "cache_circuit_open",
        "db_pool_connections",
        "db_pool_max_connections",
        "model_fitted_timestamp_seconds",
        "model_age_seconds",
        "service_ready 1",
        "database_up 1",
        "process_cpu_user_seconds_total",
        "nodejs_eventloop_lag_seconds",
      ]) {
        assert.ok(text.includes(name), `metrics lack ${name}`);
      }
      assert.match(text, /http_requests_total\{method="GET",route="\/api\/v1\/ping",status="200"\} \d+/);
      assert.match(text, /model_fitted_timestamp_seconds\{league="E0"\} \d+/);
    });
  });

  describe("ports", () => {
    it("keeps /health, /ready and /metrics off the public port, and the API off the ops port (finding 6)", async () => {
      for (const path of ["/health", "/ready", "/metrics"]) {
        const response = await api.get(path);
        assert.equal(response.status, 404, `public ${path}`);
        assert.equal(((await response.json()) as ErrorBody).error.code, "not_found");
        assert.equal((await api.ops(path)).status, 200, `ops ${path}`);
      }
      assert.equal((await api.ops("/api/v1/ping")).status, 404);
      assert.equal((await api.get("/api/v1/ping")).status, 200);
    });
  });

  describe("every response", () => {
    it("carries the server's own request id, never the client's (finding 5)", async () => {
      const generated = await api.get("/api/v1/ping");
      assert.match(generated.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
      const sent = await api.get("/api/v1/ping", { headers: { "X-Request-Id": "client-id-123" } });
      assert.match(sent.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
      const refused = await api.get("/api/v1/nope", { headers: { "X-Request-Id": "client-id-123" } });
      const { error } = (await refused.json()) as ErrorBody;
      assert.equal(error.requestId, refused.headers.get("x-request-id"));
      assert.notEqual(error.requestId, "client-id-123");
    });

    it("has security headers", async () => {
      const response = await api.get("/api/v1/ping");
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("x-frame-options"), "DENY");
      assert.match(response.headers.get("content-security-policy") ?? "", /default-src 'none'/);
      assert.equal(response.headers.get("x-powered-by"), null);
    });
  });

  describe("meta", () => {
    it("GET /api/v1/ping", async () => {
      assert.deepEqual(await json("/api/v1/ping"), { pong: true });
    });

    it("GET /api/v1/status names version, environment, uptime and each model's fit time and data range", async () => {
      const status = await json<{
        version: string;
        environment: string;
        uptimeSeconds: number;
        storage: string;
        cache: string;
        models: Array<{ league: string; version: number; fittedAt: string; dataFrom: string; dataTo: string }>;
      }>("/api/v1/status");
      assert.equal(status.version, "0.1.0");
      assert.equal(status.environment, "test");
      assert.ok(status.uptimeSeconds >= 0);
      assert.equal(status.storage, "postgres");
      assert.equal(status.cache, "redis");
      assert.deepEqual(
        status.models.map((model) => model.league),
        ["D1", "E0", "SP1"],
      );
      const e0 = status.models.find((model) => model.league === "E0");
      assert.equal(e0?.dataFrom, "2009-08-15");
      assert.equal(e0?.dataTo, "2026-05-24");
      assert.ok(!Number.isNaN(Date.parse(e0?.fittedAt ?? "")));
    });

    it("GET /api/v1/models lists the model in use per league with its fit metrics", async () => {
      const { data } = await json<{ data: Array<{ league: string; asOf: string; metrics: { matches: number } }> }>(
        "/api/v1/models",
      );
      assert.equal(data.length, 3);
      assert.equal(data.find((model) => model.league === "E0")?.metrics.matches, 6460);
    });
  });

  describe("leagues and teams", () => {
    it("GET /api/v1/leagues lists leagues with their seasons", async () => {
      type Leagues = { data: Array<{ code: string; name: string; seasons: string[] }> };
      const { data } = await json<Leagues>("/api/v1/leagues");
      assert.deepEqual(
        data.map((league) => league.code),
        ["D1", "E0", "SP1"],
      );
      const e0 = data.find((league) => league.code === "E0");
      assert.equal(e0?.name, "Premier League");
      assert.equal(e0?.seasons.length, 17);
      assert.equal(e0?.seasons[0], "2009-2010");
    });

    it("GET /api/v1/leagues/:code, and 404 for an unknown league", async () => {
      const league = await json<{ code: string; country: string }>("/api/v1/leagues/SP1");
      assert.equal(league.country, "Spain");
      const missing = await json<{ error: { code: string; message: string } }>("/api/v1/leagues/XX9", 404);
      assert.equal(missing.error.code, "not_found");
      assert.match(missing.error.message, /XX9/);
    });

    it("GET /api/v1/teams filters by league and season and pages by cursor", async () => {
      const first = await json<PageJson<{ id: number; name: string }>>(
        "/api/v1/teams?league=E0&season=2024-2025&limit=15",
      );
      assert.equal(first.data.length, 15);
      assert.ok(first.page.nextCursor !== null);
      const second = await json<PageJson<{ id: number; name: string }>>(
        `/api/v1/teams?league=E0&season=2024-2025&limit=15&cursor=${first.page.nextCursor}`,
      );
      assert.equal(second.data.length, 5);
      assert.equal(second.page.nextCursor, null);
      const names = [...first.data, ...second.data].map((team) => team.name);
      assert.equal(new Set(names).size, 20);
      assert.ok(names.includes("Arsenal") && names.includes("Ipswich"));
      assert.deepEqual(names, [...names].sort());
    });

    it("GET /api/v1/teams/:id names the leagues the team played in", async () => {
      const { data } = await json<PageJson<{ id: number; name: string }>>("/api/v1/teams?league=D1&limit=200");
      const bayern = data.find((team) => team.name === "Bayern Munich");
      assert.ok(bayern !== undefined);
      const team = await json<{ name: string; leagues: string[] }>(`/api/v1/teams/${bayern.id}`);
      assert.deepEqual(team, { id: bayern.id, name: "Bayern Munich", leagues: ["D1"] });
      await json("/api/v1/teams/999999", 404);
    });
  });

  describe("matches", () => {
    it("filters by league, season, team, date range and status", async () => {
      const { data } = await json<PageJson<MatchJson>>(
        "/api/v1/matches?league=E0&season=2023-2024&team=arsenal&from=2023-12-01&to=2023-12-31&status=played",
      );
      assert.ok(data.length >= 4);
      for (const match of data) {
        assert.equal(match.league, "E0");
        assert.equal(match.season, "2023-2024");
        assert.ok([match.homeTeam.name, match.awayTeam.name].includes("Arsenal"));
        assert.ok(match.date >= "2023-12-01" && match.date <= "2023-12-31");
        assert.equal(match.status, "played");
        assert.ok(match.score !== null);
      }
    });

    it("pages through a season without gaps or repeats, in either order", async () => {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const suffix: string = cursor === null ? "" : `&cursor=${cursor}`;
        const page: PageJson<MatchJson> = await json(`/api/v1/matches?league=D1&season=2019-2020&limit=200${suffix}`);
        seen.push(...page.data.map((match) => match.id));
        cursor = page.page.nextCursor;
      } while (cursor !== null);
      assert.equal(seen.length, 306);
      assert.equal(new Set(seen).size, 306);
      const newest = await json<PageJson<MatchJson>>("/api/v1/matches?league=D1&season=2019-2020&order=desc&limit=1");
      const oldest = await json<PageJson<MatchJson>>("/api/v1/matches?league=D1&season=2019-2020&limit=1");
      assert.ok(newest.data[0].date > oldest.data[0].date);
    });

    it("answers a large page again from the cache with the same bytes and length", async () => {
      const path = "/api/v1/matches?league=D1&season=2019-2020&limit=200";
      const hits = async () => {
        const metrics = await (await api.ops("/metrics")).text();
        return Number(/^cache_hits_total\{cache="reads"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
      };
      const first = await api.get(path);
      const firstBody = Buffer.from(await first.arrayBuffer());
      const hitsBefore = await hits();
      const again = await api.get(path);
      const againBody = Buffer.from(await again.arrayBuffer());
      assert.equal(await hits(), hitsBefore + 1, "the second answer came from the cache");
      assert.ok(againBody.length > 16_384, `${againBody.length} bytes: a page sent as encoded once`);
      assert.deepEqual(againBody, firstBody);
      assert.equal(again.headers.get("content-length"), String(againBody.length));
      assert.equal(again.headers.get("content-type"), "application/json; charset=utf-8");
    });

    it("accepts a cursor only as the service spelled it, so one position is one cache entry (finding 4)", async () => {
      const first = await json<PageJson<MatchJson>>("/api/v1/matches?league=E0&season=2024-2025&limit=3");
      const cursor = first.page.nextCursor ?? "";
      assert.equal((await api.get(`/api/v1/matches?league=E0&season=2024-2025&limit=3&cursor=${cursor}`)).status, 200);
      for (const spelling of [`${cursor}=`, `${cursor}%3D%3D`, `%20${cursor}`, `${cursor}.`, `${cursor.slice(0, -1)}${cursor.endsWith("A") ? "B" : "A"}`]) {
        const response = await api.get(`/api/v1/matches?league=E0&season=2024-2025&limit=3&cursor=${spelling}`);
        assert.equal(response.status, 400, spelling);
        assert.match(((await response.json()) as ErrorBody).error.message, /cursor: is not a cursor this service issued/);
      }
    });

    it("bounds the page size", async () => {
      const body = await json<{ error: { code: string; message: string } }>("/api/v1/matches?limit=500", 400);
      assert.equal(body.error.code, "invalid_query");
      assert.match(body.error.message, /limit/);
    });

    it("GET /api/v1/matches/:id, and 404 for an unknown id", async () => {
      const { data } = await json<PageJson<MatchJson>>("/api/v1/matches?league=SP1&limit=1");
      const match = await json<MatchJson>(`/api/v1/matches/${data[0].id}`);
      assert.deepEqual(match, data[0]);
      // The first shipped La Liga match: Almeria 1-1 Espanol on 2014-08-23, 19-12 shots, 6-2 on target.
      assert.deepEqual(
        [match.homeTeam.name, match.score, match.shots, match.shotsOnTarget],
        ["Almeria", { home: 1, away: 1 }, { home: 19, away: 12 }, { home: 6, away: 2 }],
      );
      await json("/api/v1/matches/2000000000", 404);
    });

    it("404 for filters naming an unknown league or team", async () => {
      await json("/api/v1/matches?league=ZZ1", 404);
      await json("/api/v1/matches?team=Nobody%20United", 404);
    });
  });

  describe("predictions", () => {
    interface PredictionJson {
      model: { version: number; fittedAt: string; dataFrom: string; dataTo: string };
      prediction: {
        homeWin: number;
        draw: number;
        awayWin: number;
        expectedGoals: { home: number; away: number };
        likelyScores: Array<{ homeGoals: number; awayGoals: number; probability: number }>;
      };
    }

    it("answers an ad-hoc pairing with probabilities that sum to one", async () => {
      const body = await json<PredictionJson & { homeTeam: { name: string } }>(
        "/api/v1/predictions?league=E0&home=Arsenal&away=Chelsea",
      );
      const { homeWin, draw, awayWin } = body.prediction;
      assert.ok(Math.abs(homeWin + draw + awayWin - 1) < 1e-9);
      assert.ok(homeWin > 0.3 && homeWin < 0.8, `homeWin ${homeWin}`);
      assert.ok(body.prediction.expectedGoals.home > 0.5);
      assert.equal(body.prediction.likelyScores.length, 5);
      assert.equal(body.homeTeam.name, "Arsenal");
    });

    it("serves repeats from the cache and counts predictions by source", async () => {
      const path = "/api/v1/predictions?league=SP1&home=Barcelona&away=Real%20Madrid";
      const first = await (await api.get(path)).text();
      const second = await (await api.get(path)).text();
      assert.equal(second, first);
      const metrics = await (await api.ops("/metrics")).text();
      assert.match(metrics, /predictions_total\{league="SP1",source="model"\} 1/);
      assert.match(metrics, /predictions_total\{league="SP1",source="cache"\} 1/);
      assert.match(metrics, /cache_hits_total\{cache="predictions"\} [1-9]/);
    });

    it("predicts a stored match and says whether the model saw its result", async () => {
      const { data } = await json<PageJson<MatchJson>>("/api/v1/matches?league=E0&season=2025-2026&limit=1");
      const body = await json<PredictionJson & { match: MatchJson; inSample: boolean }>(
        `/api/v1/predictions/${data[0].id}`,
      );
      assert.equal(body.match.id, data[0].id);
      assert.equal(body.inSample, true);
      assert.ok(body.prediction.homeWin > 0);
    });

    it("404 for an unknown match, league or team, 400 for a team against itself", async () => {
      await json("/api/v1/predictions/2000000000", 404);
      await json("/api/v1/predictions?league=ZZ1&home=Arsenal&away=Chelsea", 404);
      const crossLeague = await json<{ error: { message: string } }>(
        "/api/v1/predictions?league=E0&home=Arsenal&away=Bayern%20Munich",
        404,
      );
      assert.match(crossLeague.error.message, /Bayern Munich.*E0/);
      await json("/api/v1/predictions?league=E0&home=Arsenal&away=arsenal", 400);
    });
  });
});
