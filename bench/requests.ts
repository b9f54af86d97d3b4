import type { BenchDatabase } from "./database";

// The paths each scenario asks for, from the bench database's matches and fixtures.

/** The matches of the cached scenarios. */
export const HOT_MATCHES = 100;
/** Explicit fixture ranges of the uncached scenario: every length up to a fortnight, starting on any of these days. */
const COLD_RANGE_DAYS = { longest: 14, starts: 280 };

/**
 * The first HOT_MATCHES match ids are the cached ones; the uncached scenarios ask for all the others in turn. That is
 * over 15,000 matches, three times what the service keeps answers for, and it has to be: autocannon builds each
 * connection's first request when it creates the connection, so a connection that opens late sends one of the
 * first matches of a lap late, thousands of requests closer to the next lap's request for it (with half the matches
 * per scenario, about 7,800, the service answered a few dozen of those from the answers it keeps). The two
 * scenarios run in different processes, and nothing either does stores an answer where the other reads.
 */
export function matchPaths(matchIds: { min: number; max: number }) {
  const path = (id: number) => `/api/v1/predictions/${id}`;
  const ids = Array.from({ length: matchIds.max - matchIds.min + 1 }, (_, i) => matchIds.min + i);
  return { hot: ids.slice(0, HOT_MATCHES).map(path), cold: ids.slice(HOT_MATCHES).map(path) };
}

/**
 * The fixtures pages. Cached: the default one (every league's next match day) and each league's. Uncached: date
 * ranges nobody asked for before, of all leagues and of each, ending up to COLD_RANGE_DAYS.starts days before the
 * last stored match, so that every request reads its matches and their stored predictions from PostgreSQL.
 */
export function fixturePaths(fixtures: BenchDatabase["fixtures"], coldLimit: number) {
  const path = (query: string) => `/api/v1/fixtures${query === "" ? "" : `?${query}`}`;
  const last = Date.parse(`${fixtures.last}T00:00:00Z`);
  const day = (daysBefore: number) => new Date(last - daysBefore * 86_400_000).toISOString().slice(0, 10);
  const cold: string[] = [];
  for (let end = 0; end < COLD_RANGE_DAYS.starts; end++) {
    for (let length = 1; length <= COLD_RANGE_DAYS.longest; length++) {
      for (const league of ["", ...fixtures.leagues.map((code) => `league=${code}&`)]) {
        cold.push(path(`${league}from=${day(end + length - 1)}&to=${day(end)}`));
      }
    }
  }
  return {
    cached: [path(""), ...fixtures.leagues.map((code) => path(`league=${code}`))],
    cold: cold.slice(0, coldLimit),
  };
}

