import { createHash } from "node:crypto";
import type { Knex } from "knex";
import type { ClosingOdds } from "../../domain/closingOdds";
import type { SideCounts } from "../../domain/types";
import {
  CLOSING_ODDS_COLUMNS,
  type ClosingOddsRow,
  type MatchStatus,
  SHOT_COLUMNS,
  closingOddsColumns,
  closingOddsOf,
  sidePair,
} from "./matches";

/** A match of one league's season as the importer compares it with a source's record. */
export interface StoredMatch {
  id: number;
  date: string;
  kickoff: Date | null;
  matchday: number | null;
  homeTeamId: number;
  awayTeamId: number;
  status: MatchStatus;
  score: { home: number; away: number } | null;
  awarded: boolean;
  shots: SideCounts | null;
  shotsOnTarget: SideCounts | null;
  closingOdds: ClosingOdds | null;
  source: string | null;
  sourceId: string | null;
}

interface StoredMatchRow extends ClosingOddsRow {
  id: number;
  match_date: string;
  kickoff_at: Date | null;
  matchday: number | null;
  home_team_id: number;
  away_team_id: number;
  status: MatchStatus;
  home_goals: number | null;
  away_goals: number | null;
  awarded: boolean;
  home_shots: number | null;
  away_shots: number | null;
  home_shots_on_target: number | null;
  away_shots_on_target: number | null;
  source: string | null;
  source_id: string | null;
}

const toStoredMatch = (row: StoredMatchRow): StoredMatch => ({
  id: row.id,
  date: row.match_date,
  kickoff: row.kickoff_at,
  matchday: row.matchday,
  homeTeamId: row.home_team_id,
  awayTeamId: row.away_team_id,
  status: row.status,
  score: sidePair(row.home_goals, row.away_goals),
  awarded: row.awarded,
  shots: sidePair(row.home_shots, row.away_shots),
  shotsOnTarget: sidePair(row.home_shots_on_target, row.away_shots_on_target),
  closingOdds: closingOddsOf(row),
  source: row.source,
  sourceId: row.source_id,
});

/** Every match of the league's season, locked until the transaction ends so two imports apply one after the other. */
export async function lockSeasonMatches(trx: Knex.Transaction, league: string, seasonId: number): Promise<StoredMatch[]> {
  const rows: StoredMatchRow[] = await trx("matches")
    .select(
      "id",
      "match_date",
      "kickoff_at",
      "matchday",
      "home_team_id",
      "away_team_id",
      "status",
      "home_goals",
      "away_goals",
      "awarded",
      ...SHOT_COLUMNS,
      ...CLOSING_ODDS_COLUMNS,
      "source",
      "source_id",
    )
    .where({ league_code: league, season_id: seasonId })
    .orderBy("id")
    .forUpdate();
  return rows.map(toStoredMatch);
}

/** The columns an import writes. */
export interface ImportedMatch {
  date: string;
  kickoff: Date | null;
  matchday: number | null;
  status: MatchStatus;
  score: { home: number; away: number } | null;
  awarded: boolean;
  shots: SideCounts | null;
  shotsOnTarget: SideCounts | null;
  closingOdds: ClosingOdds | null;
  source: string;
  sourceId: string;
}

const matchColumns = (match: ImportedMatch) => ({
  match_date: match.date,
  kickoff_at: match.kickoff,
  matchday: match.matchday,
  status: match.status,
  home_goals: match.score?.home ?? null,
  away_goals: match.score?.away ?? null,
  awarded: match.awarded,
  home_shots: match.shots?.home ?? null,
  away_shots: match.shots?.away ?? null,
  home_shots_on_target: match.shotsOnTarget?.home ?? null,
  away_shots_on_target: match.shotsOnTarget?.away ?? null,
  ...closingOddsColumns(match.closingOdds),
  source: match.source,
  source_id: match.sourceId,
});

export async function insertImportedMatch(
  trx: Knex.Transaction,
  match: ImportedMatch & { league: string; seasonId: number; homeTeamId: number; awayTeamId: number },
): Promise<number> {
  const [row]: Array<{ id: number }> = await trx("matches")
    .insert({
      league_code: match.league,
      season_id: match.seasonId,
      home_team_id: match.homeTeamId,
      away_team_id: match.awayTeamId,
      ...matchColumns(match),
    })
    .returning("id");
  return row.id;
}

export async function updateImportedMatch(trx: Knex.Transaction, id: number, match: ImportedMatch): Promise<void> {
  await trx("matches")
    .where({ id })
    .update({ ...matchColumns(match), updated_at: trx.fn.now() });
}

// ---------------------------------------------------------------------------------------------------------------
// Runs

export type ImportRunStatus = "succeeded" | "rejected" | "failed";

/** What one import of a league did with the records it fetched. */
export interface ImportCounts {
  league: string;
  season: string;
  source: string;
  status: ImportRunStatus;
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
}

export interface ImportRun extends ImportCounts {
  triggeredBy: string;
  startedAt: Date;
  finishedAt: Date;
  error: string | null;
  details: unknown;
}

export async function insertImportRun(db: Knex, run: ImportRun): Promise<number> {
  const [row]: Array<{ id: string }> = await db("import_runs")
    .insert({
      league_code: run.league,
      season: run.season,
      source: run.source,
      triggered_by: run.triggeredBy,
      started_at: run.startedAt,
      finished_at: run.finishedAt,
      status: run.status,
      fetched: run.fetched,
      inserted: run.inserted,
      updated: run.updated,
      unchanged: run.unchanged,
      quarantined: run.quarantined,
      error: run.error,
      details: run.details === null || run.details === undefined ? null : JSON.stringify(run.details),
    })
    .returning("id");
  return Number(row.id);
}

/** When each league last imported successfully from a live source (the shipped files a seed loads do not count). */
export async function lastSuccessfulImports(db: Knex): Promise<Map<string, Date>> {
  const rows: Array<{ league_code: string; at: Date }> = await db("import_runs")
    .select("league_code")
    .max("finished_at as at")
    .where("status", "succeeded")
    .whereNot("triggered_by", "seed")
    .groupBy("league_code");
  return new Map(rows.map((row) => [row.league_code, row.at]));
}

// ---------------------------------------------------------------------------------------------------------------
// Quarantine

export type QuarantineStatus = "open" | "accepted" | "discarded" | "resolved";

export interface QuarantinedRecord {
  league: string;
  season: string;
  source: string;
  recordKey: string;
  reasonCode: string;
  reason: string;
  raw: unknown;
  unknownNames?: string[];
}

export interface QuarantineEntry extends QuarantinedRecord {
  id: number;
  status: QuarantineStatus;
  firstSeenAt: Date;
  lastSeenAt: Date;
  seenCount: number;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  resolution: string | null;
}

interface QuarantineRow {
  id: number;
  league_code: string;
  season: string;
  source: string;
  record_key: string;
  reason_code: string;
  reason: string;
  raw: unknown;
  unknown_names: string[] | null;
  status: QuarantineStatus;
  first_seen_at: Date;
  last_seen_at: Date;
  seen_count: number;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution: string | null;
}

const toQuarantineEntry = (row: QuarantineRow): QuarantineEntry => ({
  id: row.id,
  league: row.league_code,
  season: row.season,
  source: row.source,
  recordKey: row.record_key,
  reasonCode: row.reason_code,
  reason: row.reason,
  raw: row.raw,
  ...(row.unknown_names === null ? {} : { unknownNames: row.unknown_names }),
  status: row.status,
  firstSeenAt: row.first_seen_at,
  lastSeenAt: row.last_seen_at,
  seenCount: row.seen_count,
  resolvedAt: row.resolved_at,
  resolvedBy: row.resolved_by,
  resolution: row.resolution,
});

export const fingerprintOf = (raw: unknown) => createHash("sha256").update(JSON.stringify(raw)).digest("hex");

/**
 * Quarantines the records of one feed's import and settles the feed's earlier open records: those missing from this
 * import (they passed the gate now, or left the source) are resolved. A record an operator discarded stays out
 * while the source keeps sending it unchanged. Returns how many records are quarantined (open) after the import.
 */
export async function quarantineRecords(
  trx: Knex.Transaction,
  feed: { league: string; season: string; source: string },
  records: readonly QuarantinedRecord[],
  now: Date,
): Promise<number> {
  const scope = { league_code: feed.league, season: feed.season, source: feed.source };
  const discarded = new Set(
    (await trx("import_quarantine").where({ ...scope, status: "discarded" }).select("record_key", "fingerprint")).map(
      (row: { record_key: string; fingerprint: string }) => `${row.record_key}\n${row.fingerprint}`,
    ),
  );
  const kept = records.filter((record) => !discarded.has(`${record.recordKey}\n${fingerprintOf(record.raw)}`));
  await trx("import_quarantine")
    .where({ ...scope, status: "open" })
    .whereNotIn(
      "record_key",
      kept.map((record) => record.recordKey),
    )
    .update({ status: "resolved", resolved_at: now, resolved_by: "importer", resolution: "no longer fails the gate" });
  for (const record of kept) {
    await trx.raw(
      `INSERT INTO import_quarantine (league_code, season, source, record_key, fingerprint, reason_code, reason, raw,
         unknown_names, status, first_seen_at, last_seen_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::text[], 'open', ?, ?)
       ON CONFLICT (source, league_code, season, record_key) WHERE status = 'open' DO UPDATE SET
         fingerprint = EXCLUDED.fingerprint, reason_code = EXCLUDED.reason_code, reason = EXCLUDED.reason,
         raw = EXCLUDED.raw, unknown_names = EXCLUDED.unknown_names, last_seen_at = EXCLUDED.last_seen_at,
         seen_count = import_quarantine.seen_count + 1`,
      [
        feed.league,
        feed.season,
        feed.source,
        record.recordKey,
        fingerprintOf(record.raw),
        record.reasonCode,
        record.reason,
        JSON.stringify(record.raw),
        record.unknownNames ?? null,
        now,
        now,
      ],
    );
  }
  return kept.length;
}

export async function listQuarantine(
  db: Knex,
  filter: { league?: string; status?: QuarantineStatus; limit: number },
): Promise<QuarantineEntry[]> {
  const query = db("import_quarantine").select("*").orderBy("id").limit(filter.limit);
  if (filter.league !== undefined) query.where("league_code", filter.league);
  if (filter.status !== undefined) query.where("status", filter.status);
  const rows: QuarantineRow[] = await query;
  return rows.map(toQuarantineEntry);
}

export async function findQuarantineEntryForUpdate(trx: Knex.Transaction, id: number): Promise<QuarantineEntry | undefined> {
  const row: QuarantineRow | undefined = await trx("import_quarantine").where({ id }).forUpdate().first();
  return row === undefined ? undefined : toQuarantineEntry(row);
}

/** Settles an open record; returns its id, or nothing when it was not open. */
export async function settleQuarantine(
  trx: Knex.Transaction,
  id: number,
  settlement: { status: "accepted" | "discarded"; by: string; resolution: string; now: Date },
): Promise<number[]> {
  const rows: Array<{ id: number }> = await trx("import_quarantine")
    .where({ id, status: "open" })
    .update({
      status: settlement.status,
      resolved_at: settlement.now,
      resolved_by: settlement.by,
      resolution: settlement.resolution,
    })
    .returning("id");
  return rows.map((row) => row.id);
}

/** Open quarantined records per league. */
export async function openQuarantineCounts(db: Knex): Promise<Map<string, number>> {
  const rows: Array<{ league_code: string; n: string }> = await db("import_quarantine")
    .select("league_code")
    .count("* as n")
    .where("status", "open")
    .groupBy("league_code");
  return new Map(rows.map((row) => [row.league_code, Number(row.n)]));
}

/** A fixture is overdue when its date has passed and no result, postponement or cancellation came in. */
export function overdueFixtures(db: Knex, today: string) {
  return db("matches").where("status", "scheduled").where("match_date", "<", today);
}

export async function overdueCounts(db: Knex, today: string): Promise<Map<string, number>> {
  const rows: Array<{ league_code: string; n: string }> = await overdueFixtures(db, today)
    .select("league_code")
    .count("* as n")
    .groupBy("league_code");
  return new Map(rows.map((row) => [row.league_code, Number(row.n)]));
}
