import { type Cache, PREDICTIONS_BUCKET, cacheAside, putAhead, wireBody } from "../cache/cache";
import { predictMatch } from "../domain/dixonColes";
import { teamNameKey } from "../domain/teamNames";
import type { MatchPrediction } from "../domain/types";
import { AppError, invalid, notFound, unavailable } from "../errors";
import { type Clock, systemClock } from "../importer/types";
import type { Metrics } from "../metrics";
import type { Database } from "../storage/db";
import { kickoffOf } from "../storage/repositories/fixtures";
import { listLeagueCodes } from "../storage/repositories/leagues";
import type { Match } from "../storage/repositories/matches";
import type { ModelVersion } from "../storage/repositories/modelVersions";
import { type Team, findTeamsInLeague } from "../storage/repositories/teams";
import {
  PairingForecasts,
  type PredictionAnswer,
  forecastJson,
  matchAnswerJson,
  summariseModel,
} from "./answers";
import { BatchedPredictionReads } from "./batchedReads";
import type { MatchCatalogue } from "./matchCatalogue";
import type { ModelRegistry } from "./modelRegistry";

/** A first fit takes seconds, so clients asking before it finishes are told to wait a little longer. */
const MODEL_RETRY_AFTER_SECONDS = 5;

/** The league's current model: 404 for a league that does not exist, 503 `model_not_ready` before its first fit. */
export async function currentModel(db: Database, registry: ModelRegistry, league: string): Promise<ModelVersion> {
  const model = registry.get(league);
  if (model !== undefined) return model;
  if (!(await listLeagueCodes(db)).includes(league)) throw notFound(`league ${league} does not exist`);
  const message = `no model for ${league} has been fitted yet; retry shortly`;
  throw unavailable("model_not_ready", message, MODEL_RETRY_AFTER_SECONDS);
}

/** A scheduled match that has not kicked off: the only kind a prediction is a forecast for. */
export const isUpcoming = (match: Match, now: Date) =>
  match.status === "scheduled" && kickoffOf(match).getTime() > now.getTime();

// Cached as "<league>\n<json>": JSON.stringify never emits a raw newline, and hits need no parsing.
const pack = (league: string, json: string) => `${league}\n${json}`;

/** The answer as text, for the request that loaded it. */
function unpack(value: string): PredictionAnswer & { body: string } {
  const newline = value.indexOf("\n");
  return { league: value.slice(0, newline), body: value.slice(newline + 1) };
}

/** Made once per copy of a hot entry (see cacheAside), so hits neither split nor encode the text again. */
function unpackForWire(value: string): PredictionAnswer {
  const { league, body } = unpack(value);
  return { league, body: wireBody(body) };
}

const UNPACKED = { decode: unpackForWire, decodeLoaded: unpack };

/** As many answers as the near cache keeps copies of (about 10 MB). */
const MAX_CATALOGUE_ANSWERS = 5_000;

/** An answer, and whether it came from a cache or was made for this request. */
interface Outcome {
  value: PredictionAnswer;
  hit: boolean;
}

interface CatalogueAnswer {
  /** The catalogue's object it was made from: a new copy of the catalogue makes new objects, and new answers. */
  match: Match;
  /** The model it was made with: a refit installs a new one. */
  model: ModelVersion;
  /** As text: a prediction's answer is a few kB, which Node sends from the stack (see wireBody). */
  answer: PredictionAnswer & { body: string };
}

/**
 * Predictions from the in-memory models, cache-aside; reads never write to the database. A fixture's forecast
 * is the one the worker stored for the current model (PredictionPrecompute), computed in process when a request
 * beats the worker to it; ad-hoc pairings and matches already under way are computed in process. Keys carry the
 * model version(s), so a refit can never serve an old model's numbers, and the bucket is not dropped when a
 * model is replaced: that would also drop the entries the worker has just warmed for the new one (old keys are
 * never asked for again and leave as the bucket's bound evicts them). Recording a result drops the bucket.
 * Misses read their matches and stored forecasts in batches (BatchedPredictionReads).
 */
export class PredictionService {
  private readonly reads: BatchedPredictionReads;
  private readonly clock: Clock;
  private readonly catalogue: MatchCatalogue | undefined;
  private readonly pairings = new PairingForecasts();
  /** Answers made from the catalogue's matches, by match id; least recently used first. */
  private readonly catalogueAnswers = new Map<number, CatalogueAnswer>();

  constructor(
    private readonly db: Database,
    private readonly cache: Cache,
    private readonly registry: ModelRegistry,
    private readonly metrics: Metrics,
    options: { clock?: Clock; catalogue?: MatchCatalogue } = {},
  ) {
    this.reads = new BatchedPredictionReads(db);
    this.clock = options.clock ?? systemClock;
    this.catalogue = options.catalogue;
  }

  /** The current model's view of a stored match; played matches are answered too (see matchAnswer). */
  forMatch(matchId: number): Promise<PredictionAnswer> {
    // Neither this nor the work is async: each async layer costs a cached answer another promise and its ticks.
    return this.observed(
      undefined,
      () => this.fromCatalogue(matchId) ?? this.cached(this.matchKey(matchId), () => this.predictStoredMatch(matchId)),
    );
  }

  /** An ad-hoc pairing of two teams that have played (or are scheduled to play) in the league. */
  async forPairing(league: string, home: string, away: string): Promise<PredictionAnswer> {
    return this.observed(league, async () => {
      const model = await currentModel(this.db, this.registry, league);
      const key = JSON.stringify(["pairing", league, model.version, teamNameKey(home), teamNameKey(away)]);
      return this.cached(key, () => this.predictPairing(model, home, away));
    });
  }

  /** Caches the answers for upcoming fixtures of `model`'s league ahead of any request. */
  async warm(
    model: ModelVersion,
    fixtures: ReadonlyArray<{ match: Match; prediction: MatchPrediction }>,
  ): Promise<void> {
    for (const { match, prediction } of fixtures) {
      const answer = matchAnswer(match, model, forecastJson(model, prediction));
      await putAhead(this.cache, PREDICTIONS_BUCKET, this.matchKey(match.id), answer);
    }
  }

  private cached(key: string, load: () => Promise<string>): Promise<Outcome> {
    return cacheAside(this.cache, this.metrics, "predictions", PREDICTIONS_BUCKET, key, load, UNPACKED);
  }

  /**
   * The answer for a match the catalogue holds, made in process (as predictStoredMatch makes it: a fixture's stored
   * forecast is this very computation under the same model version) and kept while the catalogue's copy of the
   * match and the models stay the same; undefined when the catalogue cannot tell, or the league has no model yet
   * (the database path answers those).
   */
  private fromCatalogue(matchId: number): Outcome | undefined {
    const match = this.catalogue?.get(matchId);
    const model = match === undefined ? undefined : this.registry.get(match.league);
    if (match === undefined || model === undefined) return undefined;
    const known = this.catalogueAnswers.get(matchId);
    this.catalogueAnswers.delete(matchId);
    if (known !== undefined && known.match === match && known.model === model) {
      this.catalogueAnswers.set(matchId, known);
      this.metrics.cacheHits.inc("predictions");
      return { value: known.answer, hit: true };
    }
    this.metrics.cacheMisses.inc("predictions");
    const forecast = this.pairings.get(model, match.homeTeam.name, match.awayTeam.name);
    const answer = { league: match.league, body: matchAnswerJson(match, model, forecast) };
    if (this.catalogueAnswers.size >= MAX_CATALOGUE_ANSWERS) {
      this.catalogueAnswers.delete(this.catalogueAnswers.keys().next().value as number);
    }
    this.catalogueAnswers.set(matchId, { match, model, answer });
    return { value: answer, hit: false };
  }

  private matchKey(matchId: number): string {
    return `match:${matchId}@${this.registry.tag}`;
  }

  private async observed(
    league: string | undefined,
    work: () => Outcome | Promise<Outcome>,
  ): Promise<PredictionAnswer> {
    try {
      const { value: answer, hit } = await work();
      this.metrics.predictions.inc(answer.league, hit ? "cache" : "model");
      return answer;
    } catch (error) {
      const reason = error instanceof AppError ? error.code : "error";
      const knownLeague = league !== undefined && this.registry.get(league) !== undefined ? league : "unknown";
      this.metrics.predictionFailures.inc({ league: knownLeague, reason });
      throw error;
    }
  }

  private async predictStoredMatch(matchId: number): Promise<string> {
    const match = await this.reads.match(matchId);
    if (match === undefined) throw notFound(`match ${matchId} does not exist`);
    const model = await currentModel(this.db, this.registry, match.league);
    // The worker stores every upcoming fixture's forecast; one it has not reached yet is the same computation.
    const stored = isUpcoming(match, this.clock())
      ? await this.reads.storedForecast(model.version, match.id)
      : undefined;
    const forecast =
      stored === undefined
        ? this.pairings.get(model, match.homeTeam.name, match.awayTeam.name)
        : forecastJson(model, stored);
    return matchAnswer(match, model, forecast);
  }

  private async predictPairing(model: ModelVersion, home: string, away: string): Promise<string> {
    if (teamNameKey(home) === teamNameKey(away)) {
      throw invalid("invalid_query", "home and away must be different teams");
    }
    const teams = await findTeamsInLeague(this.db, model.league, [home, away]);
    const homeTeam = requireTeam(teams, home, model.league);
    const awayTeam = requireTeam(teams, away, model.league);
    const prediction = predictMatch(model.parameters, homeTeam.name, awayTeam.name);
    const answer = { league: model.league, homeTeam, awayTeam, model: summariseModel(model), prediction };
    return pack(model.league, JSON.stringify(answer));
  }
}

const matchAnswer = (match: Match, model: ModelVersion, forecast: string) =>
  pack(match.league, matchAnswerJson(match, model, forecast));

function requireTeam(teams: Map<string, Team>, name: string, league: string): Team {
  const team = teams.get(teamNameKey(name));
  if (team === undefined) throw notFound(`team '${name}' has no matches in league ${league}`);
  return team;
}
