import type { Knex } from "knex";
import { teamNameKey } from "../../domain/teamNames";

/**
 * One identity per team name (docs: README "Team names"). Each team stores the key `teamNameKey` computes, under a
 * unique index, so two concurrent creates of `RacerN` and `RACERN` cannot both succeed. `team_aliases` maps every
 * name a team goes by, its own and the other sources' spellings (`Manchester United FC` for `Man United`), from the
 * key to the team; its primary key makes every key name at most one team.
 *
 * Databases that already hold teams differing only in case (the race this closes created such pairs) get them
 * merged into the oldest one: its matches and predictions are repointed, the others removed, each merge audited.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("teams", (table) => {
    table.text("name_key");
  });
  const teams: Array<{ id: number; name: string }> = await knex("teams").select("id", "name").orderBy("id");
  const byKey = new Map<string, Array<{ id: number; name: string }>>();
  for (const team of teams) byKey.set(teamNameKey(team.name), [...(byKey.get(teamNameKey(team.name)) ?? []), team]);
  for (const [key, [kept, ...duplicates]] of byKey) {
    for (const duplicate of duplicates) await mergeTeam(knex, duplicate, kept);
    await knex("teams").where({ id: kept.id }).update({ name_key: key });
  }
  await knex.schema.alterTable("teams", (table) => {
    table.text("name_key").notNullable().alter();
    table.unique(["name_key"], { indexName: "teams_name_key_unique" });
  });

  await knex.schema.createTable("team_aliases", (table) => {
    table.text("name_key").primary();
    table.integer("team_id").notNullable().references("id").inTable("teams").onDelete("CASCADE");
    /** The spelling as a source writes it. */
    table.text("name").notNullable();
    /** Who decided the alias: the team's own name, the shipped alias list, or an operator's quarantine decision. */
    table.text("created_by").notNullable();
    table.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(["team_id"]);
  });
  await knex.raw(`INSERT INTO team_aliases (name_key, team_id, name, created_by)
    SELECT name_key, id, name, 'team' FROM teams`);
}

async function mergeTeam(knex: Knex, duplicate: { id: number; name: string }, kept: { id: number; name: string }) {
  for (const [table, column] of [
    ["matches", "home_team_id"],
    ["matches", "away_team_id"],
    ["predictions", "home_team_id"],
    ["predictions", "away_team_id"],
  ]) {
    await knex(table).where(column, duplicate.id).update({ [column]: kept.id });
  }
  await knex("teams").where({ id: duplicate.id }).delete();
  await knex("audit_log").insert({
    actor: "migration:20261206000017_team_identity",
    action: "team.merge",
    entity_type: "team",
    entity_id: String(kept.id),
    before: JSON.stringify(duplicate),
    after: JSON.stringify(kept),
    request_id: "migration",
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("team_aliases");
  await knex.schema.alterTable("teams", (table) => {
    table.dropUnique(["name_key"], "teams_name_key_unique");
    table.dropColumn("name_key");
  });
}
