import { setImmediate as nextTurn } from "node:timers/promises";
import { loadShippedClosingLine, type ShippedClosingLine } from "../data/closingLine";
import { DIXON_COLES } from "../domain/dixonColes";
import { meanScores } from "../domain/metrics";
import { DIXON_COLES_SHOTS } from "../domain/shotsModel";
import { notFound, unavailable } from "../errors";
import type { Logger } from "../logger";
import type { ModelRegistry } from "../predictions/modelRegistry";
import type { Database } from "../storage/db";
import { listLeagueCodes } from "../storage/repositories/leagues";
import { playedResults } from "../storage/repositories/matches";
import { type CalibrationBin, calibrationBins } from "./calibration";
import { type ClosingOddsOrigin, seasonClosingLine } from "./closingLine";
import { type BacktestForecast, type ModelKey, walkForward } from "./walkForward";

/** Seasons scored per league: the latest ones with results, enough to judge the model without minutes of fitting. */
export const RECORD_SEASONS = 3;
/** A league's record takes about a second per season to compute; clients are told to come back after that. */
const RETRY_AFTER_SECONDS = 5;

export interface SeasonRecord {
  season: string;
  matches: number;
  /**
   * Mean ranked probability score of each forecaster; lower is better. `closingOdds` is the bookmakers' closing line
   * (1/odds normalised to remove the margin) over the season's matches that have closing odds, null when none has.
   */
  rps: { model: number; baseline: number; closingOdds: number | null };
  /**
   * Where `rps.closingOdds` comes from: the closing odds stored with the season's matches (a deployment's own
   * import of football-data.co.uk files) or, without them, the figures the repository ships; null with it.
   */
  closingOddsSource: ClosingOddsOrigin | null;
}

/** The current model's walk-forward record in one league: what the page's model view shows. */
export interface LeagueRecord {
  league: string;
  /** The model version whose data the record was computed on; a newer version computes it anew. */
  version: number;
  model: string;
  computedAt: string;
  /** Whether the data carries bookmakers' closing odds; without them `closingOdds` is null in every season. */
  closingOdds: boolean;
  seasons: SeasonRecord[];
  calibration: CalibrationBin[];
}

interface Entry {
  version: number;
  record?: LeagueRecord;
  running?: Promise<void>;
}

/**
 * Each league's backtest record, computed once per model version and kept in memory. Computing takes seconds of
 * CPU, so a request never waits for it: the first asks start it and get 503 with Retry-After, and the season-by-
 * season work yields to the event loop between seasons so the API keeps answering meanwhile.
 */
export class BacktestRecords {
  private readonly entries = new Map<string, Entry>();

  /** `shipped`: the closing line's derived figures, for seasons whose matches have no stored closing odds. */
  constructor(
    private readonly db: Database,
    private readonly registry: ModelRegistry,
    private readonly logger: Logger,
    private readonly shipped: readonly ShippedClosingLine[] = loadShippedClosingLine(),
  ) {}

  async forLeague(league: string): Promise<LeagueRecord> {
    const model = this.registry.get(league);
    if (model === undefined) {
      if (!(await listLeagueCodes(this.db)).includes(league)) throw notFound(`league ${league} does not exist`);
      throw unavailable("model_not_ready", `no model for ${league} has been fitted yet; retry shortly`, RETRY_AFTER_SECONDS);
    }
    let entry = this.entries.get(league);
    if (entry?.record !== undefined && entry.version === model.version) return entry.record;
    if (entry === undefined || (entry.version !== model.version && entry.running === undefined)) {
      entry = { ...entry, version: model.version };
      this.entries.set(league, entry);
      const started = entry;
      started.running = this.compute(league, model.version, model.parameters.model ?? DIXON_COLES)
        .then((record) => {
          started.record = record;
        })
        .catch((error: Error) => {
          this.logger.error({ err: error, league }, "backtest record failed");
          // The next request starts it again instead of waiting forever on a run that ended.
          if (this.entries.get(league) === started && started.record === undefined) this.entries.delete(league);
        })
        .finally(() => {
          started.running = undefined;
        });
    }
    if (entry.record !== undefined) return entry.record;
    throw unavailable("record_not_ready", `the backtest record of ${league} is being computed; retry shortly`, RETRY_AFTER_SECONDS);
  }

  private async compute(league: string, version: number, name: string): Promise<LeagueRecord> {
    // The walk-forward fits both models at once; the record is the one the league's current model is.
    const key: ModelKey = name === DIXON_COLES_SHOTS ? "shots" : "goals";
    const started = performance.now();
    const results = (await playedResults(this.db, league)).map((result) => ({ ...result, league }));
    const seasons = [...new Set(results.map((result) => result.season))].sort();
    // The first season has nothing before it to fit on.
    const scored = seasons.slice(1).slice(-RECORD_SEASONS);
    const forecasts: BacktestForecast[] = [];
    const records: SeasonRecord[] = [];
    for (const season of scored) {
      await nextTurn();
      const own = walkForward(results, { league, fromSeason: season, toSeason: season }).forecasts;
      forecasts.push(...own);
      const closing = seasonClosingLine(league, season, own, this.shipped);
      records.push({
        season,
        matches: own.length,
        rps: {
          model: meanScores(own.map((f) => ({ forecast: f[key], outcome: f.outcome }))).rps,
          baseline: meanScores(own.map((f) => ({ forecast: f.baseline, outcome: f.outcome }))).rps,
          closingOdds: closing?.rps ?? null,
        },
        closingOddsSource: closing?.origin ?? null,
      });
    }
    this.logger.info({ league, version, seasons: scored, ms: Math.round(performance.now() - started) }, "backtest record computed");
    return {
      league,
      version,
      model: name,
      computedAt: new Date().toISOString(),
      closingOdds: records.some((record) => record.rps.closingOdds !== null),
      seasons: records,
      calibration: calibrationBins(forecasts.map((f) => ({ forecast: f[key], outcome: f.outcome }))),
    };
  }
}
