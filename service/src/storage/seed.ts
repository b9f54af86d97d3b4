import type { Knex } from "knex";
import { teamNameKey } from "../domain/teamNames";
import {
  type HistoricalMatch,
  type LeagueInfo,
  SHIPPED_LEAGUES,
  loadHistoricalResults,
} from "../data/historicalResults";
import type { Database } from "./db";
import { insertAuditEntry } from "./repositories/audit";
import { insertRefitRequest } from "./repositories/refitRequests";

export interface SeedSummary {
  leaguesAdded: number;
  seasonsAdded: number;
  teamsAdded: number;
  matchesAdded: number;
  /** Scheduled fixtures whose result the shipped data now holds. */
  resultsFilled: number;
  /** Played matches stored without shots (e.g. seeded before shots were shipped) that now have them. */
  shotsFilled: number;
  /** Leagues whose played matches changed, for which a refit was requested (reason `stats` when only shots were filled). */
  leaguesChanged: string[];
}

// pg sends null elements as SQL NULLs; knex's binding types only know arrays without nulls.
const nullableInts = (values: Array<number | null>) => values as number[];

/** The shipped results as column arrays, so one statement can insert them all through `unnest`. */
function asColumns(matches: readonly HistoricalMatch[]) {
  return [
    matches.map((m) => m.league),
    matches.map((m) => m.season),
    matches.map((m) => m.date),
    matches.map((m) => teamNameKey(m.homeTeam)),
    matches.map((m) => teamNameKey(m.awayTeam)),
    matches.map((m) => m.homeGoals),
    matches.map((m) => m.awayGoals),
    nullableInts(matches.map((m) => m.shots?.home ?? null)),
    nullableInts(matches.map((m) => m.shots?.away ?? null)),
    nullableInts(matches.map((m) => m.shotsOnTarget?.home ?? null)),
    nullableInts(matches.map((m) => m.shotsOnTarget?.away ?? null)),
  ];
}

const SHIPPED_ROWS = `unnest(?::text[], ?::text[], ?::date[], ?::text[], ?::text[], ?::int[], ?::int[],
    ?::int[], ?::int[], ?::int[], ?::int[])
  AS v(league, season, match_date, home_key, away_key, home_goals, away_goals,
    home_shots, away_shots, home_shots_on_target, away_shots_on_target)
  JOIN seasons s ON s.league_code = v.league AND s.name = v.season
  JOIN team_aliases ha ON ha.name_key = v.home_key
  JOIN teams ht ON ht.id = ha.team_id
  JOIN team_aliases aa ON aa.name_key = v.away_key
  JOIN teams at ON at.id = aa.team_id`;

async function addLeagues(trx: Knex.Transaction, leagues: readonly LeagueInfo[]): Promise<number> {
  const added = await trx("leagues")
    .insert(leagues.map((league) => ({ code: league.code, name: league.name, country: league.country })))
    .onConflict("code")
    .ignore()
    .returning("code");
  return added.length;
}

// Rows are filtered with NOT EXISTS before inserting, so a re-run draws no ids from the sequences either.
async function addSeasons(trx: Knex.Transaction, matches: readonly HistoricalMatch[]): Promise<number> {
  const pairs = [...new Set(matches.map((m) => `${m.league}\u0000${m.season}`))].map((pair) => pair.split("\u0000"));
  const result = await trx.raw(
    `INSERT INTO seasons (league_code, name)
     SELECT v.league, v.name FROM unnest(?::text[], ?::text[]) AS v(league, name)
     WHERE NOT EXISTS (SELECT 1 FROM seasons s WHERE s.league_code = v.league AND s.name = v.name)
     ON CONFLICT DO NOTHING`,
    [pairs.map(([league]) => league), pairs.map(([, name]) => name)],
  );
  return result.rowCount ?? 0;
}

/** Names resolve through their key, as everywhere; only names no team or alias has yet become teams. */
async function addTeams(trx: Knex.Transaction, matches: readonly HistoricalMatch[]): Promise<number> {
  const names = [...new Set(matches.flatMap((m) => [m.homeTeam, m.awayTeam]))];
  const result = await trx.raw(
    `WITH added AS (
       INSERT INTO teams (name, name_key)
       SELECT v.name, v.name_key FROM unnest(?::text[], ?::text[]) AS v(name, name_key)
       WHERE NOT EXISTS (SELECT 1 FROM team_aliases a WHERE a.name_key = v.name_key)
       ON CONFLICT DO NOTHING
       RETURNING id, name, name_key)
     INSERT INTO team_aliases (name_key, team_id, name, created_by)
     SELECT name_key, id, name, 'team' FROM added`,
    [names, names.map(teamNameKey)],
  );
  return result.rowCount ?? 0;
}

async function addMatches(trx: Knex.Transaction, matches: readonly HistoricalMatch[]): Promise<string[]> {
  const result = await trx.raw(
    `INSERT INTO matches
         (league_code, season_id, match_date, home_team_id, away_team_id, status, home_goals, away_goals,
        home_shots, away_shots, home_shots_on_target, away_shots_on_target)
     SELECT v.league, s.id, v.match_date, ht.id, at.id, 'played', v.home_goals, v.away_goals,
       v.home_shots, v.away_shots, v.home_shots_on_target, v.away_shots_on_target
     FROM ${SHIPPED_ROWS}
     WHERE NOT EXISTS (
       SELECT 1 FROM matches m WHERE m.league_code = v.league AND m.season_id = s.id AND m.match_date = v.match_date
         AND m.home_team_id = ht.id AND m.away_team_id = at.id)
     ON CONFLICT DO NOTHING
     RETURNING league_code`,
    asColumns(matches),
  );
  return (result.rows as Array<{ league_code: string }>).map((row) => row.league_code);
}

// Results recorded through the API are audited and win over the shipped file: only scheduled fixtures are filled.
async function fillResults(trx: Knex.Transaction, matches: readonly HistoricalMatch[]): Promise<string[]> {
  const result = await trx.raw(
    `UPDATE matches m
     SET status = 'played', home_goals = v.home_goals, away_goals = v.away_goals, home_shots = v.home_shots,
       away_shots = v.away_shots, home_shots_on_target = v.home_shots_on_target,
       away_shots_on_target = v.away_shots_on_target, updated_at = now()
     FROM ${SHIPPED_ROWS}
     WHERE m.league_code = v.league AND m.season_id = s.id AND m.match_date = v.match_date
       AND m.home_team_id = ht.id AND m.away_team_id = at.id AND m.status = 'scheduled'
     RETURNING m.league_code`,
    asColumns(matches),
  );
  return (result.rows as Array<{ league_code: string }>).map((row) => row.league_code);
}

// Shots describe the match whoever recorded its score, so they are added to played matches that lack them
// (stored before shots were shipped); shots already stored are never replaced.
async function fillShots(trx: Knex.Transaction, matches: readonly HistoricalMatch[]): Promise<string[]> {
  const result = await trx.raw(
    `UPDATE matches m
     SET home_shots = coalesce(m.home_shots, v.home_shots), away_shots = coalesce(m.away_shots, v.away_shots),
       home_shots_on_target = coalesce(m.home_shots_on_target, v.home_shots_on_target),
       away_shots_on_target = coalesce(m.away_shots_on_target, v.away_shots_on_target), updated_at = now()
     FROM ${SHIPPED_ROWS}
     WHERE m.league_code = v.league AND m.season_id = s.id AND m.match_date = v.match_date
       AND m.home_team_id = ht.id AND m.away_team_id = at.id AND m.status = 'played'
       AND ((m.home_shots IS NULL AND v.home_shots IS NOT NULL)
         OR (m.home_shots_on_target IS NULL AND v.home_shots_on_target IS NOT NULL))
     RETURNING m.league_code`,
    asColumns(matches),
  );
  return (result.rows as Array<{ league_code: string }>).map((row) => row.league_code);
}

/**
 * Loads the shipped leagues and results in one transaction. Idempotent: a second run inserts and updates
 * nothing, writes no audit row and requests no refit.
 */
export async function seedHistoricalResults(
  db: Database,
  matches: readonly HistoricalMatch[] = loadHistoricalResults(),
  leagues: readonly LeagueInfo[] = SHIPPED_LEAGUES,
): Promise<SeedSummary> {
  return db.transaction(async (trx) => {
    const leaguesAdded = await addLeagues(trx, leagues);
    const seasonsAdded = await addSeasons(trx, matches);
    const teamsAdded = await addTeams(trx, matches);
    const added = await addMatches(trx, matches);
    const filled = await fillResults(trx, matches);
    const shotsFilled = await fillShots(trx, matches);
    const leaguesChanged = [...new Set([...added, ...filled, ...shotsFilled])].sort();
    const summary = {
      leaguesAdded,
      seasonsAdded,
      teamsAdded,
      matchesAdded: added.length,
      resultsFilled: filled.length,
      shotsFilled: shotsFilled.length,
      leaguesChanged,
    };
    for (const league of leaguesChanged) {
      const reason = added.includes(league) || filled.includes(league) ? "result" : "stats";
      await insertRefitRequest(trx, { league, reason, requestedBy: "seed" });
    }
    if (leaguesAdded + seasonsAdded + teamsAdded + added.length + filled.length + shotsFilled.length > 0) {
      await insertAuditEntry(trx, {
        actor: "seed",
        action: "seed.import",
        entityType: "dataset",
        entityId: "matches.csv",
        before: null,
        after: summary,
        requestId: "seed",
      });
    }
    return summary;
  });
}
