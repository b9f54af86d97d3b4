import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("leagues", (table) => {
    table.string("code", 10).primary();
    table.text("name").notNullable();
    table.text("country").notNullable();
    table.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable("seasons", (table) => {
    table.increments("id");
    table.string("league_code", 10).notNullable().references("code").inTable("leagues");
    table.string("name", 9).notNullable();
    table.unique(["league_code", "name"]);
    // Lets matches reference (season, league) together, so a match can never sit in another league's season.
    table.unique(["id", "league_code"]);
  });
  await knex.raw(`ALTER TABLE seasons ADD CONSTRAINT seasons_name_format
    CHECK (name ~ '^[0-9]{4}-[0-9]{4}$' AND substr(name, 6, 4)::int = substr(name, 1, 4)::int + 1)`);
  await knex.schema.createTable("teams", (table) => {
    table.increments("id");
    table.text("name").notNullable().unique();
    table.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw("ALTER TABLE teams ADD CONSTRAINT teams_name_length CHECK (char_length(name) BETWEEN 1 AND 64)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("teams");
  await knex.schema.dropTable("seasons");
  await knex.schema.dropTable("leagues");
}
