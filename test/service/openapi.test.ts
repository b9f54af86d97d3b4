import assert from "node:assert/strict";
import fs from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { z } from "zod";
import { API_PREFIX, openApiDocument, operations } from "../../service/src/http/openapi/document";
import * as schemas from "../../service/src/http/openapi/schemas";
import { type ApiDeps, apiRoutes } from "../../service/src/http/routes/api";
import { SCHEMA_TYPES_FILE, generateWebTypes } from "../../scripts/webTypes";
import { loadShippedClosingLine } from "../../service/src/data/closingLine";
import { seededDatabaseUrl } from "../support/databases";
import { eventually } from "../support/net";
import { type TestService, startTestService, testConfig, writeToken } from "../support/service";

/** The router's routes as the document spells them: `/api/v1/teams/:id` becomes `GET /api/v1/teams/{id}`. */
function routerOperations(): string[] {
  return apiRoutes({} as ApiDeps).registered.map(
    ({ method, path }) => `${method} ${path.replace(/:(\w+)/g, "{$1}")}`,
  );
}

describe("OpenAPI document", () => {
  const document = openApiDocument("test") as { paths: Record<string, Record<string, unknown>> };

  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(document as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });

  it("describes exactly the router's routes", () => {
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual([...documented].sort(), [...new Set(routerOperations())].sort());
  });

  it("the web page's committed API types are generated from the current document (npm run web:types)", async () => {
    assert.equal(fs.readFileSync(SCHEMA_TYPES_FILE, "utf8"), await generateWebTypes(), "run npm run web:types");
  });
});

describe("API responses match the document's schemas (PostgreSQL)", function () {
  this.timeout(120_000);
  let api: TestService;
  let matchId: number;
  let teamId: number;

  before(async () => {
    api = await startTestService(testConfig({ DATABASE_URL: await seededDatabaseUrl() }));
    const matches = (await (await api.get("/api/v1/matches?league=E0&limit=1")).json()) as { data: Array<{ id: number; homeTeam: { id: number } }> };
    matchId = matches.data[0].id;
    teamId = matches.data[0].homeTeam.id;
  });

  after(() => api?.stop());

  const expectShape = async (path: string, schema: z.ZodType, status = 200, response?: Response) => {
    const answer = response ?? (await api.get(path));
    const body: unknown = await answer.json();
    assert.equal(answer.status, status, `${path}: ${JSON.stringify(body)}`);
    const parsed = schema.safeParse(body);
    assert.ok(parsed.success, `${path}: ${parsed.error?.message}`);
  };

  it("every read answers in its documented shape", async () => {
    await expectShape("/api/v1/openapi.json", operations()[0].responses[200].schema as z.ZodType);
    await expectShape("/api/v1/ping", schemas.ping);
    await expectShape("/api/v1/status", schemas.status);
    await expectShape("/api/v1/leagues", schemas.leagueList);
    await expectShape("/api/v1/leagues/E0", schemas.league);
    await expectShape("/api/v1/teams?league=E0&limit=3", schemas.teamPage);
    await expectShape(`/api/v1/teams/${teamId}`, schemas.teamWithLeagues);
    await expectShape(`/api/v1/teams/${teamId}/strength`, schemas.teamStrength);
    await expectShape("/api/v1/matches?league=E0&limit=3", schemas.matchPage);
    await expectShape(`/api/v1/matches/${matchId}`, schemas.match);
    await expectShape("/api/v1/models", schemas.modelList);
    await expectShape("/api/v1/predictions?league=E0&home=Arsenal&away=Chelsea", schemas.pairingPrediction);
    await expectShape(`/api/v1/predictions/${matchId}`, schemas.matchPrediction);
    await expectShape("/api/v1/fixtures", schemas.fixtures);
    await expectShape("/api/v1/fixtures?league=E0&from=2025-01-01&to=2025-01-31", schemas.fixtures);
  });

  it("errors answer in the documented error shape", async () => {
    await expectShape("/api/v1/leagues/XX", schemas.errorResponse, 404);
    await expectShape("/api/v1/teams/1/strength?league=lower", schemas.errorResponse, 400);
    await expectShape("/api/v1/models/XX/record", schemas.errorResponse, 404);
  });

  it("the team strength history has a point per stored model version that rates the team", async () => {
    const body = (await (await api.get(`/api/v1/teams/${teamId}/strength?league=E0`)).json()) as {
      data: Array<{ league: string; points: Array<{ version: number }> }>;
    };
    assert.equal(body.data.length, 1);
    assert.equal(body.data[0].league, "E0");
    assert.ok(body.data[0].points.length >= 1);
    const other = await api.get(`/api/v1/teams/${teamId}/strength?league=SP1`);
    assert.equal(other.status, 404);
  });

  it("the backtest record answers 503 with Retry-After while computing, then per-season RPS and calibration", async () => {
    const first = await api.get("/api/v1/models/E0/record");
    if (first.status === 503) {
      assert.ok(Number(first.headers.get("retry-after")) > 0);
      await expectShape("", schemas.errorResponse, 503, first);
    }
    const record = await eventually(async () => {
      const response = await api.get("/api/v1/models/E0/record");
      return response.status === 200 ? ((await response.json()) as z.infer<typeof schemas.leagueRecord>) : undefined;
    }, 90_000, 500);
    assert.ok(schemas.leagueRecord.safeParse(record).success);
    assert.ok(record.seasons.length > 0);
    for (const season of record.seasons) assert.ok(season.rps.model < season.rps.baseline, `${season.season} beats the naive baseline`);
    assert.ok(record.calibration.some((bin) => bin.outcome === "draw"));
    // The seeded database stores no odds: each recent EPL season's closing-line RPS is the shipped derived figure.
    assert.equal(record.closingOdds, true);
    const shipped = loadShippedClosingLine().filter((figures) => figures.league === "E0");
    for (const season of record.seasons) {
      const figures = shipped.find((row) => row.season === season.season);
      assert.equal(season.closingOddsSource, "shipped", season.season);
      assert.equal(season.rps.closingOdds, figures?.rps, season.season);
      assert.ok(season.rps.closingOdds! < season.rps.baseline, `${season.season}: the closing line beats the naive baseline`);
    }
  });

  it("writes answer in their documented shapes", async () => {
    const token = await writeToken();
    const refit = await api.send("POST", "/api/v1/models/refit", { league: "E0" }, token);
    await expectShape("/api/v1/models/refit", schemas.refitRequests, 202, refit);
  });

  it(`serves the document at ${API_PREFIX}/openapi.json`, async () => {
    assert.deepEqual(await (await api.get(`${API_PREFIX}/openapi.json`)).json(), JSON.parse(JSON.stringify(openApiDocument(
      ((await (await api.get("/api/v1/status")).json()) as { version: string }).version,
    ))));
  });
});
