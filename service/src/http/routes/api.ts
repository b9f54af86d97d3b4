import { z } from "zod";
import { WRITE_SCOPE } from "../../auth/tokens";
import type { CatalogReads } from "../../catalog/catalogReads";
import type { Actor, CatalogWrites } from "../../catalog/catalogWrites";
import type { BacktestRecords } from "../../backtest/records";
import type { FixtureService } from "../../predictions/fixtureService";
import type { ModelRegistry } from "../../predictions/modelRegistry";
import { summariseModel } from "../../predictions/answers";
import type { PredictionService } from "../../predictions/predictionService";
import { type AppContext, type AppState, sendJsonText } from "../context";
import { requireScope } from "../middleware/auth";
import { API_PREFIX, openApiDocument } from "../openapi/document";
import { jsonBody } from "../middleware/jsonBody";
import { Router } from "../router";
import {
  cursorOf,
  dateRange,
  idParam,
  isoDate,
  leagueCode,
  pageLimit,
  parseInput,
  parsePath,
  parseQuery,
  seasonName,
  serialId,
  teamName,
} from "../validation";

export interface StatusInfo {
  version: string;
  environment: string;
  startedAt: Date;
  storage: "postgres" | "embedded";
  cache: "redis" | "memory";
}

export interface ApiDeps {
  reads: CatalogReads;
  writes: CatalogWrites;
  predictions: PredictionService;
  fixtures: FixtureService;
  registry: ModelRegistry;
  records: BacktestRecords;
  status: StatusInfo;
  jwtSecret: string;
}

export const noQuery = z.strictObject({});

export const teamsQuery = z.strictObject({
  league: leagueCode.optional(),
  season: seasonName.optional(),
  limit: pageLimit,
  cursor: cursorOf(teamName).optional(),
});

export const matchesQuery = z
  .strictObject({
    league: leagueCode.optional(),
    season: seasonName.optional(),
    team: teamName.optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    status: z.enum(["scheduled", "played", "postponed", "cancelled"]).optional(),
    order: z.enum(["asc", "desc"]).default("asc"),
    limit: pageLimit,
    cursor: cursorOf(z.strictObject({ date: isoDate, id: serialId })).optional(),
  })
  .refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, {
    message: "must not be after to",
    path: ["from"],
  });

/** At most two months of fixtures in one answer (a few hundred matches across the leagues). */
const MAX_FIXTURE_RANGE_DAYS = 62;

export const fixturesQuery = dateRange(
  z.strictObject({ league: leagueCode.optional(), from: isoDate.optional(), to: isoDate.optional() }),
  MAX_FIXTURE_RANGE_DAYS,
);

export const pairingQuery = z.strictObject({ league: leagueCode, home: teamName, away: teamName });

export const fixtureBody = z
  .strictObject({
    league: leagueCode,
    season: seasonName,
    date: isoDate,
    homeTeam: teamName,
    awayTeam: teamName,
  })
  .refine((body) => [body.season.slice(0, 4), body.season.slice(5)].includes(body.date.slice(0, 4)), {
    message: "must fall within the season's two years",
    path: ["date"],
  });

const goals = z.number({ error: "must be a whole number" }).int("must be a whole number").min(0).max(99);
export const resultBody = z.strictObject({ homeGoals: goals, awayGoals: goals });

export const refitBody = z.strictObject({ league: leagueCode.optional() }).optional();

export const strengthQuery = z.strictObject({ league: leagueCode.optional() });

/** Most reads take no query at all, and an empty query string needs no parsing to meet `noQuery`. */
const query = <T extends z.ZodType>(ctx: AppContext, schema: T): Readonly<z.output<T>> =>
  (schema as z.ZodType) === noQuery && ctx.querystring === ""
    ? ({} as z.output<T>)
    : parseQuery(schema, ctx.querystring, ctx.query);

function actorOf(ctx: AppContext): Actor {
  return {
    subject: ctx.state.principal?.subject ?? "unknown",
    requestId: ctx.state.requestId,
    clientRequestId: ctx.state.clientRequestId,
  };
}

function readRoutes(router: Router<AppState>, deps: ApiDeps): void {
  router.get("/ping", (ctx) => {
    query(ctx, noQuery);
    ctx.body = { pong: true };
  });

  router.get("/status", (ctx) => {
    query(ctx, noQuery);
    const { status } = deps;
    ctx.body = {
      service: "football-prediction",
      version: status.version,
      environment: status.environment,
      startedAt: status.startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - status.startedAt.getTime()) / 1000),
      storage: status.storage,
      cache: status.cache,
      models: deps.registry.all().map((model) => ({ league: model.league, ...summariseModel(model) })),
    };
  });

  router.get("/leagues", async (ctx) => {
    query(ctx, noQuery);
    sendJsonText(ctx, await deps.reads.leagues());
  });

  router.get("/leagues/:code", async (ctx) => {
    query(ctx, noQuery);
    sendJsonText(ctx, await deps.reads.league(parsePath(leagueCode, ctx.params.code)));
  });

  router.get("/teams", async (ctx) => {
    const { cursor, ...filter } = query(ctx, teamsQuery);
    sendJsonText(ctx, await deps.reads.teams({ ...filter, afterName: cursor }));
  });

  router.get("/teams/:id", async (ctx) => {
    query(ctx, noQuery);
    sendJsonText(ctx, await deps.reads.team(parsePath(idParam, ctx.params.id)));
  });

  router.get("/teams/:id/strength", async (ctx) => {
    const { league } = query(ctx, strengthQuery);
    ctx.body = await deps.reads.strength(parsePath(idParam, ctx.params.id), league);
  });

  router.get("/matches", async (ctx) => {
    const { cursor, ...filter } = query(ctx, matchesQuery);
    sendJsonText(ctx, await deps.reads.matches({ ...filter, after: cursor }));
  });

  router.get("/matches/:id", async (ctx) => {
    query(ctx, noQuery);
    sendJsonText(ctx, await deps.reads.match(parsePath(idParam, ctx.params.id)));
  });

  router.get("/models", (ctx) => {
    query(ctx, noQuery);
    ctx.body = {
      data: deps.registry.all().map((model) => ({
        league: model.league,
        ...summariseModel(model),
        asOf: model.asOf,
        metrics: model.metrics,
      })),
    };
  });

  router.get("/models/:league/record", async (ctx) => {
    query(ctx, noQuery);
    ctx.body = await deps.records.forLeague(parsePath(leagueCode, ctx.params.league));
  });

  router.get("/fixtures", async (ctx) => {
    sendJsonText(ctx, await deps.fixtures.page(query(ctx, fixturesQuery)));
  });

  router.get("/predictions", async (ctx) => {
    const { league, home, away } = query(ctx, pairingQuery);
    sendJsonText(ctx, (await deps.predictions.forPairing(league, home, away)).body);
  });

  router.get("/predictions/:matchId", async (ctx) => {
    query(ctx, noQuery);
    sendJsonText(ctx, (await deps.predictions.forMatch(parsePath(idParam, ctx.params.matchId))).body);
  });
}

function writeRoutes(router: Router<AppState>, deps: ApiDeps): void {
  const authorisedJson = [requireScope(deps.jwtSecret, WRITE_SCOPE), ...jsonBody()];

  router.post("/matches", ...authorisedJson, async (ctx) => {
    query(ctx, noQuery);
    const body = parseInput(fixtureBody, ctx.request.body, "body");
    const match = await deps.writes.createFixture(body, actorOf(ctx));
    ctx.status = 201;
    ctx.set("Location", `/api/v1/matches/${match.id}`);
    ctx.body = match;
  });

  router.put("/matches/:id/result", ...authorisedJson, async (ctx) => {
    query(ctx, noQuery);
    const id = parsePath(idParam, ctx.params.id);
    const body = parseInput(resultBody, ctx.request.body, "body");
    ctx.body = await deps.writes.recordResult(id, { home: body.homeGoals, away: body.awayGoals }, actorOf(ctx));
  });

  router.post("/models/refit", ...authorisedJson, async (ctx) => {
    query(ctx, noQuery);
    const body = parseInput(refitBody, ctx.request.body, "body");
    ctx.status = 202;
    ctx.body = { data: await deps.writes.requestRefit(body?.league, actorOf(ctx)) };
  });
}

/** The JSON API under /api/v1. */
export function apiRoutes(deps: ApiDeps): Router<AppState> {
  const router = new Router<AppState>({ prefix: API_PREFIX });
  // Built on first request (it imports every schema) and then answered from memory.
  let openApi: string | undefined;
  router.get("/openapi.json", (ctx) => {
    query(ctx, noQuery);
    openApi ??= JSON.stringify(openApiDocument(deps.status.version));
    sendJsonText(ctx, openApi);
  });
  readRoutes(router, deps);
  writeRoutes(router, deps);
  return router;
}
