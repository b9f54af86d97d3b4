import type { Knex } from "knex";

export interface AuditEntry {
  /** The token subject that made the change. */
  actor: string;
  action: string;
  entityType: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
  /** The server's id for the request that made the change. */
  requestId: string;
  /** The X-Request-Id the client sent, if any, kept beside the server's. */
  clientRequestId?: string;
}

const asJson = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

/** Call with the transaction of the change itself, so the change and its audit row commit together or not at all. */
export async function insertAuditEntry(trx: Knex.Transaction, entry: AuditEntry): Promise<void> {
  await trx("audit_log").insert({
    actor: entry.actor,
    action: entry.action,
    entity_type: entry.entityType,
    entity_id: entry.entityId,
    before: asJson(entry.before),
    after: asJson(entry.after),
    request_id: entry.requestId,
    client_request_id: entry.clientRequestId ?? null,
  });
}
