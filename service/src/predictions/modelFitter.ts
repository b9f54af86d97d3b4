import { fitShotsModel } from "../domain/shotsModel";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import type { Database } from "../storage/db";
import { playedResults } from "../storage/repositories/matches";
import { type ModelVersion, insertModelVersion } from "../storage/repositories/modelVersions";

/** Too few results give a model that is mostly prior; such a league waits for more data. */
const MIN_MATCHES_TO_FIT = 30;

/**
 * Fits one league on all of its played matches (goals, and shots where stored: see fitShotsModel) and stores
 * the result as a new model version. Time decay is measured from the league's latest result: decaying further
 * without new information would only pull established teams toward the newcomer prior.
 */
export async function fitLeague(
  db: Database,
  league: string,
  previous: ModelVersion | undefined,
  deps: { metrics: Metrics; logger: Logger },
): Promise<ModelVersion | undefined> {
  const results = await playedResults(db, league);
  if (results.length < MIN_MATCHES_TO_FIT) {
    deps.logger.info({ league, matches: results.length }, "too few results to fit a model");
    return undefined;
  }
  const asOf = results[results.length - 1].date;
  const stopTimer = deps.metrics.modelFitDuration.startTimer({ league });
  const fitted = fitShotsModel(league, results, { asOf }, previous?.parameters);
  stopTimer();
  const stored = await insertModelVersion(db, fitted, new Date());
  deps.logger.info(
    {
      league,
      version: stored.version,
      model: fitted.parameters.model,
      matches: fitted.metrics.matches,
      dataFrom: fitted.dataFrom,
      dataTo: fitted.dataTo,
      converged: fitted.metrics.converged,
      fitMs: Math.round(fitted.metrics.durationMs),
    },
    "model fitted",
  );
  return stored;
}
