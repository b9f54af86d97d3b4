import type { Knex } from "knex";

/**
 * `request_id` is the server's own id for the request that made the change; the id a client sent in X-Request-Id is
 * kept beside it, so a token holder can no longer file its changes under another request's id. Rows written
 * before this migration hold whatever id the request carried, the client's when it sent a well-formed one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("audit_log", (table) => {
    table.string("client_request_id", 128);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("audit_log", (table) => {
    table.dropColumn("client_request_id");
  });
}
