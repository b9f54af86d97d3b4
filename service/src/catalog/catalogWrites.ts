import type { Knex } from "knex";
import { type Cache, FIXTURES_BUCKET, PREDICTIONS_BUCKET, READS_BUCKET } from "../cache/cache";
import { conflict, invalid, notFound, unavailable } from "../errors";
import type { SignalBus } from "../predictions/signals";
import { type Database, UnconfirmedCommitError, durableTransaction } from "../storage/db";
import { insertAuditEntry } from "../storage/repositories/audit";
import { findOrCreateSeason, listLeagueCodes } from "../storage/repositories/leagues";
import { type Match, findMatch, findMatchForUpdate, insertFixture, setResult } from "../storage/repositories/matches";
import { type RefitRequest, insertRefitRequest } from "../storage/repositories/refitRequests";
import { type Team, findOrCreateTeam } from "../storage/repositories/teams";
import { requireTeamName, teamNameKey } from "../domain/teamNames";

/** Who asked for a write, for the audit log. */
export interface Actor {
  subject: string;
  /** The server's id for the request. */
  requestId: string;
  /** The caller's own X-Request-Id, if it sent one: recorded, never trusted to identify the request. */
  clientRequestId?: string;
}

export interface NewFixtureInput {
  league: string;
  season: string;
  date: string;
  homeTeam: string;
  awayTeam: string;
}

const UNIQUE_VIOLATION = "23505";
const DAY_MS = 86_400_000;

type Audit = (
  action: string,
  entityType: string,
  entityId: string | number,
  before: unknown,
  after: unknown,
) => Promise<void>;

/**
 * The writes. Each runs in one transaction together with its audit rows (and refit request), so a write
 * interrupted by a database failure leaves either all of it or none, and is acknowledged only once its commit is
 * durable (with synchronous replication, on the standby too). Caches are dropped and the worker nudged only
 * after the commit.
 */
export class CatalogWrites {
  constructor(
    private readonly db: Database,
    private readonly cache: Cache,
    private readonly signals: SignalBus,
  ) {}

  async createFixture(input: NewFixtureInput, actor: Actor): Promise<Match> {
    const match = await this.audited(actor, async (trx, audit) => {
      await requireLeague(trx, input.league);
      if (teamNameKey(input.homeTeam) === teamNameKey(input.awayTeam)) {
        throw invalid("invalid_body", "homeTeam and awayTeam must be different teams");
      }
      const [home, away] = await resolveTeams(trx, [input.homeTeam, input.awayTeam], audit);
      if (home.id === away.id) {
        throw invalid("invalid_body", "homeTeam and awayTeam must be different teams");
      }
      const season = await findOrCreateSeason(trx, input.league, input.season);
      if (season.created) {
        await audit("season.create", "season", season.id, null, { league: input.league, name: input.season });
      }
      const id = await insertFixture(trx, {
        league: input.league,
        seasonId: season.id,
        date: input.date,
        homeTeamId: home.id,
        awayTeamId: away.id,
      });
      if (id === undefined) {
        throw conflict(`${home.name} v ${away.name} on ${input.date} already exists`);
      }
      const created = (await findMatch(trx, id)) as Match;
      await audit("match.create", "match", id, null, created);
      return created;
    });
    await this.cache.invalidate([READS_BUCKET, FIXTURES_BUCKET]);
    await this.signals.publish("fixtures-changed", match.league);
    return match;
  }

  async recordResult(matchId: number, score: { home: number; away: number }, actor: Actor): Promise<Match> {
    const match = await this.audited(actor, async (trx, audit) => {
      const before = await findMatchForUpdate(trx, matchId);
      if (before === undefined) throw notFound(`match ${matchId} does not exist`);
      if (Date.parse(before.date) > Date.now() + DAY_MS) {
        throw conflict(`match ${matchId} is dated ${before.date} and cannot have a result yet`);
      }
      await setResult(trx, matchId, score);
      const after = (await findMatch(trx, matchId)) as Match;
      const request = await insertRefitRequest(trx, {
        league: after.league,
        reason: "result",
        requestedBy: actor.subject,
      });
      await audit("match.result", "match", matchId, before, after);
      await audit("model.refit_request", "refit_request", request.id, null, request);
      return after;
    });
    await this.cache.invalidate([READS_BUCKET, PREDICTIONS_BUCKET, FIXTURES_BUCKET]);
    await this.signals.publish("refit-requested", match.league);
    return match;
  }

  /** Queues an immediate refit of one league, or of every league when none is given. */
  async requestRefit(league: string | undefined, actor: Actor): Promise<RefitRequest[]> {
    const requests = await this.audited(actor, async (trx, audit) => {
      const leagues = league === undefined ? await listLeagueCodes(trx) : [await requireLeague(trx, league)];
      const created: RefitRequest[] = [];
      for (const code of leagues) {
        const request = await insertRefitRequest(trx, { league: code, reason: "manual", requestedBy: actor.subject });
        await audit("model.refit_request", "refit_request", request.id, null, request);
        created.push(request);
      }
      return created;
    });
    for (const request of requests) await this.signals.publish("refit-requested", request.league);
    return requests;
  }

  private async audited<T>(actor: Actor, work: (trx: Knex.Transaction, audit: Audit) => Promise<T>): Promise<T> {
    try {
      return await durableTransaction(this.db, (trx) =>
        work(trx, (action, entityType, entityId, before, after) =>
          insertAuditEntry(trx, {
            actor: actor.subject,
            action,
            entityType,
            entityId: String(entityId),
            before,
            after,
            requestId: actor.requestId,
            clientRequestId: actor.clientRequestId,
          }),
        ),
      );
    } catch (error) {
      if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) {
        throw conflict("a concurrent request wrote the same record; retry");
      }
      if (error instanceof UnconfirmedCommitError) {
        throw unavailable(
          "commit_unconfirmed",
          "the write was committed but its replication was not confirmed, so a failover may undo it: read it back before retrying",
        );
      }
      throw error;
    }
  }
}

async function requireLeague(db: Knex, code: string): Promise<string> {
  if (!(await listLeagueCodes(db)).includes(code)) throw notFound(`league ${code} does not exist`);
  return code;
}

/**
 * Names resolve through their key (a team's own name or any alias); names not known yet (a promoted side) become
 * new teams. Names are checked first: a look-alike or invisible character never becomes a team.
 */
async function resolveTeams(trx: Knex.Transaction, names: readonly string[], audit: Audit): Promise<Team[]> {
  const teams: Team[] = [];
  for (const name of names) {
    const { team, created } = await findOrCreateTeam(trx, requireTeamName(name));
    if (created) await audit("team.create", "team", team.id, null, team);
    teams.push(team);
  }
  return teams;
}
