import type { Knex } from "knex";

/**
 * Bookmakers' closing decimal odds of home win, draw and away win, and whose they are (`pinnacle-closing`,
 * `market-average-closing`): the yardstick the backtest compares the model with, never a model input. Nullable,
 * since most sources carry none; the three are known together or not at all, and each is above 1.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("matches", (table) => {
    table.double("home_closing_odds");
    table.double("draw_closing_odds");
    table.double("away_closing_odds");
    table.text("closing_odds_source");
  });
  await knex.raw(`ALTER TABLE matches
    ADD CONSTRAINT matches_closing_odds_triple CHECK (
      (home_closing_odds IS NULL) = (draw_closing_odds IS NULL)
      AND (home_closing_odds IS NULL) = (away_closing_odds IS NULL)
      AND (home_closing_odds IS NULL) = (closing_odds_source IS NULL)),
    ADD CONSTRAINT matches_closing_odds_range CHECK (
      home_closing_odds > 1 AND draw_closing_odds > 1 AND away_closing_odds > 1
      AND home_closing_odds < 'Infinity' AND draw_closing_odds < 'Infinity' AND away_closing_odds < 'Infinity'),
    ADD CONSTRAINT matches_closing_odds_source CHECK (
      closing_odds_source IN ('pinnacle-closing', 'market-average-closing'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE matches
    DROP CONSTRAINT matches_closing_odds_source,
    DROP CONSTRAINT matches_closing_odds_range,
    DROP CONSTRAINT matches_closing_odds_triple`);
  await knex.schema.alterTable("matches", (table) => {
    table.dropColumns("home_closing_odds", "draw_closing_odds", "away_closing_odds", "closing_odds_source");
  });
}
