import type { ImportSource } from "../config";
import type { ClosingOdds } from "../domain/closingOdds";
import type { SideCounts } from "../domain/types";
import type { MatchStatus } from "../storage/repositories/matches";

export type { ImportSource } from "../config";

/** What "now" is: injectable, so tests (and a replay of an old import) decide what counts as the past. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** One league's season as one source publishes it. */
export interface Feed {
  league: string;
  season: string;
  source: ImportSource;
  /** The source's name for the league (`en.1`, `PL`, `E0`). */
  code: string;
  /** Where kick-off times without a zone are local, and the league's dates are reckoned. */
  timeZone: string;
}

/** A fixture or result as a source states it, before its team names are resolved. */
export interface SourceRow {
  /** The record's identity in the source, stable when it is re-dated: the source's id, or season and pairing. */
  recordKey: string;
  /** The source's own match id, when it has one (football-data.org). */
  sourceId: string | null;
  /** The league-local calendar date, yyyy-mm-dd. */
  date: string;
  /** The kick-off instant, when the source gives a time. */
  kickoff: Date | null;
  matchday: number | null;
  homeName: string;
  awayName: string;
  status: MatchStatus;
  score: { home: number; away: number } | null;
  /** The league awarded the result (a forfeit); it stands in the table but was not played out. */
  awarded: boolean;
  /**
   * Shots and shots on target per side, where the source carries them (football-data.co.uk's `HS`/`AS`,
   * `HST`/`AST`); null where it does not (openfootball, football-data.org's free tier) or left them empty.
   */
  shots: SideCounts | null;
  shotsOnTarget: SideCounts | null;
  /**
   * The bookmakers' closing odds, where the source carries them (football-data.co.uk's Pinnacle or market-average
   * closing prices); null elsewhere. Stored for the backtest's comparison; the model does not use them.
   */
  closingOdds: ClosingOdds | null;
  /** The record as fetched, for the quarantine. */
  raw: unknown;
}

/** Why a record cannot be imported as it is; `code` is stable (metrics, the quarantine command), `reason` says why. */
export interface RecordProblem {
  recordKey: string;
  code: RejectionCode;
  reason: string;
  raw: unknown;
  /** For `unknown_team`: the names nothing resolves. */
  unknownNames?: string[];
}

export type RejectionCode =
  | "schema"
  | "invalid_date"
  | "invalid_score"
  | "invalid_shots"
  | "invalid_odds"
  | "future_result"
  | "duplicate_pairing"
  | "team_twice_a_day"
  | "same_team"
  | "unknown_team"
  | "result_withdrawn";

/** A source's records, parsed: rows to check, and the records its schema already refused. */
export interface ParsedFeed {
  rows: SourceRow[];
  problems: RecordProblem[];
}

/** A whole response that cannot be read (not JSON, no match list, a CSV without its columns). */
export class FeedError extends Error {
  override name = "FeedError";
}
