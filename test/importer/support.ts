/**
 * What the importer tests share: a real HTTP server standing in for the sources (it serves the real openfootball
 * files, their successive versions, and the football-data.org and football-data.co.uk shapes built from them), the
 * database they import into, and the importer wired as the service wires it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { TZDate } from "@date-fns/tz";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import path from "node:path";
import type { Knex } from "knex";
import type { Config } from "../../service/src/config";
import { teamNameKey } from "../../service/src/domain/teamNames";
import type { Importer } from "../../service/src/importer/importer";
import { localDate } from "../../service/src/importer/seasons";
import { MemoryCache } from "../../service/src/cache/memoryCache";
import { Metrics } from "../../service/src/metrics";
import { LocalSignalBus } from "../../service/src/predictions/signals";
import { configuredImporter } from "../../service/src/runtime/importing";
import type { Database } from "../../service/src/storage/db";
import { CLOSING_ODDS_COLUMNS, SHOT_COLUMNS } from "../../service/src/storage/repositories/matches";
import { findTeamsByName } from "../../service/src/storage/repositories/teams";
import { seedTeamAliases } from "../../service/src/storage/seedAliases";
import { commandDatabase, seededDatabaseUrl } from "../support/databases";
import { prng } from "../support/load";
import { listen, sleep } from "../support/net";
import { silentLogger, testConfig } from "../support/service";

export const FIXTURES = path.join(__dirname, "fixtures");

/** The four stored versions of openfootball's 2026-27 EPL file, oldest first (SOURCE.md: 6, 10, 20, 36 scores). */
export const SNAPSHOTS = ["51c7c2c", "4e4146c", "8aa4cd0", "40b3e1b"] as const;
export type Snapshot = (typeof SNAPSHOTS)[number];

export interface OpenfootballMatch {
  round: string;
  date: string;
  time?: string;
  team1: string;
  team2: string;
  score?: { ht?: number[]; ft?: number[] } | number[];
  status?: string;
}

/** The full-time score of an openfootball match (a bare list or `ft`), if it has one. */
export const resultOf = (match: OpenfootballMatch) => (Array.isArray(match.score) ? match.score : match.score?.ft);

export interface OpenfootballFile {
  name: string;
  matches: OpenfootballMatch[];
}

export function snapshotText(snapshot: Snapshot): string {
  return readFileSync(path.join(FIXTURES, "openfootball", `en.1-2026-27@${snapshot}.json`), "utf8");
}

export function snapshot(snapshot: Snapshot): OpenfootballFile {
  return JSON.parse(snapshotText(snapshot)) as OpenfootballFile;
}

/** A shipped openfootball file (service/data/openfootball), e.g. `2026-27/de.1.json`. */
export function shippedFile(relative: string): OpenfootballFile {
  return JSON.parse(readFileSync(path.join(__dirname, "../../service/data/openfootball", relative), "utf8")) as OpenfootballFile;
}

/** Now, as the brief has it; the clock of every import test unless a test moves it. */
export const NOW = new Date("2026-12-06T12:00:00Z");

// ---------------------------------------------------------------------------------------------------------------
// The source server

export type Handler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

export interface SeenRequest {
  path: string;
  headers: IncomingMessage["headers"];
  at: number;
}

/** A real HTTP server on 127.0.0.1 whose answer per path a test sets, step by step; it records every request. */
export class SourceServer {
  readonly requests: SeenRequest[] = [];
  private readonly handlers = new Map<string, Handler[]>();
  private server: Server | undefined;
  baseUrl = "";

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://localhost");
      this.requests.push({ path: `${url.pathname}${url.search}`, headers: request.headers, at: Date.now() });
      const queue = this.handlers.get(url.pathname);
      // The last handler of a path stays; the ones before it answer one request each.
      const handler = queue === undefined ? undefined : queue.length > 1 ? queue.shift() : queue[0];
      if (handler === undefined) {
        response.writeHead(404).end("not found");
        return;
      }
      void Promise.resolve(handler(request, response)).catch(() => response.destroy());
    });
    this.baseUrl = await listen(this.server);
  }

  /** Answers on `pathname` with these handlers, one request each, the last one for every later request. */
  on(pathname: string, ...handlers: Handler[]): void {
    this.handlers.set(pathname, handlers);
  }

  requestsTo(pathname: string): SeenRequest[] {
    return this.requests.filter((request) => request.path.split("?")[0] === pathname);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

export const body =
  (text: string, status = 200, headers: Record<string, string> = {}): Handler =>
  (_request, response) => {
    response.writeHead(status, { "content-type": "application/json", ...headers }).end(text);
  };

export const json = (value: unknown, headers: Record<string, string> = {}) => body(JSON.stringify(value), 200, headers);

export const failure = (status: number, headers: Record<string, string> = {}) => body(`{"message":"HTTP ${status}"}`, status, headers);

/** Sends the headers, then nothing until the client gives up: a source that hangs mid-answer. */
export const hang = (): Handler => async (_request, response) => {
  response.writeHead(200, { "content-type": "application/json" });
  response.write('{"name": "English Premier League 2026/27", "matches": [');
  await sleep(30_000);
  response.end("]}");
};

// ---------------------------------------------------------------------------------------------------------------
// Other sources' shapes, built from real openfootball data

const API_STATUS: Record<string, string> = { postponed: "POSTPONED", awarded: "AWARDED" };

/** Deterministic football-data.org match ids: stable across versions of the file, as the API's are. */
export function apiMatchId(match: Pick<OpenfootballMatch, "team1" | "team2">): number {
  let hash = 7;
  for (const char of `${teamNameKey(match.team1)}|${teamNameKey(match.team2)}`) hash = (hash * 31 + char.codePointAt(0)!) % 2_000_000_000;
  return 100_000 + hash;
}

/** A `GET /v4/competitions/{code}/matches?season=` answer in the documented v4 shape, from an openfootball file. */
export function footballDataApiResponse(file: OpenfootballFile, code: string, timeZone: string, season: number): unknown {
  const matches = file.matches.map((match) => {
    const ft = resultOf(match);
    const ht = Array.isArray(match.score) ? undefined : match.score?.ht;
    const kickoff = match.time === undefined ? `${match.date}T00:00:00Z` : zonedInstant(match.date, match.time, timeZone);
    const status = match.status !== undefined ? API_STATUS[match.status] : ft !== undefined ? "FINISHED" : match.time === undefined ? "SCHEDULED" : "TIMED";
    const team = (name: string) => ({ id: apiMatchId({ team1: name, team2: "" }), name, shortName: name.replace(/ (A?FC)$/, ""), tla: name.slice(0, 3).toUpperCase(), crest: null });
    return {
      area: { id: 2072, name: "England", code: "ENG", flag: null },
      competition: { id: 2021, name: "Premier League", code, type: "LEAGUE", emblem: null },
      season: { id: 2400, startDate: `${season}-08-21`, endDate: `${season + 1}-05-30`, currentMatchday: 15, winner: null },
      id: apiMatchId(match),
      utcDate: kickoff,
      status,
      matchday: Number(/\d+/.exec(match.round)?.[0] ?? 0),
      stage: "REGULAR_SEASON",
      group: null,
      lastUpdated: "2026-12-06T08:00:00Z",
      homeTeam: team(match.team1),
      awayTeam: team(match.team2),
      score: {
        winner: ft === undefined ? null : ft[0] > ft[1] ? "HOME_TEAM" : ft[0] < ft[1] ? "AWAY_TEAM" : "DRAW",
        duration: "REGULAR",
        fullTime: { home: ft?.[0] ?? null, away: ft?.[1] ?? null },
        halfTime: { home: ht?.[0] ?? null, away: ht?.[1] ?? null },
      },
      odds: { msg: "Activate Odds-Package in User-Panel to retrieve odds." },
      referees: [],
    };
  });
  const played = matches.filter((match) => match.status === "FINISHED").length;
  return {
    filters: { season: String(season) },
    resultSet: { count: matches.length, first: matches[0]?.utcDate.slice(0, 10), last: matches.at(-1)?.utcDate.slice(0, 10), played },
    competition: { id: 2021, name: "Premier League", code, type: "LEAGUE", emblem: null },
    matches,
  };
}

function zonedInstant(date: string, time: string, timeZone: string): string {
  const [year, month, day] = date.split("-").map(Number);
  const [hours, minutes] = time.split(":").map(Number);
  return new Date(new TZDate(year, month - 1, day, hours, minutes, timeZone).getTime()).toISOString().replace(".000Z", "Z");
}

/** The statistics and closing-odds columns of a football-data.co.uk file that the importer reads, and the result's. */
export type CsvCell = "FTHG" | "FTAG" | "HS" | "AS" | "HST" | "AST" | (typeof ODDS_CELLS)[number];

/** Pre-match Pinnacle and Bet365 prices (ignored), then the closing ones the importer reads, in the files' order. */
const ODDS_CELLS = ["PSCH", "PSCD", "PSCA", "AvgCH", "AvgCD", "AvgCA"] as const;

/**
 * A football-data.co.uk season file (BOM, CRLF, day-first two-digit years, `2.0` goals) from an openfootball file.
 * `cells` fills or overrides a match's result, shot and closing-odds cells (openfootball has no shots or odds; those
 * columns are empty without it).
 */
export function footballDataCsv(
  file: OpenfootballFile,
  division: string,
  names: (name: string) => string,
  cells: (match: OpenfootballMatch) => Partial<Record<CsvCell, string>> = () => ({}),
): string {
  const header = `Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,HTR,Referee,HS,AS,HST,AST,HF,AF,B365H,B365D,B365A,PSH,PSD,PSA,${ODDS_CELLS.join(",")}`;
  const lines = file.matches.map((match) => {
    const ft = resultOf(match);
    const [year, month, day] = match.date.split("-");
    const result = ft === undefined ? "" : ft[0] > ft[1] ? "H" : ft[0] < ft[1] ? "A" : "D";
    const cell: Record<CsvCell, string> = { FTHG: pandas(ft?.[0]), FTAG: pandas(ft?.[1]), HS: "", AS: "", HST: "", AST: "", PSCH: "", PSCD: "", PSCA: "", AvgCH: "", AvgCD: "", AvgCA: "", ...cells(match) };
    // Pre-match prices are there for every match, fixtures too: the importer must not take them for closing ones.
    const preMatch = ["2.10", "3.40", "3.60", "2.15", "3.45", "3.70"];
    return [division, `${day}/${month}/${year.slice(2)}`, match.time ?? "", names(match.team1), names(match.team2), cell.FTHG, cell.FTAG, result, "", "", "", "", cell.HS, cell.AS, cell.HST, cell.AST, "", "", ...preMatch, ...ODDS_CELLS.map((column) => cell[column])].join(",");
  });
  return `\uFEFF${[header, ...lines].join("\r\n")}\r\n`;
}

/** A count as the pandas-processed files write it (`12.0`); empty for none. */
const pandas = (n: number | undefined) => (n === undefined ? "" : `${n}.0`);

export interface MatchShots {
  shots: { home: number; away: number };
  shotsOnTarget: { home: number; away: number };
}

/** Made-up but plausible shots of a played match, the same every time (openfootball carries none to build them from). */
export function shotsOf(match: Pick<OpenfootballMatch, "team1" | "team2">): MatchShots {
  const random = prng(apiMatchId(match));
  const side = () => {
    const shots = 5 + Math.floor(random() * 18);
    return { shots, onTarget: Math.floor(shots * (0.2 + random() * 0.25)) };
  };
  const [home, away] = [side(), side()];
  return { shots: { home: home.shots, away: away.shots }, shotsOnTarget: { home: home.onTarget, away: away.onTarget } };
}

/** The shot cells of a played match as football-data.co.uk's pandas-era files write them, from `shotsOf`. */
export function shotCells(match: OpenfootballMatch): Partial<Record<CsvCell, string>> {
  if (resultOf(match) === undefined) return {};
  const { shots, shotsOnTarget } = shotsOf(match);
  return { HS: pandas(shots.home), AS: pandas(shots.away), HST: pandas(shotsOnTarget.home), AST: pandas(shotsOnTarget.away) };
}

export interface MatchOdds {
  home: number;
  draw: number;
  away: number;
}

/** Made-up but plausible closing odds of a match (a 2-4% margin), the same every time. */
export function oddsOf(match: Pick<OpenfootballMatch, "team1" | "team2">): MatchOdds {
  const random = prng(apiMatchId(match) + 1);
  const home = 0.2 + random() * 0.4;
  const draw = 0.2 + random() * 0.1;
  const margin = 1.02 + random() * 0.02;
  const price = (p: number) => Math.round((100 / (p * margin)) * 1) / 100;
  return { home: price(home), draw: price(draw), away: price(1 - home - draw) };
}

/** A played match's closing-odds cells, Pinnacle's (or the market average's), from `oddsOf`. */
export function oddsCells(match: OpenfootballMatch, source: "pinnacle" | "average" = "pinnacle"): Partial<Record<CsvCell, string>> {
  if (resultOf(match) === undefined) return {};
  const { home, draw, away } = oddsOf(match);
  const [h, d, a] = [home, draw, away].map((price) => price.toFixed(2));
  return source === "pinnacle" ? { PSCH: h, PSCD: d, PSCA: a } : { AvgCH: h, AvgCD: d, AvgCA: a };
}

// ---------------------------------------------------------------------------------------------------------------
// The database and the importer

/** A copy of the run's seeded database (results, fitted models) with the shipped alias list loaded. */
export async function importDatabase(): Promise<{ url: string; db: Database }> {
  const url = await seededDatabaseUrl();
  const db = commandDatabase(url);
  await seedTeamAliases(db);
  return { url, db };
}

export interface WiredImporter {
  importer: Importer;
  metrics: Metrics;
  config: Config;
  /** Leagues the worker was nudged to refit, in order. */
  signalled: string[];
  /** How often the cached reads were dropped. */
  invalidations: number;
  clock: { now: Date };
}

/**
 * The importer exactly as `configuredImporter` wires it, on an in-process cache and signal bus the test watches.
 * `env` must hold DATABASE_URL: the config also drives the commands (`quarantine`) the tests run.
 */
export function wireImporter(db: Database, env: Record<string, string> & { DATABASE_URL: string }, now = NOW): WiredImporter {
  const config = testConfig({ IMPORT_RETRIES: "2", IMPORT_TIMEOUT_SECONDS: "2", ...env });
  const metrics = new Metrics();
  const signals = new LocalSignalBus();
  const cache = new MemoryCache(60);
  const wired: WiredImporter = { importer: undefined as unknown as Importer, metrics, config, signalled: [], invalidations: 0, clock: { now } };
  signals.subscribe("refit-requested", (league) => wired.signalled.push(league));
  const invalidate = cache.invalidate.bind(cache);
  cache.invalidate = async (buckets) => {
    wired.invalidations += 1;
    await invalidate(buckets);
  };
  wired.importer = configuredImporter(config, { db, cache, signals, metrics, logger: silentLogger, clock: () => wired.clock.now });
  return wired;
}

/** One metric's value with these labels (0 when the series is absent). */
export async function metricValue(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const found = values.find((value) => Object.entries(labels).every(([key, v]) => value.labels[key] === v));
  return found?.value ?? 0;
}

export interface MatchRow {
  id: number;
  date: string;
  kickoff: Date | null;
  matchday: number | null;
  home: string;
  away: string;
  status: string;
  home_goals: number | null;
  away_goals: number | null;
  source: string | null;
  source_id: string | null;
  awarded: boolean;
  home_shots: number | null;
  away_shots: number | null;
  home_shots_on_target: number | null;
  away_shots_on_target: number | null;
  home_closing_odds: number | null;
  draw_closing_odds: number | null;
  away_closing_odds: number | null;
  closing_odds_source: string | null;
}

/** The league's matches of a season with their team names, by date and pairing. */
export async function seasonMatches(db: Knex, league: string, season: string): Promise<MatchRow[]> {
  return db("matches as m")
    .join("seasons as s", "s.id", "m.season_id")
    .join("teams as h", "h.id", "m.home_team_id")
    .join("teams as a", "a.id", "m.away_team_id")
    .where({ "m.league_code": league, "s.name": season })
    .orderBy(["m.match_date", "h.name", "a.name"])
    .select(
      "m.id",
      "m.match_date as date",
      "m.kickoff_at as kickoff",
      "m.matchday",
      "h.name as home",
      "a.name as away",
      "m.status",
      "m.home_goals",
      "m.away_goals",
      "m.source",
      "m.source_id",
      "m.awarded",
      ...SHOT_COLUMNS.map((column) => `m.${column}`),
      ...CLOSING_ODDS_COLUMNS.map((column) => `m.${column}`),
    );
}

/** The stored 2026-27 row of each match of an openfootball file, found through the alias table as the importer finds it. */
export async function storedRows(db: Database, league: string, file: OpenfootballFile): Promise<(match: OpenfootballMatch) => MatchRow> {
  const rows = await seasonMatches(db, league, "2026-2027");
  const teams = await findTeamsByName(db, file.matches.flatMap((match) => [match.team1, match.team2]));
  const team = (name: string) => teams.get(teamNameKey(name))?.name;
  return (match) => {
    const row = rows.find((r) => r.home === team(match.team1) && r.away === team(match.team2));
    assert.ok(row, `${match.team1} v ${match.team2} is stored`);
    return row;
  };
}

export const played = (rows: MatchRow[]) => rows.filter((row) => row.status === "played");

/** The calendar date of NOW in London, the EPL's zone. */
export const TODAY = localDate(NOW, "Europe/London");
