/**
 * What the PostgreSQL drills send (cached reads, uncached reads, audited result writes) and how they account for
 * it afterwards: which reads the cache must have answered, and what the database holds of every write.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { type RequestSpec, type Sample, outcome } from "../support/load";

/** Runs a query on the drill's database (whichever cluster holds it now). */
export type Query = <T extends object>(sql: string, values?: unknown[]) => Promise<T[]>;

export interface Pairing {
  league: string;
  home: string;
  away: string;
}

/** Two recent pairings per league, so every league's model is exercised. */
export function recentPairings(query: Query): Promise<Pairing[]> {
  return query<Pairing>(
    `SELECT league, home, away FROM (
       SELECT m.league_code AS league, ht.name AS home, at.name AS away,
              row_number() OVER (PARTITION BY m.league_code ORDER BY m.match_date DESC, m.id DESC) AS n
         FROM matches m JOIN teams ht ON ht.id = m.home_team_id JOIN teams at ON at.id = m.away_team_id
        WHERE m.status = 'played') recent
      WHERE n <= 2 ORDER BY league, n`,
  );
}

/** Answers that need no database once cached (or at all: ping, status, models). */
export function cachedPaths(pairings: readonly Pairing[]): string[] {
  return [
    "/api/v1/leagues",
    "/api/v1/leagues/E0",
    "/api/v1/leagues/D1",
    "/api/v1/matches?league=E0&limit=5",
    "/api/v1/teams?league=SP1&limit=10",
    "/api/v1/ping",
    "/api/v1/status",
    "/api/v1/models",
    ...pairings.map(
      ({ league, home, away }) =>
        `/api/v1/predictions?league=${league}&home=${encodeURIComponent(home)}&away=${encodeURIComponent(away)}`,
    ),
  ];
}

/**
 * Every call a key never asked before: a window of SP1's matches (`uncached`: only the database can answer it), or
 * the prediction of one of `matchIds()` as they are at the call (`prediction`: made from the process's copy of every
 * match while it holds one current, from the database otherwise).
 */
function uncachedReads(matchIds: () => readonly number[]): () => RequestSpec {
  let unique = 0;
  return () => {
    unique += 1;
    if (unique % 2 === 0) {
      const ids = matchIds();
      const id = ids[(unique * 7919) % ids.length];
      return { kind: "prediction", path: `/api/v1/predictions/${id}` };
    }
    const from = new Date(Date.UTC(2000, 0, 1) + unique * 86_400_000).toISOString().slice(0, 10);
    return { kind: "uncached", path: `/api/v1/matches?league=SP1&from=${from}&limit=${1 + (unique % 50)}` };
  };
}

/** Cached and uncached reads in turn. */
export function mixedReads(cached: readonly string[], matchIds: () => readonly number[]): () => RequestSpec {
  const uncached = uncachedReads(matchIds);
  let turn = 0;
  return () => {
    turn += 1;
    return turn % 2 === 0 ? { kind: "cached", path: cached[turn % cached.length] } : uncached();
  };
}

/** Asks for every path twice (each must answer 200), so that the drill starts with them cached. */
export async function warmUp(baseUrl: string, paths: readonly string[]): Promise<void> {
  for (let round = 0; round < 2; round++) {
    for (const path of paths) assert.equal((await fetch(`${baseUrl}${path}`)).status, 200, path);
  }
}

/**
 * Over intervals sorted by `key`: the largest `value` among those whose key is below `at` (-Infinity if none).
 */
function latestBefore<T>(items: readonly T[], key: (item: T) => number, value: (item: T) => number) {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  const keys = sorted.map(key);
  const prefixMax: number[] = [];
  for (const item of sorted) prefixMax.push(Math.max(prefixMax.at(-1) ?? -Infinity, value(item)));
  return (at: number): number => {
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (keys[mid] < at) low = mid + 1;
      else high = mid;
    }
    return low === 0 ? -Infinity : prefixMax[low - 1];
  };
}

/**
 * The reads the cache must have answered: a read counts once the same path has answered 200 after every
 * acknowledged write that started before the read had ended. A result write empties the read and prediction
 * caches after it commits and before it answers, and only writes that commit (and so answer 200) do: nothing
 * else (no worker runs in the drills) can have emptied the cache between that 200 and the read.
 */
export function cacheAnswerable(samples: readonly Sample[]): Sample[] {
  const lastInvalidation = latestBefore(
    samples.filter((s) => s.spec.kind === "write" && s.status === 200),
    (write) => write.start,
    (write) => write.end,
  );
  const reads = samples.filter((s) => s.spec.kind === "cached");
  const fills = new Map<string, (at: number) => number>();
  for (const path of new Set(reads.map((s) => s.spec.path))) {
    const answered = reads.filter((s) => s.spec.path === path && s.status === 200);
    // The latest start among this path's 200s that had ended before `at`.
    fills.set(path, latestBefore(answered, (s) => s.end, (s) => s.start));
  }
  return reads.filter((read) => (fills.get(read.spec.path) as (at: number) => number)(read.start) > lastInvalidation(read.start));
}

export interface ResultWrite {
  matchId: number;
  requestId: string;
  home: number;
  away: number;
}

/**
 * Authenticated `PUT /matches/:id/result` requests, each to a match of its own with a score of 50 or more (which
 * the seeded data never has, so a written row is told apart from the original), until the targets run out.
 */
export class ResultWrites {
  readonly run = randomBytes(3).toString("hex");
  private count = 0;

  constructor(
    private readonly token: string,
    private readonly targets: readonly number[],
  ) {}

  static async targets(query: Query, limit = 4000): Promise<number[]> {
    const rows = await query<{ id: number }>("SELECT id FROM matches WHERE status = 'played' ORDER BY id LIMIT $1", [limit]);
    return rows.map((row) => row.id);
  }

  /** The matches written to so far, acknowledged or not (the first target before any write). */
  readonly reached = (): readonly number[] => this.targets.slice(0, Math.max(1, this.count));

  readonly next = (): RequestSpec | undefined => {
    if (this.count >= this.targets.length) return undefined;
    const n = this.count;
    this.count += 1;
    const write: ResultWrite = {
      matchId: this.targets[n],
      requestId: `fault-${this.run}-${n}`,
      home: 50 + (n % 50),
      away: 50 + ((n * 7) % 50),
    };
    return {
      kind: "write",
      method: "PUT",
      path: `/api/v1/matches/${write.matchId}/result`,
      headers: { "content-type": "application/json", authorization: `Bearer ${this.token}`, "x-request-id": write.requestId },
      body: JSON.stringify({ homeGoals: write.home, awayGoals: write.away }),
      tag: write,
    };
  };
}

export interface WriteAccount {
  /** Writes stored in part: the match without its audit rows, or the other way round. */
  partial: string[];
  /** Writes answered 2xx that the database does not hold. */
  lost: string[];
  acknowledged: number;
  /** Stored although the client got an error: the commit happened, its answer did not arrive. */
  committedUnacknowledged: number;
  /** Refused and not stored. */
  absent: number;
}

/** Checks every write the drill sent against the database: the match row, its two audit rows, its refit request. */
export async function accountForWrites(query: Query, samples: readonly Sample[], writes: ResultWrites, actor: string): Promise<WriteAccount> {
  const sent = samples.filter((s) => s.spec.kind === "write").map((s) => ({ sample: s, write: s.spec.tag as ResultWrite }));
  const rows = await query<{ id: number; status: string; home_goals: number | null; away_goals: number | null }>(
    "SELECT id, status, home_goals, away_goals FROM matches WHERE id = ANY($1)",
    [sent.map((w) => w.write.matchId)],
  );
  // The client's X-Request-Id is kept beside the server's own id (client_request_id); it tells the drill's writes apart.
  interface AuditRow {
    client_request_id: string;
    action: string;
    entity_id: string;
    after: { score?: { home: number; away: number } | null };
  }
  const audits = await query<AuditRow>(
    "SELECT client_request_id, action, entity_id, after FROM audit_log WHERE client_request_id LIKE $1",
    [`fault-${writes.run}-%`],
  );
  const refits = new Set(
    (await query<{ id: number }>("SELECT id FROM refit_requests WHERE requested_by = $1", [actor])).map((row) => String(row.id)),
  );
  const rowById = new Map(rows.map((row) => [row.id, row]));
  const account: WriteAccount = { partial: [], lost: [], acknowledged: 0, committedUnacknowledged: 0, absent: 0 };
  for (const { sample, write } of sent) {
    const row = rowById.get(write.matchId);
    const applied = row?.status === "played" && row.home_goals === write.home && row.away_goals === write.away;
    const mine = audits.filter((audit) => audit.client_request_id === write.requestId);
    const resultAudit = mine.some(
      (audit) =>
        audit.action === "match.result" &&
        audit.entity_id === String(write.matchId) &&
        audit.after.score?.home === write.home &&
        audit.after.score.away === write.away,
    );
    const refitAudit = mine.some((audit) => audit.action === "model.refit_request" && refits.has(audit.entity_id));
    const complete = applied && resultAudit && refitAudit && mine.length === 2;
    const none = !applied && mine.length === 0;
    if (!complete && !none) {
      const actions = mine.map((a) => a.action).join(",") || "none";
      account.partial.push(`${write.requestId} (${outcome(sample)}): match ${applied ? "updated" : "unchanged"}, audit ${actions}`);
    }
    const acknowledged = sample.status !== undefined && sample.status >= 200 && sample.status < 300;
    if (acknowledged) account.acknowledged += 1;
    if (acknowledged && !complete) account.lost.push(`${write.requestId}: acknowledged ${sample.status} but not stored`);
    if (!acknowledged && complete) account.committedUnacknowledged += 1;
    if (none) account.absent += 1;
  }
  return account;
}
