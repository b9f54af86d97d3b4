import type { Knex } from "knex";

/**
 * What a fixture list carries beyond a date: the kick-off instant when the source gives a time, the match day
 * (round) it belongs to, where the row came from (source and that source's id, so an import can find a match
 * again after it was rescheduled), and the statuses of matches that did not take place as planned.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("matches", (table) => {
    table.timestamp("kickoff_at", { useTz: true });
    table.smallint("matchday");
    table.string("source", 32);
    table.string("source_id", 64);
    table.unique(["source", "source_id"]);
  });
  await knex.raw(`ALTER TABLE matches
    DROP CONSTRAINT matches_status_score,
    ADD CONSTRAINT matches_status_score CHECK (
      (status IN ('scheduled', 'postponed', 'cancelled') AND home_goals IS NULL AND away_goals IS NULL)
      OR (status = 'played' AND home_goals IS NOT NULL AND away_goals IS NOT NULL
          AND home_goals BETWEEN 0 AND 99 AND away_goals BETWEEN 0 AND 99)
    ),
    ADD CONSTRAINT matches_source_pair CHECK ((source IS NULL) = (source_id IS NULL)),
    ADD CONSTRAINT matches_matchday CHECK (matchday IS NULL OR matchday BETWEEN 1 AND 99)`);
  // The kick-off falls on the match's date in some time zone: at most a day either side of it in UTC.
  await knex.raw(`ALTER TABLE matches ADD CONSTRAINT matches_kickoff_date CHECK (
    kickoff_at IS NULL OR (kickoff_at AT TIME ZONE 'UTC')::date BETWEEN match_date - 1 AND match_date + 1)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE matches
    DROP CONSTRAINT matches_kickoff_date,
    DROP CONSTRAINT matches_matchday,
    DROP CONSTRAINT matches_source_pair,
    DROP CONSTRAINT matches_status_score`);
  await knex("matches").whereIn("status", ["postponed", "cancelled"]).update({ status: "scheduled" });
  await knex.raw(`ALTER TABLE matches ADD CONSTRAINT matches_status_score CHECK (
      (status = 'scheduled' AND home_goals IS NULL AND away_goals IS NULL)
      OR (status = 'played' AND home_goals IS NOT NULL AND away_goals IS NOT NULL
          AND home_goals BETWEEN 0 AND 99 AND away_goals BETWEEN 0 AND 99))`);
  await knex.schema.alterTable("matches", (table) => {
    table.dropUnique(["source", "source_id"]);
    table.dropColumns("kickoff_at", "matchday", "source", "source_id");
  });
}
