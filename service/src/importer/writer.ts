import type { Knex } from "knex";
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
 * get corrected results. `fill-only`: the shipped files a release seeds from: they add what is missing and fill in
 * results of scheduled matches, but never undo what a newer import (or an operator) recorded since.
 */
export type WriteMode = "authoritative" | "fill-only";

export interface WriteSummary {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Played results the source no longer reports: kept, and quarantined for an operator to look at. */
  withdrawn: RecordProblem[];
  /** Whether any played result was added or changed: the league needs a refit. */
  resultsChanged: boolean;
}

export interface WriteContext {
  feed: Feed;
  mode: WriteMode;
  /** Who the audit log names: `importer:<source>`. */
  actor: string;
  /** Ties the run's audit rows together. */
  requestId: string;
}

const sameInstant = (a: Date | null, b: Date | null) => (a === null ? b === null : b !== null && a.getTime() === b.getTime());
const sameScore = (a: StoredMatch["score"], b: StoredMatch["score"]) =>
  a === null ? b === null : b !== null && a.home === b.home && a.away === b.away;

/** What an authoritative source would change about a stored match; the audit action for it. */
function changesTo(stored: StoredMatch, incoming: ImportedMatch): { action: string } | undefined {
  if (stored.status === "played" && incoming.status === "played") {
    if (!sameScore(stored.score, incoming.score) || stored.awarded !== incoming.awarded) return { action: "match.result" };
  } else if (incoming.status === "played") {
    return { action: "match.result" };
  } else if (stored.status !== incoming.status) {
    return { action: "match.status" };
  }
  if (stored.date !== incoming.date || !sameInstant(stored.kickoff, incoming.kickoff)) return { action: "match.reschedule" };
  if (stored.matchday !== incoming.matchday) return { action: "match.matchday" };
  return undefined;
}

const describe = (match: StoredMatch | ImportedMatch) => ({
  date: match.date,
  kickoff: match.kickoff?.toISOString() ?? null,
  matchday: match.matchday,
  status: match.status,
  score: match.score,
  awarded: match.awarded,
});

/**
 * Applies the gate's clean rows to one league's season, inside the caller's transaction. A record finds its match by
 * the source's id, else by its pairing (each ordered pairing is played once a season), so a re-dated match moves
 * instead of duplicating, and a match first loaded from another source is taken over rather than repeated. Changes
 * to existing matches are audited one by one (`match.result` for a recorded or corrected result, as an operator's
 * write is); a played result is never removed by a source that stops reporting it. A changed result queues a refit
 * in the same transaction.
 */
export async function applyRows(trx: Knex.Transaction, rows: readonly CleanRow[], context: WriteContext): Promise<WriteSummary> {
  const { feed, mode } = context;
  const season = await findOrCreateSeason(trx, feed.league, feed.season);
  const stored = await lockSeasonMatches(trx, feed.league, season.id);
  const bySourceId = new Map(stored.filter((m) => m.source === feed.source).map((m) => [m.sourceId, m]));
  const byPairing = new Map(stored.map((m) => [`${m.homeTeamId}:${m.awayTeamId}`, m]));
  const summary: WriteSummary = { inserted: 0, updated: 0, unchanged: 0, withdrawn: [], resultsChanged: false };
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
      continue;
    }
    if (current.status === "played" && incoming.status !== "played") {
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
    const change = changesTo(current, incoming);
    const fills = current.status === "scheduled" && incoming.status === "played";
    if (change === undefined || (mode === "fill-only" && !fills)) {
      if (mode === "authoritative" && (current.source !== incoming.source || current.sourceId !== incoming.sourceId)) {
        // Taken over from another source (or an operator's fixture): from now on this source's id finds it.
        await updateImportedMatch(trx, current.id, incoming);
      }
      summary.unchanged += 1;
      continue;
    }
    const next: ImportedMatch =
      mode === "fill-only"
        ? {
            ...incoming,
            ...describeStored(current),
            source: current.source ?? incoming.source,
            sourceId: current.sourceId ?? incoming.sourceId,
          }
        : incoming;
    await updateImportedMatch(trx, current.id, next);
    await audit(change.action, current.id, describe(current), describe(next));
    summary.updated += 1;
    summary.resultsChanged ||= change.action === "match.result";
  }
  if (summary.resultsChanged) {
    await insertRefitRequest(trx, { league: feed.league, reason: "result", requestedBy: context.actor });
  }
  return summary;
}

/** A stored match's schedule, for fill-only writes, which add a result and change nothing else. */
function describeStored(match: StoredMatch): Pick<ImportedMatch, "date" | "kickoff" | "matchday"> {
  return { date: match.date, kickoff: match.kickoff, matchday: match.matchday };
}
