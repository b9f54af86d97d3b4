import { type Cache, READS_BUCKET, asText, cacheAside, canonicalKey, wireBody } from "../cache/cache";
import { encodeCursor } from "./cursor";
import { teamNameKey } from "../domain/teamNames";
import { notFound } from "../errors";
import type { Metrics } from "../metrics";
import type { Database } from "../storage/db";
import { findLeague, listLeagues } from "../storage/repositories/leagues";
import { type MatchCursor, type MatchFilter, findMatch, listMatches } from "../storage/repositories/matches";
import { ratingHistory } from "../storage/repositories/modelVersions";
import { findTeamById, findTeamsByName, leaguesOfTeam, listTeams } from "../storage/repositories/teams";

export interface Page<T> {
  data: T[];
  page: { limit: number; nextCursor: string | null };
}

/** Fetches one row more than the page holds, to know whether another page follows. */
function toPage<T>(rows: T[], limit: number, cursorOf: (last: T) => unknown): Page<T> {
  const data = rows.slice(0, limit);
  const more = rows.length > limit;
  return { data, page: { limit, nextCursor: more ? encodeCursor(cursorOf(data[data.length - 1])) : null } };
}

export interface MatchQuery extends Omit<MatchFilter, "teamId"> {
  /** A team name or alias, matched by its name key. */
  team?: string;
}

/** Hits in the form to send, made once per copy of a hot entry; a request that loaded the text sends it as it is. */
const FOR_THE_WIRE = { decode: wireBody, decodeLoaded: asText };

/**
 * Leagues, teams and matches as JSON ready to send (text, or a large answer's Buffer; see wireBody), cache-aside
 * in the reads bucket (dropped on every write). Misses that end in 404 are not cached.
 */
export class CatalogReads {
  constructor(
    private readonly db: Database,
    private readonly cache: Cache,
    private readonly metrics: Metrics,
  ) {}

  private async cached(key: string, load: () => Promise<unknown>): Promise<string | Buffer> {
    const serialised = async () => JSON.stringify(await load());
    return (await cacheAside(this.cache, this.metrics, "reads", READS_BUCKET, key, serialised, FOR_THE_WIRE)).value;
  }

  leagues(): Promise<string | Buffer> {
    return this.cached("leagues", async () => ({ data: await listLeagues(this.db) }));
  }

  league(code: string): Promise<string | Buffer> {
    return this.cached(`league:${code}`, async () => {
      const league = await findLeague(this.db, code);
      if (league === undefined) throw notFound(`league ${code} does not exist`);
      return league;
    });
  }

  teams(filter: { league?: string; season?: string; afterName?: string; limit: number }): Promise<string | Buffer> {
    return this.cached(canonicalKey("teams", filter), async () => {
      if (filter.league !== undefined) await this.requireLeague(filter.league);
      const rows = await listTeams(this.db, { ...filter, limit: filter.limit + 1 });
      return toPage(rows, filter.limit, (last) => last.name);
    });
  }

  team(id: number): Promise<string | Buffer> {
    return this.cached(`team:${id}`, async () => {
      const team = await findTeamById(this.db, id);
      if (team === undefined) throw notFound(`team ${id} does not exist`);
      return { ...team, leagues: await leaguesOfTeam(this.db, id) };
    });
  }

  matches(query: MatchQuery): Promise<string | Buffer> {
    return this.cached(canonicalKey("matches", query), async () => {
      const { team, ...filter } = query;
      if (filter.league !== undefined) await this.requireLeague(filter.league);
      const teamId = team === undefined ? undefined : await this.teamIdByName(team);
      const rows = await listMatches(this.db, { ...filter, teamId, limit: filter.limit + 1 });
      return toPage(rows, filter.limit, (last): MatchCursor => ({ date: last.date, id: last.id }));
    });
  }

  match(id: number): Promise<string | Buffer> {
    return this.cached(`match:${id}`, async () => {
      const match = await findMatch(this.db, id);
      if (match === undefined) throw notFound(`match ${id} does not exist`);
      return match;
    });
  }

  /**
   * The team's attack and defence in every stored model version, per league it plays in (or the one asked).
   * Not cached: one indexed read per league, and refits (which the reads bucket does not follow) change it.
   */
  async strength(teamId: number, league: string | undefined): Promise<unknown> {
    const team = await findTeamById(this.db, teamId);
    if (team === undefined) throw notFound(`team ${teamId} does not exist`);
    const leagues = await leaguesOfTeam(this.db, teamId);
    if (league !== undefined && !leagues.includes(league)) {
      await this.requireLeague(league);
      throw notFound(`team ${teamId} (${team.name}) has no matches in league ${league}`);
    }
    const data = await Promise.all(
      (league === undefined ? leagues : [league]).map(async (code) => ({
        league: code,
        points: (await ratingHistory(this.db, code, team.name)).map((point) => ({
          ...point,
          fittedAt: point.fittedAt.toISOString(),
        })),
      })),
    );
    return { team, data };
  }

  private async requireLeague(code: string): Promise<void> {
    if ((await findLeague(this.db, code)) === undefined) throw notFound(`league ${code} does not exist`);
  }

  private async teamIdByName(name: string): Promise<number> {
    const team = (await findTeamsByName(this.db, [name])).get(teamNameKey(name));
    if (team === undefined) throw notFound(`team '${name}' does not exist`);
    return team.id;
  }
}
