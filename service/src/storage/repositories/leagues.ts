import type { Knex } from "knex";

export interface League {
  code: string;
  name: string;
  country: string;
  /** Season names (`2024-2025`), oldest first. */
  seasons: string[];
}

interface LeagueRow {
  code: string;
  name: string;
  country: string;
  seasons: string[] | null;
}

function leaguesWithSeasons(db: Knex) {
  return db("leagues as l")
    .select(
      "l.code",
      "l.name",
      "l.country",
      db.raw("array_agg(s.name ORDER BY s.name) FILTER (WHERE s.name IS NOT NULL) AS seasons"),
    )
    .leftJoin("seasons as s", "s.league_code", "l.code")
    .groupBy("l.code")
    .orderBy("l.code");
}

const toLeague = (row: LeagueRow): League => ({
  code: row.code,
  name: row.name,
  country: row.country,
  seasons: row.seasons ?? [],
});

export async function listLeagues(db: Knex): Promise<League[]> {
  const rows: LeagueRow[] = await leaguesWithSeasons(db);
  return rows.map(toLeague);
}

export async function findLeague(db: Knex, code: string): Promise<League | undefined> {
  const row: LeagueRow | undefined = await leaguesWithSeasons(db).where("l.code", code).first();
  return row === undefined ? undefined : toLeague(row);
}

export async function listLeagueCodes(db: Knex): Promise<string[]> {
  const rows: Array<{ code: string }> = await db("leagues").select("code").orderBy("code");
  return rows.map((row) => row.code);
}

/** Returns the season's id, creating the season if the league has none of that name (`created` says which). */
export async function findOrCreateSeason(
  db: Knex,
  league: string,
  season: string,
): Promise<{ id: number; created: boolean }> {
  const existing: { id: number } | undefined = await db("seasons")
    .select("id")
    .where({ league_code: league, name: season })
    .first();
  if (existing !== undefined) return { id: existing.id, created: false };
  const [inserted]: Array<{ id: number }> = await db("seasons")
    .insert({ league_code: league, name: season })
    .returning("id");
  return { id: inserted.id, created: true };
}
