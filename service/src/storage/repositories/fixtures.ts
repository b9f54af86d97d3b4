import type { Knex } from "knex";
import { type Match, type MatchRow, matchesWithNames, toMatch } from "./matches";

/**
 * The instant a match stops being a forecast: its kick-off, or the start of its date (UTC) when the source gives
 * only the date, so that nothing stored as a pre-match prediction can have been made while the match was on.
 */
export const KICKOFF_SQL = "coalesce(m.kickoff_at, m.match_date::timestamp AT TIME ZONE 'UTC')";

/** The same instant as KICKOFF_SQL, for a match already read. */
export const kickoffOf = (match: Match): Date => new Date(match.kickoff ?? `${match.date}T00:00:00Z`);

/** Without match-day numbers a round is its first date and the days after it up to this many (Friday to Monday). */
export const ROUND_WINDOW_DAYS = 3;

const IN_KICKOFF_ORDER = `${KICKOFF_SQL}, m.league_code, m.id`;

async function fixtures(query: Knex.QueryBuilder): Promise<Match[]> {
  const rows: MatchRow[] = await query.orderByRaw(IN_KICKOFF_ORDER);
  return rows.map(toMatch);
}

/** A league's scheduled matches that have not kicked off at `now`, in kick-off order. */
export function upcomingMatches(db: Knex, league: string, now: Date): Promise<Match[]> {
  return fixtures(
    matchesWithNames(db)
      .where({ "m.league_code": league, "m.status": "scheduled" })
      .whereRaw(`${KICKOFF_SQL} > ?`, [now]),
  );
}

/**
 * The next match day of every league (or of `league`): the scheduled matches still to kick off that share the
 * round of the league's next kick-off, by match-day number, or by ROUND_WINDOW_DAYS where the source numbers none.
 * The round of the next kick-off rather than the lowest number, so a match postponed to a later month does not
 * stand for a whole match day.
 */
export function nextMatchDays(db: Knex, league: string | undefined, now: Date): Promise<Match[]> {
  const upcoming = db("matches as m")
    .select("m.id", "m.league_code", "m.matchday", "m.match_date", db.raw(`${KICKOFF_SQL} AS kickoff`))
    .where("m.status", "scheduled")
    .whereRaw(`${KICKOFF_SQL} > ?`, [now]);
  if (league !== undefined) upcoming.where("m.league_code", league);
  const inNextRound = db
    .with("upcoming", upcoming)
    .with("next", (next) =>
      next
        .from("upcoming")
        .distinctOn("league_code")
        .select("league_code", "matchday", "match_date")
        .orderBy([{ column: "league_code" }, { column: "kickoff" }, { column: "id" }]),
    )
    .from("upcoming as u")
    .join("next as n", "n.league_code", "u.league_code")
    .select("u.id")
    .whereRaw("(n.matchday IS NOT NULL AND u.matchday = n.matchday)")
    .orWhereRaw(`(n.matchday IS NULL AND u.match_date BETWEEN n.match_date AND n.match_date + ${ROUND_WINDOW_DAYS})`);
  return fixtures(matchesWithNames(db).whereIn("m.id", inNextRound));
}

/** Every match dated within [from, to] (any status), of one league or all, in kick-off order. */
export function matchesBetween(db: Knex, range: { league?: string; from: string; to: string }): Promise<Match[]> {
  const query = matchesWithNames(db).whereBetween("m.match_date", [range.from, range.to]);
  if (range.league !== undefined) query.where("m.league_code", range.league);
  return fixtures(query);
}
