import { z } from "zod";
import { idParam, leagueCode } from "../validation";
import * as inputs from "../routes/api";
import * as out from "./schemas";

export const API_PREFIX = "/api/v1";

interface Response {
  description: string;
  schema?: z.ZodType;
  headers?: Record<string, string>;
}

/** One route as the document describes it, with the very schemas the route validates its input with. */
export interface Operation {
  method: "get" | "post" | "put";
  /** OpenAPI form, under API_PREFIX: `/teams/{id}`. */
  path: string;
  summary: string;
  tag: string;
  query?: z.ZodType;
  params?: Record<string, z.ZodType>;
  body?: { schema: z.ZodType; required: boolean };
  /** Needs a bearer token with the write scope. */
  writes?: boolean;
  responses: Record<number, Response>;
}

const ok = (schema: z.ZodType, description = "OK"): Record<number, Response> => ({ 200: { description, schema } });
const error = (description: string): Response => ({ description, schema: out.errorResponse });
const retryLater = (description: string): Response => ({
  ...error(description),
  headers: { "Retry-After": "Seconds to wait before asking again" },
});

const badInput = { 400: error("A parameter is invalid; details name each one") };
const notFound = { 404: error("No such resource") };
const modelNotReady = { 503: retryLater("No model fitted yet for the league") };
const authFailures = { 401: error("No valid bearer token"), 403: error("The token lacks the write scope") };

/** Every route of apiRoutes (a test checks the router against this list). Built on demand: api.ts imports this module. */
export function operations(): Operation[] {
  const id = { id: idParam };
  return [
    { method: "get", path: "/openapi.json", tag: "meta", summary: "This document", responses: ok(z.looseObject({ openapi: z.literal("3.1.0") })) },
    { method: "get", path: "/ping", tag: "meta", summary: "Answers pong", query: inputs.noQuery, responses: ok(out.ping) },
    { method: "get", path: "/status", tag: "meta", summary: "Version, storage, cache and current models", query: inputs.noQuery, responses: ok(out.status) },
    { method: "get", path: "/leagues", tag: "catalog", summary: "Every league with its seasons", query: inputs.noQuery, responses: ok(out.leagueList) },
    { method: "get", path: "/leagues/{code}", tag: "catalog", summary: "One league", query: inputs.noQuery, params: { code: leagueCode }, responses: { ...ok(out.league), ...badInput, ...notFound } },
    { method: "get", path: "/teams", tag: "catalog", summary: "Teams by name, paged", query: inputs.teamsQuery, responses: { ...ok(out.teamPage), ...badInput, ...notFound } },
    { method: "get", path: "/teams/{id}", tag: "catalog", summary: "One team and its leagues", query: inputs.noQuery, params: id, responses: { ...ok(out.teamWithLeagues), ...badInput, ...notFound } },
    { method: "get", path: "/teams/{id}/strength", tag: "models", summary: "The team's attack and defence in every stored model version", query: inputs.strengthQuery, params: id, responses: { ...ok(out.teamStrength), ...badInput, ...notFound } },
    { method: "get", path: "/matches", tag: "catalog", summary: "Matches by date, paged", query: inputs.matchesQuery, responses: { ...ok(out.matchPage), ...badInput, ...notFound } },
    { method: "get", path: "/matches/{id}", tag: "catalog", summary: "One match", query: inputs.noQuery, params: id, responses: { ...ok(out.match), ...badInput, ...notFound } },
    {
      method: "get",
      path: "/fixtures",
      tag: "predictions",
      summary: "The next match day of each league (or a date range) with each match's prediction",
      query: inputs.fixturesQuery,
      responses: { ...ok(out.fixtures), ...badInput, ...notFound, ...modelNotReady },
    },
    { method: "get", path: "/models", tag: "models", summary: "The current model of every league and its fit", query: inputs.noQuery, responses: ok(out.modelList) },
    {
      method: "get",
      path: "/models/{league}/record",
      tag: "models",
      summary: "Walk-forward backtest of the league's current model: RPS per season against the naive baseline, calibration",
      query: inputs.noQuery,
      params: { league: leagueCode },
      responses: { ...ok(out.leagueRecord), ...badInput, ...notFound, 503: retryLater("No model yet, or the record is still being computed") },
    },
    { method: "get", path: "/predictions", tag: "predictions", summary: "Predicts a pairing of two teams of a league", query: inputs.pairingQuery, responses: { ...ok(out.pairingPrediction), ...badInput, ...notFound, ...modelNotReady } },
    { method: "get", path: "/predictions/{matchId}", tag: "predictions", summary: "The current model's prediction of a stored match", query: inputs.noQuery, params: { matchId: idParam }, responses: { ...ok(out.matchPrediction), ...badInput, ...notFound, ...modelNotReady } },
    {
      method: "post",
      path: "/matches",
      tag: "writes",
      summary: "Adds a fixture",
      writes: true,
      query: inputs.noQuery,
      body: { schema: inputs.fixtureBody, required: true },
      responses: { 201: { description: "Created", schema: out.match, headers: { Location: "The match's URL" } }, ...badInput, ...authFailures, ...notFound, 409: error("The fixture exists") },
    },
    {
      method: "put",
      path: "/matches/{id}/result",
      tag: "writes",
      summary: "Records a result",
      writes: true,
      query: inputs.noQuery,
      params: id,
      body: { schema: inputs.resultBody, required: true },
      responses: { ...ok(out.match), ...badInput, ...authFailures, ...notFound, 409: error("The match cannot take a result") },
    },
    {
      method: "post",
      path: "/models/refit",
      tag: "writes",
      summary: "Asks the worker to refit one league or all",
      writes: true,
      query: inputs.noQuery,
      body: { schema: inputs.refitBody, required: false },
      responses: { 202: { description: "Accepted", schema: out.refitRequests }, ...badInput, ...authFailures, ...notFound },
    },
  ];
}

/** Input schemas describe what clients send (before transforms); output schemas what the service answers. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): object {
  // Every schema sits inside the one document, which names the dialect once (jsonSchemaDialect).
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" });
  return rest;
}

function parameters(operation: Operation): object[] {
  const list: object[] = [];
  for (const [name, schema] of Object.entries(operation.params ?? {})) {
    list.push({ name, in: "path", required: true, schema: jsonSchema(schema, "input") });
  }
  if (operation.query !== undefined) {
    const { properties = {}, required = [] } = jsonSchema(operation.query, "input") as {
      properties?: Record<string, object>;
      required?: string[];
    };
    for (const [name, schema] of Object.entries(properties)) {
      list.push({ name, in: "query", required: required.includes(name), schema });
    }
  }
  return list;
}

function responses(operation: Operation): Record<string, object> {
  return Object.fromEntries(
    Object.entries(operation.responses).map(([status, response]) => [
      status,
      {
        description: response.description,
        ...(response.headers && {
          headers: Object.fromEntries(
            Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: "string" } }]),
          ),
        }),
        ...(response.schema && { content: { "application/json": { schema: jsonSchema(response.schema, "output") } } }),
      },
    ]),
  );
}

/** The OpenAPI 3.1 document of the API, served at /api/v1/openapi.json. */
export function openApiDocument(version: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const operation of operations()) {
    paths[`${API_PREFIX}${operation.path}`] ??= {};
    paths[`${API_PREFIX}${operation.path}`][operation.method] = {
      operationId: `${operation.method}${operation.path.replace(/[{}]/g, "").replace(/[/.]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
      summary: operation.summary,
      tags: [operation.tag],
      ...(operation.writes && { security: [{ bearer: ["write"] }] }),
      parameters: parameters(operation),
      ...(operation.body && {
        requestBody: {
          required: operation.body.required,
          content: { "application/json": { schema: jsonSchema(operation.body.schema, "input") } },
        },
      }),
      responses: responses(operation),
    };
  }
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "football-prediction",
      version,
      description: "Match predictions from a Dixon-Coles model fitted on historical results. Errors share one shape.",
    },
    servers: [{ url: "/" }],
    paths,
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
  };
}
