import type { Knex } from "knex";
import { teamNameKey } from "../../domain/teamNames";

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

/**
 * The teams the names resolve to, keyed by each name's `teamNameKey`: through `team_aliases`, which holds every
 * team's own name and every other spelling a source uses. Names nothing resolves are missing from the map.
 */
export async function findTeamsByName(db: Knex, names: readonly string[]): Promise<Map<string, Team>> {
  const keys = [...new Set(names.map(teamNameKey))];
  const rows: Array<Team & { name_key: string }> = await db("team_aliases as a")
    .join("teams as t", "t.id", "a.team_id")
    .select("a.name_key", "t.id", "t.name")
    .whereIn("a.name_key", keys);
  return new Map(rows.map((row) => [row.name_key, { id: row.id, name: row.name }]));
}

/** The named teams that have at least one match (played or scheduled) in the league, keyed by name key. */
export async function findTeamsInLeague(
  db: Knex,
  league: string,
  names: readonly string[],
): Promise<Map<string, Team>> {
  const known = await findTeamsByName(db, names);
  const ids = [...new Set([...known.values()].map((team) => team.id))];
  const rows: Array<{ id: number }> = await db("teams as t")
    .select("t.id")
    .whereIn("t.id", ids)
    .whereExists((sub) =>
      sub
        .select(db.raw("1"))
        .from("matches as m")
        .where("m.league_code", league)
        .where((side) => side.whereRaw("m.home_team_id = t.id").orWhereRaw("m.away_team_id = t.id")),
    );
  const inLeague = new Set(rows.map((row) => row.id));
  return new Map([...known].filter(([, team]) => inLeague.has(team.id)));
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

/**
 * Returns the team the name resolves to, creating it (and its own alias) when no team or alias has the name's key.
 * Concurrent creates of `RacerN` and `RACERN` meet on the unique key: one inserts, the other finds its row.
 */
export async function findOrCreateTeam(db: Knex, name: string, createdBy = "team"): Promise<{ team: Team; created: boolean }> {
  const key = teamNameKey(name);
  const found = (await findTeamsByName(db, [name])).get(key);
  if (found !== undefined) return { team: found, created: false };
  const inserted: Team[] = await db("teams")
    .insert({ name, name_key: key })
    .onConflict("name_key")
    .ignore()
    .returning(["id", "name"]);
  if (inserted.length === 0) {
    const [existing]: Team[] = await db("teams").select("id", "name").where({ name_key: key });
    return { team: existing, created: false };
  }
  await addTeamAlias(db, { name, teamId: inserted[0].id, createdBy });
  return { team: inserted[0], created: true };
}

/**
 * Records that `name` means the team. Throws a unique violation (23505) if the key already names a team: one key,
 * one team, enforced by the primary key.
 */
export async function addTeamAlias(db: Knex, alias: { name: string; teamId: number; createdBy: string }): Promise<void> {
  await db("team_aliases").insert({
    name_key: teamNameKey(alias.name),
    team_id: alias.teamId,
    name: alias.name,
    created_by: alias.createdBy,
  });
}
