import type { Knex } from "knex";

/**
 * A refit requested because a played match's shots arrived or changed while its result stayed (the importer's
 * `match.stats`, the seed filling shots in): debounced like a result's, since the model fits shots too, but
 * recorded as what it is rather than as a result change.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE refit_requests DROP CONSTRAINT refit_requests_reason,
    ADD CONSTRAINT refit_requests_reason CHECK (reason IN ('result', 'stats', 'manual'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex("refit_requests").where({ reason: "stats" }).update({ reason: "result" });
  await knex.raw(`ALTER TABLE refit_requests DROP CONSTRAINT refit_requests_reason,
    ADD CONSTRAINT refit_requests_reason CHECK (reason IN ('result', 'manual'))`);
}
