import type { MatchStatus } from "../../storage/repositories/matches";
import { localDate, seasonStartYear } from "../seasons";
import type { Feed, ParsedFeed, RecordProblem, SourceRow } from "../types";
import { jsonMatchList, readRecords } from "./matchList";

/**
 * football-data.org's v4 API: `GET /competitions/{code}/matches?season={start year}` with the `X-Auth-Token`
 * header answers `{ competition, filters, resultSet, matches: [...] }`, each match with its `id`, `utcDate`,
 * `status`, `matchday`, `homeTeam`/`awayTeam` (`id`, `name`, `shortName`, `tla`) and `score` (`fullTime` and
 * `halfTime` as `{ home, away }`, null until known).
 */
export function footballDataApiPath(feed: Feed): string {
  return `/competitions/${encodeURIComponent(feed.code)}/matches?season=${seasonStartYear(feed.season)}`;
}

/**
 * The documented statuses. `fullTime` is the running score while a match is `IN_PLAY` or `PAUSED`, so a result is
 * taken only once `FINISHED` (or `AWARDED`); a `SUSPENDED` match is to be completed later, like a postponed one.
 */
const STATUSES: Readonly<Record<string, MatchStatus | "awarded">> = {
  SCHEDULED: "scheduled",
  TIMED: "scheduled",
  IN_PLAY: "scheduled",
  PAUSED: "scheduled",
  FINISHED: "played",
  AWARDED: "awarded",
  POSTPONED: "postponed",
  SUSPENDED: "postponed",
  CANCELLED: "cancelled",
};

interface ApiMatch {
  id?: unknown;
  utcDate?: unknown;
  status?: unknown;
  matchday?: unknown;
  homeTeam?: { name?: unknown } | null;
  awayTeam?: { name?: unknown } | null;
  score?: { fullTime?: { home?: unknown; away?: unknown } | null } | null;
}

export function parseFootballDataApi(text: string, feed: Feed): ParsedFeed {
  return readRecords(jsonMatchList(text, "a football-data.org match list"), (raw, index) =>
    toRow((raw ?? {}) as ApiMatch, raw, index, feed),
  );
}

const isName = (value: unknown): value is string => typeof value === "string" && value.trim() !== "";
const isGoals = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 99;

function toRow(match: ApiMatch, raw: unknown, index: number, feed: Feed): SourceRow | RecordProblem {
  const hasId = typeof match.id === "number" && Number.isSafeInteger(match.id) && match.id > 0;
  const recordKey = hasId ? String(match.id) : `#${index}`;
  const problem = (code: RecordProblem["code"], reason: string): RecordProblem => ({ recordKey, code, reason, raw });
  if (!hasId) return problem("schema", `match ${index + 1} has no numeric id`);
  const homeName = match.homeTeam?.name;
  const awayName = match.awayTeam?.name;
  if (!isName(homeName) || !isName(awayName)) return problem("schema", "homeTeam.name and awayTeam.name must be names");
  const instant = typeof match.utcDate === "string" ? new Date(match.utcDate) : undefined;
  if (instant === undefined || Number.isNaN(instant.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(match.utcDate as string)) {
    return problem("invalid_date", `utcDate ${JSON.stringify(match.utcDate)} is not an ISO 8601 instant`);
  }
  const status = typeof match.status === "string" ? STATUSES[match.status] : undefined;
  if (status === undefined) return problem("schema", `status ${JSON.stringify(match.status)} is not a documented v4 status`);
  const matchday = typeof match.matchday === "number" && Number.isInteger(match.matchday) ? match.matchday : null;
  const base = {
    recordKey,
    sourceId: recordKey,
    date: localDate(instant, feed.timeZone),
    // SCHEDULED means the date is set but the time is not yet: its utcDate holds a placeholder time.
    kickoff: match.status === "SCHEDULED" ? null : instant,
    matchday,
    homeName: homeName.trim(),
    awayName: awayName.trim(),
    // Not read from this source: the free tier's matches carry no shot statistics or odds.
    shots: null,
    shotsOnTarget: null,
    closingOdds: null,
    raw,
  };
  if (status !== "played" && status !== "awarded") return { ...base, status, score: null, awarded: false };
  const home = match.score?.fullTime?.home;
  const away = match.score?.fullTime?.away;
  if (!isGoals(home) || !isGoals(away)) {
    return problem("invalid_score", `score.fullTime ${JSON.stringify(match.score?.fullTime)} is not two whole numbers from 0 to 99`);
  }
  return { ...base, status: "played", score: { home, away }, awarded: status === "awarded" };
}
