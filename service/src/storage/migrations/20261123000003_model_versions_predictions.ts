import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("model_versions", (table) => {
    table.increments("id");
    table.string("league_code", 10).notNullable().references("code").inTable("leagues");
    table.timestamp("fitted_at", { useTz: true }).notNullable();
    table.date("data_from").notNullable();
    table.date("data_to").notNullable();
    table.date("as_of").notNullable();
    table.integer("match_count").notNullable();
    table.jsonb("parameters").notNullable();
    table.jsonb("fit_metrics").notNullable();
    table.index(["league_code", "id"]);
  });
  await knex.schema.createTable("predictions", (table) => {
    table.bigIncrements("id");
    table.integer("model_version_id").notNullable().references("id").inTable("model_versions");
    table.integer("match_id").references("id").inTable("matches");
    table.string("league_code", 10).notNullable().references("code").inTable("leagues");
    table.integer("home_team_id").notNullable().references("id").inTable("teams");
    table.integer("away_team_id").notNullable().references("id").inTable("teams");
    table.double("home_win").notNullable();
    table.double("draw").notNullable();
    table.double("away_win").notNullable();
    table.double("expected_home_goals").notNullable();
    table.double("expected_away_goals").notNullable();
    table.jsonb("details").notNullable();
    table.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(["match_id"]);
  });
  await knex.raw(`ALTER TABLE predictions ADD CONSTRAINT predictions_probabilities CHECK (
    home_win BETWEEN 0 AND 1 AND draw BETWEEN 0 AND 1 AND away_win BETWEEN 0 AND 1)`);
  // One stored prediction per model version and fixture (or per model version and pairing for ad-hoc ones).
  await knex.raw(`CREATE UNIQUE INDEX predictions_match_version_unique
    ON predictions (model_version_id, match_id) WHERE match_id IS NOT NULL`);
  await knex.raw(`CREATE UNIQUE INDEX predictions_adhoc_version_unique
    ON predictions (model_version_id, home_team_id, away_team_id) WHERE match_id IS NULL`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("predictions");
  await knex.schema.dropTable("model_versions");
}
