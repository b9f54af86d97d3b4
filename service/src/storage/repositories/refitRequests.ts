import type { Knex } from "knex";

/** `result` and `stats` (shots changed under an unchanged result) are debounced; `manual` refits at once. */
export type RefitReason = "result" | "stats" | "manual";

export interface RefitRequest {
  id: number;
  league: string;
  reason: RefitReason;
  requestedBy: string;
  requestedAt: Date;
}

interface RefitRequestRow {
  id: number;
  league_code: string;
  reason: RefitReason;
  requested_by: string;
  requested_at: Date;
}

const toRefitRequest = (row: RefitRequestRow): RefitRequest => ({
  id: row.id,
  league: row.league_code,
  reason: row.reason,
  requestedBy: row.requested_by,
  requestedAt: row.requested_at,
});

export async function insertRefitRequest(
  db: Knex,
  request: { league: string; reason: RefitReason; requestedBy: string },
): Promise<RefitRequest> {
  const [row]: RefitRequestRow[] = await db("refit_requests")
    .insert({ league_code: request.league, reason: request.reason, requested_by: request.requestedBy })
    .returning(["id", "league_code", "reason", "requested_by", "requested_at"]);
  return toRefitRequest(row);
}

export async function pendingRefitRequests(db: Knex): Promise<RefitRequest[]> {
  const rows: RefitRequestRow[] = await db("refit_requests")
    .select("id", "league_code", "reason", "requested_by", "requested_at")
    .whereNull("completed_at")
    .orderBy("id");
  return rows.map(toRefitRequest);
}

/** Marks the league's requests up to `throughId` as served by the given model version (null: too little data). */
export async function completeRefitRequests(
  db: Knex,
  league: string,
  throughId: number,
  modelVersion: number | null,
): Promise<void> {
  await db("refit_requests")
    .where("league_code", league)
    .where("id", "<=", throughId)
    .whereNull("completed_at")
    .update({ completed_at: db.fn.now(), model_version_id: modelVersion });
}

/** The newest request of the league still waiting for a fit, if any. */
export async function lastPendingRefitRequestId(db: Knex, league: string): Promise<number | undefined> {
  const row = (await db("refit_requests")
    .where("league_code", league)
    .whereNull("completed_at")
    .max("id as id")
    .first()) as { id: number | null } | undefined;
  return row?.id ?? undefined;
}
