import type { Knex } from "knex";

export interface Team {
  id: number;
  name: string;
}

export interface TeamFilter {
  league?: string;
  season?: string;
  /** Keyset cursor: the last name of the previous page. */
  afterName?: string;
  limit: number;
}

export async function listTeams(db: Knex, filter: TeamFilter): Promise<Team[]> {
  const query = db("teams as t").select("t.id", "t.name").orderBy("t.name").limit(filter.limit);
  if (filter.afterName !== undefined) query.where("t.name", ">", filter.afterName);
  if (filter.league !== undefined || filter.season !== undefined) {
    query.whereExists(function playedIn() {
      this.select(db.raw("1"))
        .from("matches as m")
        .join("seasons as s", "s.id", "m.season_id")
        .where((side) => side.whereRaw("m.home_team_id = t.id").orWhereRaw("m.away_team_id = t.id"));
      if (filter.league !== undefined) this.where("m.league_code", filter.league);
      if (filter.season !== undefined) this.where("s.name", filter.season);
    });
  }
  return query;
}

export async function findTeamById(db: Knex, id: number): Promise<Team | undefined> {
  return db("teams").select("id", "name").where({ id }).first();
}

/** Team names are matched case-insensitively: `arsenal` finds `Arsenal` rather than becoming a second team. */
export async function findTeamsByName(db: Knex, names: readonly string[]): Promise<Map<string, Team>> {
  const lowered = [...new Set(names.map((name) => name.toLowerCase()))];
  const rows: Team[] = await db("teams").select("id", "name").whereRaw("lower(name) = ANY(?)", [lowered]);
  return new Map(rows.map((row) => [row.name.toLowerCase(), row]));
}

/** The named teams that have at least one match (played or scheduled) in the league, keyed by lower-case name. */
export async function findTeamsInLeague(
  db: Knex,
  league: string,
  names: readonly string[],
): Promise<Map<string, Team>> {
  const lowered = [...new Set(names.map((name) => name.toLowerCase()))];
  const rows: Team[] = await db("teams as t")
    .select("t.id", "t.name")
    .whereRaw("lower(t.name) = ANY(?)", [lowered])
    .whereExists((sub) =>
      sub
        .select(db.raw("1"))
        .from("matches as m")
        .where("m.league_code", league)
        .where((side) => side.whereRaw("m.home_team_id = t.id").orWhereRaw("m.away_team_id = t.id")),
    );
  return new Map(rows.map((row) => [row.name.toLowerCase(), row]));
}

/** League codes the team has matches in. */
export async function leaguesOfTeam(db: Knex, teamId: number): Promise<string[]> {
  const rows: Array<{ league_code: string }> = await db("matches")
    .distinct("league_code")
    .where("home_team_id", teamId)
    .orWhere("away_team_id", teamId)
    .orderBy("league_code");
  return rows.map((row) => row.league_code);
}

export async function insertTeam(db: Knex, name: string): Promise<Team> {
  const [row]: Team[] = await db("teams").insert({ name }).returning(["id", "name"]);
  return row;
}
