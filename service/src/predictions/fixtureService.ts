import {
  type Cache,
  type CacheAsideOptions,
  FIXTURES_BUCKET,
  cacheAside,
  canonicalKey,
  putAhead,
  wireBody,
} from "../cache/cache";
import { DIXON_COLES, predictMatch } from "../domain/dixonColes";
import type { MatchPrediction } from "../domain/types";
import { type Clock, systemClock } from "../importer/types";
import type { Metrics } from "../metrics";
import type { Database } from "../storage/db";
import { type StoredFixture, kickoffOf, matchesBetween, nextMatchDays } from "../storage/repositories/fixtures";
import type { Match } from "../storage/repositories/matches";
import type { StoredModel } from "../storage/repositories/predictions";
import type { ModelRegistry } from "./modelRegistry";
import { type ModelSummary, summariseModel } from "./answers";
import { currentModel, isUpcoming } from "./predictionService";

/** `from` and `to` come together (validated by the caller); without them the next match day of each league. */
export interface FixturesQuery {
  league?: string;
  from?: string;
  to?: string;
}

interface Fixture {
  match: Match;
  prediction: MatchPrediction | null;
  model: ModelSummary | null;
  /** True for a match still to kick off: the prediction is the current model's; false for the pre-match record. */
  forecast: boolean;
}

const summariseStored = (model: StoredModel): ModelSummary => ({
  version: model.version,
  name: model.name ?? DIXON_COLES,
  fittedAt: model.fittedAt.toISOString(),
  dataFrom: model.dataFrom,
  dataTo: model.dataTo,
});

/** Never expires: a page without forecasts changes only through writes, which drop the bucket. */
const NO_EXPIRY = Number.MAX_SAFE_INTEGER;

// Cached as "<expiry ms>\n<json>": a page stops being true when its first forecast kicks off.
const expiryOf = (value: string) => Number(value.slice(0, value.indexOf("\n")));
/** The page's JSON, for the request that loaded it. */
const textOf = (value: string) => value.slice(value.indexOf("\n") + 1);
/** The page's JSON in the form to send, made once per copy of a hot entry (see cacheAside). */
const bodyOf = (value: string) => wireBody(textOf(value));

/** Keys by query object: the API hands the same validated query to every request of one query string. */
const canonicalKeys = new WeakMap<FixturesQuery, string>();

/**
 * GET /fixtures: matches with their predictions in one answer, cache-aside in the fixtures bucket under the model
 * versions in use. Forecasts are the predictions the worker stored (computed in process, not stored, when a
 * request comes first); matches under way or played carry the last prediction stored before kick-off, never a
 * new one. Reads only: nothing here writes to the database.
 */
export class FixtureService {
  constructor(
    private readonly db: Database,
    private readonly cache: Cache,
    private readonly registry: ModelRegistry,
    private readonly metrics: Metrics,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The page as JSON. Naming a league alone needs its model: 404 when unknown, 503 before its first fit. */
  async page(query: FixturesQuery): Promise<Buffer | string> {
    if (query.league !== undefined) await currentModel(this.db, this.registry, query.league);
    const isFresh = (value: string) => expiryOf(value) > this.clock().getTime();
    const load = () => this.load(query);
    const key = this.key(query);
    const options: CacheAsideOptions<Buffer | string> = { decode: bodyOf, decodeLoaded: textOf, isFresh };
    return (await cacheAside(this.cache, this.metrics, "fixtures", FIXTURES_BUCKET, key, load, options)).value;
  }

  /** Caches the default pages (every league's next match day, and each league's alone) ahead of any request. */
  async warm(leagues: readonly string[]): Promise<void> {
    for (const query of [{}, ...leagues.map((league) => ({ league }))]) {
      await putAhead(this.cache, FIXTURES_BUCKET, this.key(query), await this.load(query));
    }
  }

  private key(query: FixturesQuery): string {
    let canonical = canonicalKeys.get(query);
    if (canonical === undefined) {
      canonical = canonicalKey("fixtures", query);
      canonicalKeys.set(query, canonical);
    }
    return `${canonical}@${this.registry.tag}`;
  }

  private async load(query: FixturesQuery): Promise<string> {
    const now = this.clock();
    const { from, to } = query;
    const read = { now, versions: this.registry.all().map((model) => model.version) };
    const stored =
      from === undefined || to === undefined
        ? await nextMatchDays(this.db, query.league, read)
        : await matchesBetween(this.db, { league: query.league, from, to }, read);
    const data = stored.map((fixture) => this.withPrediction(fixture, now));
    const dates = stored.map(({ match }) => match.date).sort();
    const today = now.toISOString().slice(0, 10);
    const range = { from: from ?? dates[0] ?? today, to: to ?? dates[dates.length - 1] ?? today };
    const kickoffs = data.filter((fixture) => fixture.forecast).map((fixture) => kickoffOf(fixture.match).getTime());
    const expiry = Math.min(NO_EXPIRY, ...kickoffs);
    return `${expiry}\n${JSON.stringify({ data, range })}`;
  }

  /** A forecast is the stored one, or made in process when a request comes first; any other match's is its record. */
  private withPrediction({ match, forecast, record }: StoredFixture, now: Date): Fixture {
    if (!isUpcoming(match, now)) {
      if (record === null) return { match, prediction: null, model: null, forecast: false };
      return { match, prediction: record.prediction, model: summariseStored(record.model), forecast: false };
    }
    const model = this.registry.get(match.league);
    if (model === undefined) return { match, prediction: null, model: null, forecast: true };
    const prediction = forecast ?? predictMatch(model.parameters, match.homeTeam.name, match.awayTeam.name);
    return { match, prediction, model: summariseModel(model), forecast: true };
  }
}
