import type { Knex } from "knex";
import type { ClosingOdds } from "../domain/closingOdds";
import type { SideCounts } from "../domain/types";
import { insertAuditEntry } from "../storage/repositories/audit";
import {
  type ImportedMatch,
  type StoredMatch,
  insertImportedMatch,
  lockSeasonMatches,
  updateImportedMatch,
} from "../storage/repositories/imports";
import { findOrCreateSeason } from "../storage/repositories/leagues";
import { insertRefitRequest } from "../storage/repositories/refitRequests";
import type { CleanRow } from "./gate";
import type { Feed, RecordProblem } from "./types";

/**
 * `authoritative`: the source is the truth for its league (the scheduled import): matches move, change status and
 * get corrected results, shots and closing odds. `fill-only`: the shipped files a release seeds from: they add what
 * is missing, fill in results of scheduled matches and shots and closing odds of played ones that have none, but
 * never undo what a newer import (or an operator) recorded since.
 *
 * In both modes a record without shots or closing odds leaves stored ones alone: a source that carries none
 * (openfootball taking a match over from a football-data.co.uk file) or has not filled them in yet says nothing
 * about them.
 */
export type WriteMode = "authoritative" | "fill-only";

export interface WriteSummary {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Played results the source no longer reports: kept, and quarantined for an operator to look at. */
  withdrawn: RecordProblem[];
  /** Whether any played result was added or changed. */
  resultsChanged: boolean;
  /** Whether shots of a played match arrived or changed while its result stayed (`match.stats`). */
  statsChanged: boolean;
  /** Whether any match's closing odds arrived or changed (`match.odds`, or with its result or shots); no refit. */
  oddsChanged: boolean;
}

/**
 * Shots are part of what the model fits, so a change of them alone needs a refit as a changed result does; closing
 * odds are not, so they never do.
 */
export const refitNeeded = (summary: WriteSummary) => summary.resultsChanged || summary.statsChanged;

export interface WriteContext {
  feed: Feed;
  mode: WriteMode;
  /** Who the audit log names: `importer:<source>`. */
  actor: string;
  /** Ties the run's audit rows together. */
  requestId: string;
}

type Action = "match.result" | "match.stats" | "match.odds" | "match.status" | "match.reschedule" | "match.matchday";

const sameInstant = (a: Date | null, b: Date | null) => (a === null ? b === null : b !== null && a.getTime() === b.getTime());
const samePair = (a: SideCounts | null, b: SideCounts | null) =>
  a === null ? b === null : b !== null && a.home === b.home && a.away === b.away;
const sameOdds = (a: ClosingOdds | null, b: ClosingOdds | null) =>
  a === null
    ? b === null
    : b !== null && a.home === b.home && a.draw === b.draw && a.away === b.away && a.source === b.source;

/**
 * What an authoritative source would change about a stored match, as the audit action for it: the most telling one
 * when several change at once (a corrected score, then its shots, then status, closing odds, date and match day).
 */
function changesTo(stored: StoredMatch, incoming: ImportedMatch): Action | undefined {
  if (stored.status === "played" && incoming.status === "played") {
    if (!samePair(stored.score, incoming.score) || stored.awarded !== incoming.awarded) return "match.result";
    if (!samePair(stored.shots, incoming.shots) || !samePair(stored.shotsOnTarget, incoming.shotsOnTarget)) return "match.stats";
  } else if (incoming.status === "played") {
    return "match.result";
  } else if (stored.status !== incoming.status) {
    return "match.status";
  }
  if (!sameOdds(stored.closingOdds, incoming.closingOdds)) return "match.odds";
  if (stored.date !== incoming.date || !sameInstant(stored.kickoff, incoming.kickoff)) return "match.reschedule";
  if (stored.matchday !== incoming.matchday) return "match.matchday";
  return undefined;
}

/**
 * What an authoritative source writes over a stored match, if that changes anything: its record, with shots and
 * closing odds only where it has them.
 */
function overwrites(stored: StoredMatch, incoming: ImportedMatch): { action: Action; next: ImportedMatch } | undefined {
  const next = {
    ...incoming,
    shots: incoming.shots ?? stored.shots,
    shotsOnTarget: incoming.shotsOnTarget ?? stored.shotsOnTarget,
    closingOdds: incoming.closingOdds ?? stored.closingOdds,
  };
  const action = changesTo(stored, next);
  return action === undefined ? undefined : { action, next };
}

/**
 * What a fill-only source may write to a stored match: the result of a scheduled one (and its shots and odds), or the
 * shots and closing odds a played one lacks; nothing else of the stored match changes.
 */
function fillsIn(stored: StoredMatch, incoming: ImportedMatch): { action: Action; next: ImportedMatch } | undefined {
  const source = stored.source ?? incoming.source;
  const sourceId = stored.sourceId ?? incoming.sourceId;
  if (stored.status === "scheduled" && incoming.status === "played") {
    const { date, kickoff, matchday } = stored;
    const closingOdds = stored.closingOdds ?? incoming.closingOdds;
    return { action: "match.result", next: { ...incoming, date, kickoff, matchday, closingOdds, source, sourceId } };
  }
  if (stored.status !== "played" || incoming.status !== "played") return undefined;
  const shots = stored.shots ?? incoming.shots;
  const shotsOnTarget = stored.shotsOnTarget ?? incoming.shotsOnTarget;
  const closingOdds = stored.closingOdds ?? incoming.closingOdds;
  const statsFilled = !samePair(shots, stored.shots) || !samePair(shotsOnTarget, stored.shotsOnTarget);
  if (!statsFilled && sameOdds(closingOdds, stored.closingOdds)) return undefined;
  const action = statsFilled ? "match.stats" : "match.odds";
  return { action, next: { ...stored, shots, shotsOnTarget, closingOdds, source, sourceId } };
}

const describe = (match: StoredMatch | ImportedMatch) => ({
  date: match.date,
  kickoff: match.kickoff?.toISOString() ?? null,
  matchday: match.matchday,
  status: match.status,
  score: match.score,
  awarded: match.awarded,
  shots: match.shots,
  shotsOnTarget: match.shotsOnTarget,
  closingOdds: match.closingOdds,
});

/**
 * Applies the gate's clean rows to one league's season, inside the caller's transaction. A record finds its match by
 * the source's id, else by its pairing (each ordered pairing is played once a season), so a re-dated match moves
 * instead of duplicating, and a match first loaded from another source is taken over rather than repeated. Changes
 * to existing matches are audited one by one (`match.result` for a recorded or corrected result, as an operator's
 * write is; `match.stats` for shots that arrive or change under an unchanged result; `match.odds` for closing odds
 * alone); a played result is never removed by a source that stops reporting it, and keeps its shots and odds. A
 * changed result queues a refit in the same transaction (reason `result`), and so do changed shots alone (reason
 * `stats`): the model fits them too. Closing odds alone queue none: the model does not use them.
 */
export async function applyRows(trx: Knex.Transaction, rows: readonly CleanRow[], context: WriteContext): Promise<WriteSummary> {
  const { feed, mode } = context;
  const season = await findOrCreateSeason(trx, feed.league, feed.season);
  const stored = await lockSeasonMatches(trx, feed.league, season.id);
  const bySourceId = new Map(stored.filter((m) => m.source === feed.source).map((m) => [m.sourceId, m]));
  const byPairing = new Map(stored.map((m) => [`${m.homeTeamId}:${m.awayTeamId}`, m]));
  const summary: WriteSummary = { inserted: 0, updated: 0, unchanged: 0, withdrawn: [], resultsChanged: false, statsChanged: false, oddsChanged: false };
  const audit = (action: string, entityId: number, before: unknown, after: unknown) =>
    insertAuditEntry(trx, {
      actor: context.actor,
      action,
      entityType: "match",
      entityId: String(entityId),
      before,
      after,
      requestId: context.requestId,
    });

  for (const row of rows) {
    const pairing = `${row.homeTeam.id}:${row.awayTeam.id}`;
    const incoming: ImportedMatch = {
      date: row.date,
      kickoff: row.kickoff,
      matchday: row.matchday,
      status: row.status,
      score: row.score,
      awarded: row.awarded,
      shots: row.shots,
      shotsOnTarget: row.shotsOnTarget,
      closingOdds: row.closingOdds,
      source: feed.source,
      sourceId: row.sourceId ?? `${feed.season}:${pairing}`,
    };
    const current = (row.sourceId === null ? undefined : bySourceId.get(row.sourceId)) ?? byPairing.get(pairing);
    if (current === undefined) {
      await insertImportedMatch(trx, {
        ...incoming,
        league: feed.league,
        seasonId: season.id,
        homeTeamId: row.homeTeam.id,
        awayTeamId: row.awayTeam.id,
      });
      summary.inserted += 1;
      summary.resultsChanged ||= incoming.status === "played";
      summary.oddsChanged ||= incoming.closingOdds !== null;
      continue;
    }
    if (current.status === "played" && incoming.status !== "played") {
      // The result stays, and with it its shots (the schema allows shots on played matches only, so the status
      // must stay too): an operator looks at the quarantined record.
      if (mode === "authoritative") {
        summary.withdrawn.push({
          recordKey: row.recordKey,
          code: "result_withdrawn",
          reason: `the source now reports ${row.homeTeam.name} v ${row.awayTeam.name} as ${incoming.status}; the recorded ${current.score?.home}-${current.score?.away} is kept`,
          raw: row.raw,
        });
      }
      summary.unchanged += 1;
      continue;
    }
    const update = mode === "fill-only" ? fillsIn(current, incoming) : overwrites(current, incoming);
    if (update === undefined) {
      if (mode === "authoritative" && (current.source !== incoming.source || current.sourceId !== incoming.sourceId)) {
        // Taken over from another source (or an operator's fixture): from now on this source's id finds it.
        await updateImportedMatch(trx, current.id, { ...current, source: incoming.source, sourceId: incoming.sourceId });
      }
      summary.unchanged += 1;
      continue;
    }
    await updateImportedMatch(trx, current.id, update.next);
    await audit(update.action, current.id, describe(current), describe(update.next));
    summary.updated += 1;
    summary.resultsChanged ||= update.action === "match.result";
    summary.statsChanged ||= update.action === "match.stats";
    summary.oddsChanged ||= !sameOdds(current.closingOdds, update.next.closingOdds);
  }
  if (refitNeeded(summary)) {
    const reason = summary.resultsChanged ? "result" : "stats";
    await insertRefitRequest(trx, { league: feed.league, reason, requestedBy: context.actor });
  }
  return summary;
}
