import type { Knex } from "knex";

const COLUMNS = ["home_shots", "away_shots", "home_shots_on_target", "away_shots_on_target"] as const;

/**
 * Shots and shots on target per side, which the model rates teams on besides goals. Nullable, because many
 * sources (openfootball, football-data.org's free tier) carry none; each pair is known for both sides or for
 * neither, and only for a played match. Shots on target may exceed shots and goals may exceed shots on
 * target (own goals; the sources' own slips), so neither is constrained against the other.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("matches", (table) => {
    for (const column of COLUMNS) table.smallint(column);
  });
  await knex.raw(`ALTER TABLE matches
    ADD CONSTRAINT matches_shots_pair CHECK ((home_shots IS NULL) = (away_shots IS NULL)),
    ADD CONSTRAINT matches_shots_on_target_pair CHECK ((home_shots_on_target IS NULL) = (away_shots_on_target IS NULL)),
    ADD CONSTRAINT matches_shots_range CHECK (
      home_shots BETWEEN 0 AND 99 AND away_shots BETWEEN 0 AND 99
      AND home_shots_on_target BETWEEN 0 AND 99 AND away_shots_on_target BETWEEN 0 AND 99),
    ADD CONSTRAINT matches_shots_played CHECK (
      status = 'played' OR (home_shots IS NULL AND home_shots_on_target IS NULL))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE matches
    DROP CONSTRAINT matches_shots_played,
    DROP CONSTRAINT matches_shots_range,
    DROP CONSTRAINT matches_shots_on_target_pair,
    DROP CONSTRAINT matches_shots_pair`);
  await knex.schema.alterTable("matches", (table) => {
    table.dropColumns(...COLUMNS);
  });
}
