import type { Knex } from "knex";
import type { MatchPrediction } from "../../domain/types";
import { type Match, type MatchRow, matchesWithNames, toMatch } from "./matches";
import { type StoredPrediction, asPrediction } from "./predictions";

/**
 * The instant a match stops being a forecast: its kick-off, or the start of its date (UTC) when the source gives
 * only the date, so that nothing stored as a pre-match prediction can have been made while the match was on.
 */
const KICKOFF_SQL = "coalesce(m.kickoff_at, m.match_date::timestamp AT TIME ZONE 'UTC')";

/** The same instant as KICKOFF_SQL, for a match already read. */
export const kickoffOf = (match: Match): Date => new Date(match.kickoff ?? `${match.date}T00:00:00Z`);

/** Without match-day numbers a round is its first date and the days after it up to this many (Friday to Monday). */
export const ROUND_WINDOW_DAYS = 3;

/**
 * Scheduled and still to kick off at the instant bound to its `?`: the SQL twin of predictionService's isUpcoming,
 * and the line between a forecast and the record of one.
 */
const UPCOMING_SQL = `(m.status = 'scheduled' AND ${KICKOFF_SQL} > ?)`;

const IN_KICKOFF_ORDER = `${KICKOFF_SQL}, m.league_code, m.id`;

/** A league's scheduled matches that have not kicked off at `now`, in kick-off order. */
export async function upcomingMatches(db: Knex, league: string, now: Date): Promise<Match[]> {
  const rows: MatchRow[] = await matchesWithNames(db)
    .where("m.league_code", league)
    .whereRaw(UPCOMING_SQL, [now])
    .orderByRaw(IN_KICKOFF_ORDER);
  return rows.map(toMatch);
}

/** The instant a page is read at, and the model versions in use then (one per league). */
export interface PageRead {
  now: Date;
  versions: readonly number[];
}

/** A fixtures page's match with the prediction stored for it, if any. */
export interface StoredFixture {
  match: Match;
  /** For a match still to kick off: its prediction by the version in use, when stored. */
  forecast: MatchPrediction | null;
  /** For any other: the last prediction stored before it kicked off, with the model that made it. */
  record: StoredPrediction | null;
}

interface StoredFixtureRow extends MatchRow {
  forecast: MatchPrediction | null;
  record: MatchPrediction | null;
  record_version: number | null;
  record_model: string | null;
  record_fitted_at: Date | null;
  record_data_from: string | null;
  record_data_to: string | null;
}

/**
 * The matches `query` selects with their stored predictions (see StoredFixture), in kick-off order, in one statement:
 * a page costs the service one round trip to PostgreSQL however many matches it lists. A stored prediction's version
 * is always of its match's league, so every league's version in use can be asked for at once.
 */
async function withStoredPredictions(query: Knex.QueryBuilder, read: PageRead): Promise<StoredFixture[]> {
  const inUse =
    read.versions.length === 0 ? "false" : `f.model_version_id IN (${read.versions.map(() => "?").join(", ")})`;
  const rows: StoredFixtureRow[] = await query
    .joinRaw(
      `LEFT JOIN LATERAL (SELECT f.details FROM predictions f
        WHERE ${UPCOMING_SQL} AND f.match_id = m.id AND ${inUse} LIMIT 1) fc ON true`,
      [read.now, ...read.versions],
    )
    .joinRaw(
      `LEFT JOIN LATERAL (SELECT r.details, v.id AS version, v.parameters->>'model' AS model, v.fitted_at,
          v.data_from, v.data_to
        FROM predictions r JOIN model_versions v ON v.id = r.model_version_id
        WHERE NOT ${UPCOMING_SQL} AND r.match_id = m.id AND r.created_at < ${KICKOFF_SQL}
        ORDER BY r.created_at DESC, r.id DESC LIMIT 1) rec ON true`,
      [read.now],
    )
    .select(
      "fc.details as forecast",
      "rec.details as record",
      "rec.version as record_version",
      "rec.model as record_model",
      "rec.fitted_at as record_fitted_at",
      "rec.data_from as record_data_from",
      "rec.data_to as record_data_to",
    )
    .orderByRaw(IN_KICKOFF_ORDER);
  return rows.map((row) => ({
    match: toMatch(row),
    forecast: row.forecast === null ? null : asPrediction(row.forecast),
    record:
      row.record === null
        ? null
        : {
            prediction: asPrediction(row.record),
            model: {
              version: row.record_version as number,
              name: row.record_model,
              fittedAt: row.record_fitted_at as Date,
              dataFrom: row.record_data_from as string,
              dataTo: row.record_data_to as string,
            },
          },
  }));
}

/**
 * The next match day of every league (or of `league`): the scheduled matches still to kick off that share the
 * round of the league's next kick-off, by match-day number, or by ROUND_WINDOW_DAYS where the source numbers none.
 * The round of the next kick-off rather than the lowest number, so a match postponed to a later month does not
 * stand for a whole match day.
 */
export function nextMatchDays(db: Knex, league: string | undefined, read: PageRead): Promise<StoredFixture[]> {
  const upcoming = db("matches as m")
    .select("m.id", "m.league_code", "m.matchday", "m.match_date", db.raw(`${KICKOFF_SQL} AS kickoff`))
    .whereRaw(UPCOMING_SQL, [read.now]);
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
  return withStoredPredictions(matchesWithNames(db).whereIn("m.id", inNextRound), read);
}

/** Every match dated within [from, to] (any status), of one league or all. */
export function matchesBetween(
  db: Knex,
  range: { league?: string; from: string; to: string },
  read: PageRead,
): Promise<StoredFixture[]> {
  const query = matchesWithNames(db).whereBetween("m.match_date", [range.from, range.to]);
  if (range.league !== undefined) query.where("m.league_code", range.league);
  return withStoredPredictions(query, read);
}
