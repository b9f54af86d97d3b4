import { DIXON_COLES, predictMatch } from "../domain/dixonColes";
import { scoreGrid } from "../domain/scorelines";
import type { MatchPrediction } from "../domain/types";
import type { Match } from "../storage/repositories/matches";
import type { ModelVersion } from "../storage/repositories/modelVersions";

// The JSON of GET /predictions/:id, in parts: most of an answer (the prediction and its score grid) depends on the
// pairing and the model alone, and serialising those numbers is most of the cost of an answer nobody asked for.

/** A prediction ready to send, with the league it belongs to (for metrics on cache hits). */
export interface PredictionAnswer {
  league: string;
  /** The JSON, in the form to send: text, or for a large answer kept for many requests a Buffer (see wireBody). */
  body: Buffer | string;
}

export interface ModelSummary {
  version: number;
  /** Which model: `dixon-coles/1` (goals) or `dixon-coles-shots/1` (goals and shots). */
  name: string;
  fittedAt: string;
  dataFrom: string;
  dataTo: string;
}

const summaries = new WeakMap<ModelVersion, { summary: ModelSummary; json: string }>();

/**
 * What an answer says of its model, and its JSON, made once per model object (a refit installs a new one): every
 * answer under the model, a fixtures page's every fixture included, carries the same summary. Frozen, as it is shared.
 */
function summaryOf(model: ModelVersion): { summary: ModelSummary; json: string } {
  let known = summaries.get(model);
  if (known === undefined) {
    const summary = Object.freeze({
      version: model.version,
      name: model.parameters.model ?? DIXON_COLES,
      fittedAt: model.fittedAt.toISOString(),
      dataFrom: model.dataFrom,
      dataTo: model.dataTo,
    });
    known = { summary, json: JSON.stringify(summary) };
    summaries.set(model, known);
  }
  return known;
}

export const summariseModel = (model: ModelVersion): ModelSummary => summaryOf(model).summary;

/** The score grid of a match's prediction covers 0-6 goals a side, where nearly all of the probability lies. */
export const SCORE_GRID_GOALS = 6;

/** Whether the model was fitted on that very result, i.e. whether this is hindsight rather than a forecast. */
const isInSample = (match: Match, model: ModelVersion) => match.status === "played" && match.date <= model.dataTo;

/** An answer's `prediction` and `scoreGrid` members, as JSON. */
export const forecastJson = (model: ModelVersion, prediction: MatchPrediction): string =>
  `"prediction":${JSON.stringify(prediction)},"scoreGrid":${JSON.stringify(
    scoreGrid(prediction.expectedGoals.home, prediction.expectedGoals.away, model.parameters.rho, SCORE_GRID_GOALS),
  )}`;

/**
 * The answer of GET /predictions/:id as JSON: `{match, model, inSample, prediction, scoreGrid}`, the last two
 * from `forecastJson`.
 */
export const matchAnswerJson = (match: Match, model: ModelVersion, forecast: string): string =>
  `{"match":${JSON.stringify(match)},"model":${summaryOf(model).json},"inSample":${isInSample(match, model)},${forecast}}`;

/** Pairings whose forecast JSON is kept per model (about 3 MB): the sides a league's history holds meet in fewer. */
const MAX_PAIRINGS_PER_MODEL = 2_000;

/**
 * The forecast JSON of a pairing computed in process under a model (not a stored forecast), made once: every match
 * of the pairing shares it. Kept per model object, so a new model starts afresh and the old one's go with it.
 */
export class PairingForecasts {
  private readonly byModel = new WeakMap<ModelVersion, Map<string, string>>();

  get(model: ModelVersion, home: string, away: string): string {
    let forecasts = this.byModel.get(model);
    if (forecasts === undefined) {
      forecasts = new Map();
      this.byModel.set(model, forecasts);
    }
    const pairing = `${home}\n${away}`;
    let json = forecasts.get(pairing);
    if (json === undefined) {
      json = forecastJson(model, predictMatch(model.parameters, home, away));
      if (forecasts.size >= MAX_PAIRINGS_PER_MODEL) forecasts.clear();
      forecasts.set(pairing, json);
    }
    return json;
  }
}
