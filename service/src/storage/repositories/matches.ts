import type { Knex } from "knex";
import type { ClosingOdds, ClosingOddsSource } from "../../domain/closingOdds";
import type { MatchResult, SideCounts } from "../../domain/types";
import type { Team } from "./teams";

/** `postponed` and `cancelled` matches have no score; a postponed one becomes `scheduled` again once re-dated. */
export type MatchStatus = "scheduled" | "played" | "postponed" | "cancelled";

export interface Match {
  id: number;
  league: string;
  season: string;
  date: string;
  /** The kick-off instant (ISO 8601, UTC) when the source gives a time; null when only the date is known. */
  kickoff: string | null;
  /** The match day (round) of the season, when the source numbers them. */
  matchday: number | null;
  homeTeam: Team;
  awayTeam: Team;
  status: MatchStatus;
  /** Null until a result is recorded. */
  score: { home: number; away: number } | null;
  /** Shots and shots on target of a played match, where its source has them; otherwise null. */
  shots: SideCounts | null;
  shotsOnTarget: SideCounts | null;
}

export interface MatchCursor {
  date: string;
  id: number;
}

export interface MatchFilter {
  league?: string;
  season?: string;
  teamId?: number;
  from?: string;
  to?: string;
  status?: MatchStatus;
  order: "asc" | "desc";
  after?: MatchCursor;
  limit: number;
}

export interface MatchRow {
  id: number;
  league_code: string;
  season: string;
  match_date: string;
  /** As JSON writes a Date (ISO 8601, UTC, milliseconds): see KICKOFF_AS_JSON. */
  kickoff_at: string | null;
  matchday: number | null;
  home_team_id: number;
  home_team: string;
  away_team_id: number;
  away_team: string;
  status: MatchStatus;
  home_goals: number | null;
  away_goals: number | null;
  home_shots: number | null;
  away_shots: number | null;
  home_shots_on_target: number | null;
  away_shots_on_target: number | null;
}

export const SHOT_COLUMNS = ["home_shots", "away_shots", "home_shots_on_target", "away_shots_on_target"] as const;

export const CLOSING_ODDS_COLUMNS = ["home_closing_odds", "draw_closing_odds", "away_closing_odds", "closing_odds_source"] as const;

export interface ClosingOddsRow {
  home_closing_odds: number | null;
  draw_closing_odds: number | null;
  away_closing_odds: number | null;
  closing_odds_source: ClosingOddsSource | null;
}

/** The stored closing odds (the schema keeps the four columns all null or all set). */
export const closingOddsOf = (row: ClosingOddsRow): ClosingOdds | null =>
  row.home_closing_odds === null ||
  row.draw_closing_odds === null ||
  row.away_closing_odds === null ||
  row.closing_odds_source === null
    ? null
    : { home: row.home_closing_odds, draw: row.draw_closing_odds, away: row.away_closing_odds, source: row.closing_odds_source };

/** The four columns of closing odds, or nulls. */
export const closingOddsColumns = (odds: ClosingOdds | null): ClosingOddsRow => ({
  home_closing_odds: odds?.home ?? null,
  draw_closing_odds: odds?.draw ?? null,
  away_closing_odds: odds?.away ?? null,
  closing_odds_source: odds?.source ?? null,
});

/** A per-side pair of nullable columns (the schema keeps both null or both set). */
export const sidePair = (home: number | null, away: number | null): SideCounts | null =>
  home === null || away === null ? null : { home, away };

/**
 * The kick-off formatted by PostgreSQL as JSON writes a Date: pg would parse each into a Date (0.9 µs) for toMatch
 * to format again (0.9 µs), for every match an uncached prediction, a fixtures page or the catalogue's copy reads.
 */
const KICKOFF_AS_JSON = `to_char(m.kickoff_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as kickoff_at`;

export function matchesWithNames(db: Knex) {
  return db("matches as m")
    .join("seasons as s", "s.id", "m.season_id")
    .join("teams as ht", "ht.id", "m.home_team_id")
    .join("teams as at", "at.id", "m.away_team_id")
    .select(
      "m.id",
      "m.league_code",
      "s.name as season",
      "m.match_date",
      db.raw(KICKOFF_AS_JSON),
      "m.matchday",
      "m.home_team_id",
      "ht.name as home_team",
      "m.away_team_id",
      "at.name as away_team",
      "m.status",
      "m.home_goals",
      "m.away_goals",
      ...SHOT_COLUMNS.map((column) => `m.${column}`),
    );
}

export function toMatch(row: MatchRow): Match {
  return {
    id: row.id,
    league: row.league_code,
    season: row.season,
    date: row.match_date,
    kickoff: row.kickoff_at,
    matchday: row.matchday,
    homeTeam: { id: row.home_team_id, name: row.home_team },
    awayTeam: { id: row.away_team_id, name: row.away_team },
    status: row.status,
    score: sidePair(row.home_goals, row.away_goals),
    shots: sidePair(row.home_shots, row.away_shots),
    shotsOnTarget: sidePair(row.home_shots_on_target, row.away_shots_on_target),
  };
}

/** Every stored match (some tens of thousands: a few MB as objects). */
export async function listAllMatches(db: Knex): Promise<Match[]> {
  const rows: MatchRow[] = await matchesWithNames(db);
  return rows.map(toMatch);
}

export async function listMatches(db: Knex, filter: MatchFilter): Promise<Match[]> {
  const query = matchesWithNames(db)
    .orderBy([
      { column: "m.match_date", order: filter.order },
      { column: "m.id", order: filter.order },
    ])
    .limit(filter.limit);
  if (filter.league !== undefined) query.where("m.league_code", filter.league);
  if (filter.season !== undefined) query.where("s.name", filter.season);
  if (filter.status !== undefined) query.where("m.status", filter.status);
  if (filter.from !== undefined) query.where("m.match_date", ">=", filter.from);
  if (filter.to !== undefined) query.where("m.match_date", "<=", filter.to);
  const { teamId } = filter;
  if (teamId !== undefined) {
    query.where((side) => side.where("m.home_team_id", teamId).orWhere("m.away_team_id", teamId));
  }
  if (filter.after !== undefined) {
    const comparison = filter.order === "asc" ? ">" : "<";
    query.whereRaw(`(m.match_date, m.id) ${comparison} (?::date, ?)`, [filter.after.date, filter.after.id]);
  }
  const rows: MatchRow[] = await query;
  return rows.map(toMatch);
}

/**
 * The statement of findMatches (and of findMatch, a batch of one), compiled on first use: knex's builder costs about
 * as much of the service's CPU as the round trip to PostgreSQL (with `whereIn`'s parameter per id, about 5 µs per
 * request at 27 requests a batch; 2026-12-07). The ids go in one array parameter, so the SQL is the same for every
 * call, and every Database speaks PostgreSQL (the embedded one included).
 */
let findMatchesSql: string | undefined;

/** The matches with these ids, by id; ids that do not exist are absent. */
export async function findMatches(db: Knex, ids: readonly number[]): Promise<Map<number, Match>> {
  if (ids.length === 0) return new Map();
  findMatchesSql ??= matchesWithNames(db).whereRaw("m.id = any(?::integer[])", ["{}"]).toSQL().sql;
  // A PostgreSQL array literal: knex would spread a JavaScript array into one parameter per element.
  const { rows }: { rows: MatchRow[] } = await db.raw(findMatchesSql, [`{${ids.join(",")}}`]);
  return new Map(rows.map((row) => [row.id, toMatch(row)]));
}

/** One match, read as findMatches reads a batch; every uncached GET /matches/:id is this read. */
export async function findMatch(db: Knex, id: number): Promise<Match | undefined> {
  return (await findMatches(db, [id])).get(id);
}

/** Locks the match row until the transaction ends, so concurrent result writes apply one after the other. */
export async function findMatchForUpdate(trx: Knex.Transaction, id: number): Promise<Match | undefined> {
  const locked = await trx("matches").select("id").where({ id }).forUpdate().first();
  return locked === undefined ? undefined : findMatch(trx, id);
}

export interface NewFixture {
  league: string;
  seasonId: number;
  date: string;
  homeTeamId: number;
  awayTeamId: number;
}

/** Inserts a scheduled match; returns undefined when the same fixture already exists. */
export async function insertFixture(db: Knex, fixture: NewFixture): Promise<number | undefined> {
  const rows: Array<{ id: number }> = await db("matches")
    .insert({
      league_code: fixture.league,
      season_id: fixture.seasonId,
      match_date: fixture.date,
      home_team_id: fixture.homeTeamId,
      away_team_id: fixture.awayTeamId,
      status: "scheduled",
    })
    .onConflict(["league_code", "season_id", "match_date", "home_team_id", "away_team_id"])
    .ignore()
    .returning("id");
  return rows[0]?.id;
}

export async function setResult(db: Knex, id: number, score: { home: number; away: number }): Promise<void> {
  await db("matches")
    .where({ id })
    .update({ status: "played", home_goals: score.home, away_goals: score.away, updated_at: db.fn.now() });
}

/**
 * The league's played matches in date order, with their season, their shots and closing odds where known, as the
 * model fits them and the backtest scores them (results awarded by the league left out).
 */
export async function playedResults(
  db: Knex,
  league: string,
): Promise<Array<MatchResult & { season: string; closingOdds: ClosingOdds | null }>> {
  const rows: Array<
    { season: string; date: string; home: string; away: string; home_goals: number; away_goals: number } & Pick<
      MatchRow,
      (typeof SHOT_COLUMNS)[number]
    > &
      ClosingOddsRow
  > = await db("matches as m")
    .join("seasons as s", "s.id", "m.season_id")
    .join("teams as ht", "ht.id", "m.home_team_id")
    .join("teams as at", "at.id", "m.away_team_id")
    .select(
      "s.name as season",
      "m.match_date as date",
      "ht.name as home",
      "at.name as away",
      "m.home_goals",
      "m.away_goals",
      ...SHOT_COLUMNS.map((column) => `m.${column}`),
      ...CLOSING_ODDS_COLUMNS.map((column) => `m.${column}`),
    )
    // An awarded result stands in the table but says nothing about how the teams play.
    .where({ "m.league_code": league, "m.status": "played", "m.awarded": false })
    .orderBy([{ column: "m.match_date" }, { column: "m.id" }]);
  return rows.map((row) => ({
    season: row.season,
    date: row.date,
    homeTeam: row.home,
    awayTeam: row.away,
    homeGoals: row.home_goals,
    awayGoals: row.away_goals,
    shots: sidePair(row.home_shots, row.away_shots),
    shotsOnTarget: sidePair(row.home_shots_on_target, row.away_shots_on_target),
    closingOdds: closingOddsOf(row),
  }));
}
