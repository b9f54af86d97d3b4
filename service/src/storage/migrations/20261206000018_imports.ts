import type { Knex } from "knex";

/**
 * What the importer keeps: one row per import of a league's season from a source (its outcome and counts, which
 * the `import_*` metrics and the staleness alert read), the quarantine of records that failed the data-quality gate
 * (reason and raw record, one open row per record however often it is fetched), and on matches whether a result
 * was awarded by the league rather than played out.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("import_runs", (table) => {
    table.bigIncrements("id");
    table.string("league_code", 10).notNullable().references("code").inTable("leagues");
    table.string("season", 9).notNullable();
    table.string("source", 32).notNullable();
    /** `cli`, `cron`, `worker`, `seed`: who started the run. */
    table.text("triggered_by").notNullable();
    table.timestamp("started_at", { useTz: true }).notNullable();
    table.timestamp("finished_at", { useTz: true }).notNullable();
    table.string("status", 10).notNullable();
    table.integer("fetched").notNullable().defaultTo(0);
    table.integer("inserted").notNullable().defaultTo(0);
    table.integer("updated").notNullable().defaultTo(0);
    table.integer("unchanged").notNullable().defaultTo(0);
    table.integer("quarantined").notNullable().defaultTo(0);
    table.text("error");
    table.jsonb("details");
    table.index(["league_code", "status", "finished_at"]);
  });
  await knex.raw(`ALTER TABLE import_runs ADD CONSTRAINT import_runs_status
    CHECK (status IN ('succeeded', 'rejected', 'failed'))`);

  await knex.schema.createTable("import_quarantine", (table) => {
    table.increments("id");
    table.string("league_code", 10).notNullable().references("code").inTable("leagues");
    table.string("season", 9).notNullable();
    table.string("source", 32).notNullable();
    /** The record's identity in its source (the source's id, or season and pairing), stable across fetches. */
    table.text("record_key").notNullable();
    /** sha256 of the raw record: a discarded record stays discarded until the source changes it. */
    table.string("fingerprint", 64).notNullable();
    table.string("reason_code", 32).notNullable();
    table.text("reason").notNullable();
    table.jsonb("raw").notNullable();
    /** Names no team or alias resolves, for `unknown_team` rows. */
    table.specificType("unknown_names", "text[]");
    table.string("status", 10).notNullable().defaultTo("open");
    table.timestamp("first_seen_at", { useTz: true }).notNullable();
    table.timestamp("last_seen_at", { useTz: true }).notNullable();
    table.integer("seen_count").notNullable().defaultTo(1);
    table.timestamp("resolved_at", { useTz: true });
    table.text("resolved_by");
    table.text("resolution");
    table.index(["status", "league_code"]);
  });
  await knex.raw(`ALTER TABLE import_quarantine ADD CONSTRAINT import_quarantine_status
    CHECK (status IN ('open', 'accepted', 'discarded', 'resolved'))`);
  await knex.raw(`CREATE UNIQUE INDEX import_quarantine_open_record
    ON import_quarantine (source, league_code, season, record_key) WHERE status = 'open'`);

  await knex.schema.alterTable("matches", (table) => {
    table.boolean("awarded").notNullable().defaultTo(false);
  });
  await knex.raw(`ALTER TABLE matches ADD CONSTRAINT matches_awarded_played CHECK (NOT awarded OR status = 'played')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("ALTER TABLE matches DROP CONSTRAINT matches_awarded_played");
  await knex.schema.alterTable("matches", (table) => {
    table.dropColumn("awarded");
  });
  await knex.schema.dropTable("import_quarantine");
  await knex.schema.dropTable("import_runs");
}
