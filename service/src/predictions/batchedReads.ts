import DataLoader from "dataloader";
import type { MatchPrediction } from "../domain/types";
import type { Database } from "../storage/db";
import { type Match, findMatches } from "../storage/repositories/matches";
import { predictionsOfVersions } from "../storage/repositories/predictions";

/** Bounds one statement's id list; a burst larger than this is read in several statements. */
const MAX_BATCH = 500;
/** Statements of one kind under way at once; loads arriving meanwhile wait and go together in the next one. */
const MAX_IN_FLIGHT = 2;

/**
 * When each batch is sent: at the end of the event loop's turn (each request's handler runs in a callback of its
 * own, so DataLoader's default, after the current tick, would send a statement per request), and while
 * MAX_IN_FLIGHT statements are under way, only once one of them is done. Under load a batch thus holds every
 * request that arrived during a round trip, so statements stay few however many requests there are; a lone
 * request is sent at once.
 */
class BatchWindow {
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  readonly schedule = (dispatch: () => void): void => {
    if (this.inFlight < MAX_IN_FLIGHT) {
      this.inFlight += 1;
      setImmediate(dispatch);
    } else {
      this.waiting.push(dispatch);
    }
  };

  /** Runs a batch's statement and then lets the next waiting batch go. */
  async run<T>(statement: () => Promise<T>): Promise<T> {
    try {
      return await statement();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.inFlight -= 1;
      else setImmediate(next);
    }
  }
}

interface StoredForecastKey {
  version: number;
  matchId: number;
}

/**
 * The reads of an uncached prediction, batched: concurrent requests for different matches share one statement for
 * their matches and one per model version for their stored forecasts, instead of a round trip each. Nothing is
 * kept between batches (DataLoader's cache is off), so every read sees the database as it is when its batch runs.
 */
export class BatchedPredictionReads {
  private readonly matches: DataLoader<number, Match | undefined>;
  private readonly forecasts: DataLoader<StoredForecastKey, MatchPrediction | undefined, string>;

  constructor(db: Database) {
    const matchWindow = new BatchWindow();
    this.matches = new DataLoader(
      (ids) =>
        matchWindow.run(async () => {
          const found = await findMatches(db, ids);
          return ids.map((id) => found.get(id));
        }),
      { cache: false, maxBatchSize: MAX_BATCH, batchScheduleFn: matchWindow.schedule },
    );
    const forecastWindow = new BatchWindow();
    this.forecasts = new DataLoader(
      (keys) =>
        forecastWindow.run(async () => {
          const idsByVersion = new Map<number, number[]>();
          for (const { version, matchId } of keys) {
            const ids = idsByVersion.get(version) ?? [];
            ids.push(matchId);
            idsByVersion.set(version, ids);
          }
          const found = new Map(
            await Promise.all(
              [...idsByVersion].map(async ([version, ids]) => [version, await predictionsOfVersions(db, [version], ids)] as const),
            ),
          );
          return keys.map(({ version, matchId }) => found.get(version)?.get(matchId));
        }),
      { cache: false, maxBatchSize: MAX_BATCH, batchScheduleFn: forecastWindow.schedule },
    );
  }

  match(id: number): Promise<Match | undefined> {
    return this.matches.load(id);
  }

  /** The forecast the worker stored for the match under this model version, if it has. */
  storedForecast(version: number, matchId: number): Promise<MatchPrediction | undefined> {
    return this.forecasts.load({ version, matchId });
  }
}
