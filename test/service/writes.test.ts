import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { CLOCK_SKEW_SECONDS, TOKEN_AUDIENCE, TOKEN_ISSUER } from "../../service/src/auth/tokens";
import type { Database } from "../../service/src/storage/db";
import { commandDatabase, seededDatabaseUrl } from "../support/databases";
import { eventually } from "../support/net";
import { REDIS_URL, uniqueRedisPrefix } from "../support/redisKeys";
import {
  type ErrorBody,
  TEST_JWT_SECRET,
  type TestService,
  startTestService,
  testConfig,
  writeToken,
} from "../support/service";

interface MatchJson {
  id: number;
  league: string;
  status: string;
  score: { home: number; away: number } | null;
  homeTeam: { id: number; name: string };
}

interface AuditRow {
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  request_id: string;
  client_request_id: string | null;
}

const fixture = (overrides: Record<string, unknown> = {}) => ({
  league: "E0",
  season: "2026-2027",
  date: "2026-08-22",
  homeTeam: "Arsenal",
  awayTeam: "Chelsea",
  ...overrides,
});

describe("service writes: auth, audit, caches, refits", () => {
  let api: TestService;
  let db: Database;
  let token: string;

  before(async () => {
    const url = await seededDatabaseUrl();
    db = commandDatabase(url);
    api = await startTestService(
      testConfig({
        DATABASE_URL: url,
        REDIS_URL,
        CACHE_PREFIX: uniqueRedisPrefix(),
        MODEL_POLL_INTERVAL_SECONDS: "0.2",
      }),
      { withWorker: true },
    );
    token = await writeToken("alice");
  });

  after(async () => {
    await api?.stop();
    await db?.destroy();
  });

  const auditRowsFor = (requestId: string): Promise<AuditRow[]> =>
    db("audit_log").where({ request_id: requestId }).orderBy("id");

  const recordResult = (matchId: number, score: Record<string, unknown>) =>
    api.send("PUT", `/api/v1/matches/${matchId}/result`, score, token);

  describe("bearer tokens", () => {
    const attempt = async (authorization: string | undefined) => {
      const response = await api.get("/api/v1/models/refit", {
        method: "POST",
        headers: authorization === undefined ? {} : { authorization },
      });
      return { status: response.status, body: (await response.json()) as ErrorBody, headers: response.headers };
    };

    it("401 without a token, with a challenge", async () => {
      const { status, body, headers } = await attempt(undefined);
      assert.equal(status, 401);
      assert.equal(body.error.code, "missing_token");
      assert.match(headers.get("www-authenticate") ?? "", /^Bearer/);
    });

    it("401 naming the problem for malformed, forged, expired and wrongly signed tokens", async () => {
      const forged = await new SignJWT({ scope: "write" })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("mallory")
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setExpirationTime("10m")
        .sign(new TextEncoder().encode("another-secret-another-secret-another-secret"));
      const noExpiry = await new SignJWT({ scope: "write" })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("mallory")
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .sign(new TextEncoder().encode(TEST_JWT_SECRET));
      const expired = await new SignJWT({ scope: "write" })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("mallory")
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 120)
        .sign(new TextEncoder().encode(TEST_JWT_SECRET));
      const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(
        JSON.stringify({ sub: "mallory", scope: "write", exp: 9_999_999_999 }),
      ).toString("base64url")}.`;
      const cases: Array<[string, RegExp]> = [
        ["Basic dXNlcjpwYXNz", /Bearer/],
        ["Bearer not-a-jwt", /Bearer/],
        [`Bearer ${forged}`, /signature/],
        [`Bearer ${noExpiry}`, /exp/],
        [`Bearer ${expired}`, /expired/],
        [`Bearer ${unsigned}`, /./],
      ];
      for (const [authorization, problem] of cases) {
        const { status, body } = await attempt(authorization);
        assert.equal(status, 401, authorization);
        assert.equal(body.error.code, "invalid_token");
        assert.match(body.error.message, problem);
      }
    });

    it("401 for a subject that is empty, not a string or not of the documented shape (finding 5)", async () => {
      const withSubject = (sub: unknown) =>
        new SignJWT({ scope: "write", sub } as Record<string, unknown>)
          .setProtectedHeader({ alg: "HS256" })
          .setIssuer(TOKEN_ISSUER)
          .setAudience(TOKEN_AUDIENCE)
          .setIssuedAt()
          .setExpirationTime("10m")
          .sign(new TextEncoder().encode(TEST_JWT_SECRET));
      for (const sub of ["", 123, "admin\nforged", "alice bob", "\u202eecila", "x".repeat(129), ["alice"]]) {
        const { status, body } = await attempt(`Bearer ${await withSubject(sub)}`);
        assert.equal(status, 401, JSON.stringify(sub));
        assert.match(body.error.message, /subject \(sub\)/);
      }
    });

    it("401 for a token issued in the future beyond the clock skew, accepted within it (finding 5)", async () => {
      const issuedIn = (seconds: number, scope: string) =>
        new SignJWT({ scope })
          .setProtectedHeader({ alg: "HS256" })
          .setSubject("mallory")
          .setIssuer(TOKEN_ISSUER)
          .setAudience(TOKEN_AUDIENCE)
          .setIssuedAt(Math.floor(Date.now() / 1000) + seconds)
          .setExpirationTime("1h")
          .sign(new TextEncoder().encode(TEST_JWT_SECRET));
      const future = await attempt(`Bearer ${await issuedIn(3_600, "write")}`);
      assert.equal(future.status, 401);
      assert.match(future.body.error.message, /iat/);
      // Authenticated (403 for the scope, not 401): a few seconds of skew between clocks is expected.
      assert.equal((await attempt(`Bearer ${await issuedIn(CLOCK_SKEW_SECONDS - 10, "read")}`)).status, 403);
    });

    it("403 for a valid token without the write scope", async () => {
      const readOnly = await writeToken("bob", { scopes: ["read"] });
      const { status, body } = await attempt(`Bearer ${readOnly}`);
      assert.equal(status, 403);
      assert.equal(body.error.code, "insufficient_scope");
    });
  });

  describe("POST /api/v1/matches", () => {
    it("creates a scheduled fixture and audits it with the request id", async () => {
      const response = await api.send("POST", "/api/v1/matches", fixture(), token);
      assert.equal(response.status, 201);
      const match = (await response.json()) as MatchJson;
      assert.equal(match.status, "scheduled");
      assert.equal(match.score, null);
      assert.equal(response.headers.get("location"), `/api/v1/matches/${match.id}`);
      const rows = await auditRowsFor(response.headers.get("x-request-id") ?? "");
      assert.deepEqual(
        rows.map((row) => row.action),
        ["season.create", "match.create"],
      );
      assert.equal(rows[1].actor, "alice");
      assert.equal(rows[1].entity_id, String(match.id));
      assert.equal(rows[1].before, null);
      assert.equal((rows[1].after as { status: string }).status, "scheduled");
    });

    it("audits under the server's request id, keeping the client's X-Request-Id beside it (finding 5)", async () => {
      const borrowed = "someone-elses-request-1";
      const response = await fetch(`${api.baseUrl}/api/v1/matches`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-request-id": borrowed },
        body: JSON.stringify(fixture({ date: "2026-08-29", homeTeam: "Everton", awayTeam: "Fulham" })),
      });
      assert.equal(response.status, 201);
      const serverId = response.headers.get("x-request-id") ?? "";
      assert.match(serverId, /^[0-9a-f-]{36}$/);
      const rows = await auditRowsFor(serverId);
      assert.ok(rows.length > 0);
      for (const row of rows) assert.equal(row.client_request_id, borrowed);
      assert.deepEqual(await auditRowsFor(borrowed), []);
    });

    it("409 for a duplicate, leaving no audit row behind", async () => {
      const response = await api.send("POST", "/api/v1/matches", fixture(), token);
      assert.equal(response.status, 409);
      assert.equal(((await response.json()) as ErrorBody).error.code, "conflict");
      assert.deepEqual(await auditRowsFor(response.headers.get("x-request-id") ?? ""), []);
    });

    it("creates a team it does not know (a promoted side), matching known ones case-insensitively", async () => {
      const response = await api.send(
        "POST",
        "/api/v1/matches",
        fixture({ homeTeam: "Test Rovers", awayTeam: "arsenal", date: "2026-08-29" }),
        token,
      );
      assert.equal(response.status, 201);
      const match = (await response.json()) as MatchJson & { awayTeam: { name: string } };
      assert.equal(match.awayTeam.name, "Arsenal");
      const rows = await auditRowsFor(response.headers.get("x-request-id") ?? "");
      assert.deepEqual(
        rows.map((row) => row.action),
        ["team.create", "match.create"],
      );
      const prediction = await api.get(`/api/v1/predictions/${match.id}`);
      assert.equal(prediction.status, 200, "a newcomer gets the model's newcomer rating");
    });

    it("400 naming the fields of an invalid fixture, 404 for an unknown league", async () => {
      const invalid = await api.send("POST", "/api/v1/matches", fixture({ date: "2030-01-01", homeTeam: "" }), token);
      assert.equal(invalid.status, 400);
      const fields = ((await invalid.json()) as ErrorBody & { error: { details: Array<{ field: string }> } }).error
        .details.map((detail) => detail.field)
        .sort();
      assert.deepEqual(fields, ["date", "homeTeam"]);
      const wrongSeason = await api.send("POST", "/api/v1/matches", fixture({ date: "2030-01-01" }), token);
      assert.equal(wrongSeason.status, 400);
      const unknown = await api.send("POST", "/api/v1/matches", fixture({ league: "XX1" }), token);
      assert.equal(unknown.status, 404);
    });
  });

  describe("PUT /api/v1/matches/:id/result", () => {
    let matchId: number;

    before(async () => {
      const played = fixture({ date: "2026-01-10", season: "2025-2026", homeTeam: "Fulham", awayTeam: "Brentford" });
      const response = await api.send("POST", "/api/v1/matches", played, token);
      matchId = ((await response.json()) as MatchJson).id;
    });

    it("records the result, audits before and after, drops cached reads and schedules a refit", async () => {
      const cachedBefore = (await (await api.get(`/api/v1/matches/${matchId}`)).json()) as MatchJson;
      assert.equal(cachedBefore.status, "scheduled");
      const predictedBefore = (await (await api.get(`/api/v1/predictions/${matchId}`)).json()) as {
        match: MatchJson;
        model: { version: number };
      };
      const versionBefore = predictedBefore.model.version;

      const response = await recordResult(matchId, { homeGoals: 3, awayGoals: 1 });
      assert.equal(response.status, 200);
      const recorded = (await response.json()) as MatchJson;
      assert.deepEqual(recorded.score, { home: 3, away: 1 });
      assert.equal(recorded.status, "played");

      const rows = await auditRowsFor(response.headers.get("x-request-id") ?? "");
      assert.deepEqual(
        rows.map((row) => row.action),
        ["match.result", "model.refit_request"],
      );
      assert.equal(rows[0].before?.status, "scheduled");
      assert.deepEqual(rows[0].after?.score, { home: 3, away: 1 });

      const reread = (await (await api.get(`/api/v1/matches/${matchId}`)).json()) as MatchJson;
      assert.equal(reread.status, "played", "the cached match was invalidated");
      const listed = (await (await api.get(`/api/v1/matches?team=Fulham&from=2026-01-10&to=2026-01-10`)).json()) as {
        data: MatchJson[];
      };
      assert.equal(listed.data[0].status, "played");

      const refitted = await eventually(async () => {
        const body = (await (await api.get(`/api/v1/predictions/${matchId}`)).json()) as {
          match: MatchJson;
          model: { version: number };
          inSample: boolean;
        };
        return body.model.version > versionBefore ? body : undefined;
      });
      assert.equal(refitted.match.status, "played");
      assert.equal(refitted.inSample, true);
      // The worker marks the requests served just after it installs the model the read above saw.
      const stillPending = () => db("refit_requests").whereNull("completed_at");
      const pending = await eventually(async () => ((await stillPending()).length === 0 ? [] : undefined)).catch(stillPending);
      assert.deepEqual(pending, []);
    });

    it("stores no prediction for a match dated in the past: reading its prediction writes nothing, nor does the refit", async () => {
      assert.deepEqual(await db("predictions").where({ match_id: matchId }), []);
    });

    it("404 for an unknown match, 409 for a match dated in the future, 400 for an impossible score", async () => {
      assert.equal((await recordResult(2_000_000_000, { homeGoals: 1, awayGoals: 0 })).status, 404);
      const created = await api.send("POST", "/api/v1/matches", fixture({ date: "2027-05-01" }), token);
      const future = (await created.json()) as MatchJson;
      assert.equal((await recordResult(future.id, { homeGoals: 1, awayGoals: 0 })).status, 409);
      assert.equal((await recordResult(matchId, { homeGoals: -1, awayGoals: 0 })).status, 400);
      assert.equal((await recordResult(matchId, { homeGoals: 1.5, awayGoals: 0 })).status, 400);
    });

    it("commits the result together with its audit row or not at all", async () => {
      await db.raw(`CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit storage failed'; END $$`);
      await db.raw("CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION fail_audit()");
      try {
        const response = await recordResult(matchId, { homeGoals: 0, awayGoals: 0 });
        assert.equal(response.status, 500);
        assert.equal(((await response.json()) as ErrorBody).error.code, "internal_error");
      } finally {
        await db.raw("DROP TRIGGER fail_audit ON audit_log");
        await db.raw("DROP FUNCTION fail_audit()");
      }
      const row = await db("matches").where({ id: matchId }).first();
      assert.deepEqual([row.home_goals, row.away_goals], [3, 1]);
    });
  });

  describe("POST /api/v1/models/refit", () => {
    it("queues a refit that the worker runs at once, picked up without a restart", async () => {
      type Status = { models: Array<{ league: string; version: number }> };
      const before = (await (await api.get("/api/v1/status")).json()) as Status;
      const d1Before = before.models.find((model) => model.league === "D1")?.version ?? 0;
      const response = await api.send("POST", "/api/v1/models/refit", { league: "D1" }, token);
      assert.equal(response.status, 202);
      const { data } = (await response.json()) as { data: Array<{ league: string; reason: string }> };
      assert.deepEqual(
        data.map((request) => [request.league, request.reason]),
        [["D1", "manual"]],
      );
      const rows = await auditRowsFor(response.headers.get("x-request-id") ?? "");
      assert.deepEqual(
        rows.map((row) => [row.action, row.actor]),
        [["model.refit_request", "alice"]],
      );
      await eventually(async () => {
        const status = (await (await api.get("/api/v1/status")).json()) as Status;
        const d1 = status.models.find((model) => model.league === "D1")?.version ?? 0;
        return d1 > d1Before ? d1 : undefined;
      });
    });

    it("refits every league when none is named, and 404 for an unknown one", async () => {
      const all = await api.send("POST", "/api/v1/models/refit", undefined, token);
      assert.equal(all.status, 202);
      assert.equal(((await all.json()) as { data: unknown[] }).data.length, 3);
      assert.equal((await api.send("POST", "/api/v1/models/refit", { league: "QQ1" }, token)).status, 404);
      await api.service.scheduler?.idle();
    });
  });
});
