import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("audit_log", (table) => {
    table.bigIncrements("id");
    table.timestamp("occurred_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.text("actor").notNullable();
    table.text("action").notNullable();
    table.text("entity_type").notNullable();
    table.text("entity_id");
    table.jsonb("before");
    table.jsonb("after");
    table.text("request_id");
    table.index(["entity_type", "entity_id", "occurred_at"]);
    table.index(["occurred_at"]);
  });
  await knex.schema.createTable("refit_requests", (table) => {
    table.increments("id");
    table.string("league_code", 10).notNullable().references("code").inTable("leagues");
    table.string("reason", 10).notNullable();
    table.text("requested_by").notNullable();
    table.timestamp("requested_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp("completed_at", { useTz: true });
    table.integer("model_version_id").references("id").inTable("model_versions");
  });
  await knex.raw(`ALTER TABLE refit_requests ADD CONSTRAINT refit_requests_reason
    CHECK (reason IN ('result', 'manual'))`);
  await knex.raw(`CREATE INDEX refit_requests_pending ON refit_requests (league_code, requested_at)
    WHERE completed_at IS NULL`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("refit_requests");
  await knex.schema.dropTable("audit_log");
}
