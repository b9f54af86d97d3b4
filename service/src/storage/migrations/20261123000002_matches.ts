import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("matches", (table) => {
    table.increments("id");
    table.string("league_code", 10).notNullable().references("code").inTable("leagues");
    table.integer("season_id").notNullable();
    table.date("match_date").notNullable();
    table.integer("home_team_id").notNullable().references("id").inTable("teams");
    table.integer("away_team_id").notNullable().references("id").inTable("teams");
    table.string("status", 10).notNullable();
    table.smallint("home_goals");
    table.smallint("away_goals");
    table.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.foreign(["season_id", "league_code"]).references(["id", "league_code"]).inTable("seasons");
    table.unique(["league_code", "season_id", "match_date", "home_team_id", "away_team_id"]);
    // Keyset pagination orders by (match_date, id); these serve the league, team and unfiltered listings.
    table.index(["league_code", "match_date", "id"]);
    table.index(["match_date", "id"]);
    table.index(["home_team_id", "match_date"]);
    table.index(["away_team_id", "match_date"]);
  });
  await knex.raw(`ALTER TABLE matches
    ADD CONSTRAINT matches_distinct_teams CHECK (home_team_id <> away_team_id),
    ADD CONSTRAINT matches_status_score CHECK (
      (status = 'scheduled' AND home_goals IS NULL AND away_goals IS NULL)
      OR (status = 'played' AND home_goals IS NOT NULL AND away_goals IS NOT NULL
          AND home_goals BETWEEN 0 AND 99 AND away_goals BETWEEN 0 AND 99)
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("matches");
}
