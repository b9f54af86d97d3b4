import { teamNameKey } from "../../domain/teamNames";
import { isCalendarDate, localKickoff } from "../seasons";
import type { Feed, ParsedFeed, RecordProblem, SourceRow } from "../types";
import { jsonMatchList, readRecords } from "./matchList";

/**
 * openfootball's football.json (public domain): `{ name, matches: [{ round, date, time?, team1, team2, score?,
 * status? }] }`, one file per league and season. Its records have no ids, so a record is known by its season and
 * pairing (each ordered pairing is played once a season), which survives re-dating. How each oddity of the real files
 * is read (service/data/openfootball/SOURCE.md lists them):
 * - `score: {}`, no `score` at all, or only `ht`: no result yet;
 * - `ft` without `ht`: the full-time result (the half-time score is not used);
 * - a bare two-number list, `score: [0, 0]`: the full-time result. All ten in the 2026-27 files are 0-0, dated inside
 *   the span of the files' other results, and none of those 116 `ft` scores is 0-0 where about 8% of games end so:
 *   they are the 0-0 draws written another way. Should one be dated in the future, the gate quarantines it;
 * - `status: "postponed"` (no time, no score): postponed; `"awarded"`: the awarded score stands, marked awarded;
 * - no `time`: the date is known, the kick-off instant is not;
 * - rounds out of order: the round is stored as the match day, the order of the list does not matter.
 */
export function parseOpenfootball(text: string, feed: Feed): ParsedFeed {
  return readRecords(jsonMatchList(text, "an openfootball file"), (raw, index) => toRow(raw, index, feed));
}

interface OpenfootballMatch {
  round?: unknown;
  date?: unknown;
  time?: unknown;
  team1?: unknown;
  team2?: unknown;
  score?: unknown;
  status?: unknown;
}

const isName = (value: unknown): value is string => typeof value === "string" && value.trim() !== "";

function toRow(raw: unknown, index: number, feed: Feed): SourceRow | RecordProblem {
  const record = (raw ?? {}) as OpenfootballMatch;
  const recordKey =
    isName(record.team1) && isName(record.team2)
      ? `${feed.season}:${teamNameKey(record.team1)}:${teamNameKey(record.team2)}`
      : `${feed.season}:#${index}`;
  const problem = (code: RecordProblem["code"], reason: string): RecordProblem => ({ recordKey, code, reason, raw });
  if (typeof raw !== "object" || raw === null) return problem("schema", `match ${index + 1} is not an object`);
  if (!isName(record.team1) || !isName(record.team2)) return problem("schema", "team1 and team2 must be names");
  if (typeof record.date !== "string" || !isCalendarDate(record.date)) {
    return problem("invalid_date", `date ${JSON.stringify(record.date)} is not a calendar date yyyy-mm-dd`);
  }
  if (record.time !== undefined && (typeof record.time !== "string" || !/^([01]\d|2[0-3]):[0-5]\d$/.test(record.time))) {
    return problem("schema", `time ${JSON.stringify(record.time)} is not hh:mm`);
  }
  const status = record.status;
  if (status !== undefined && !["postponed", "awarded", "cancelled", "canceled"].includes(status as string)) {
    return problem("schema", `status ${JSON.stringify(status)} is not postponed, awarded or cancelled`);
  }
  const score = fullTime(record.score);
  if (typeof score === "string") return problem(score.startsWith("score") ? "invalid_score" : "schema", score);
  const matchday = /^Matchday (\d{1,2})$/.exec(typeof record.round === "string" ? record.round : "")?.[1];
  const base = {
    recordKey,
    sourceId: null,
    date: record.date,
    kickoff: typeof record.time === "string" ? localKickoff(record.date, record.time, feed.timeZone) : null,
    matchday: matchday === undefined ? null : Number(matchday),
    homeName: record.team1.trim(),
    awayName: record.team2.trim(),
    // football.json carries results only: no shots, no odds.
    shots: null,
    shotsOnTarget: null,
    closingOdds: null,
    raw,
  };
  if (status === "postponed" || status === "cancelled" || status === "canceled") {
    return { ...base, status: status === "postponed" ? "postponed" : "cancelled", score: null, awarded: false };
  }
  if (score === null) {
    if (status === "awarded") return problem("invalid_score", "an awarded match needs its ft score");
    return { ...base, status: "scheduled", score: null, awarded: false };
  }
  return { ...base, status: "played", score, awarded: status === "awarded" };
}

/** The full-time score, null for none yet, or a message saying what is wrong with it. */
function fullTime(score: unknown): { home: number; away: number } | null | string {
  if (score === undefined || score === null) return null;
  if (Array.isArray(score)) return goals(score);
  if (typeof score !== "object") return `score ${JSON.stringify(score)} is neither an object nor a list`;
  const ft = (score as { ft?: unknown }).ft;
  return ft === undefined ? null : goals(ft);
}

function goals(pair: unknown): { home: number; away: number } | string {
  if (!Array.isArray(pair) || pair.length !== 2) return `score ${JSON.stringify(pair)} is not two numbers of goals`;
  const [home, away] = pair as unknown[];
  const valid = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 99;
  if (!valid(home) || !valid(away)) return `score ${JSON.stringify(pair)} is not two whole numbers from 0 to 99`;
  return { home: home as number, away: away as number };
}
