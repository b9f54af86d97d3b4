import type { Knex } from "knex";
import type { MatchPrediction } from "../../domain/types";

export interface PredictionRecord {
  modelVersion: number;
  matchId: number;
  league: string;
  homeTeamId: number;
  awayTeamId: number;
  prediction: MatchPrediction;
}

/** The model behind a stored prediction, as far as a client is told. */
export interface StoredModel {
  version: number;
  /** Null for versions stored before the parameters named their model. */
  name: string | null;
  fittedAt: Date;
  dataFrom: string;
  dataTo: string;
}

export interface StoredPrediction {
  prediction: MatchPrediction;
  model: StoredModel;
}

/**
 * A stored prediction with its fields in the order the model produces them: jsonb keeps keys sorted, and a
 * stored forecast should read exactly as the same prediction computed in process.
 */
export const asPrediction = (stored: MatchPrediction): MatchPrediction => ({
  homeWin: stored.homeWin,
  draw: stored.draw,
  awayWin: stored.awayWin,
  expectedGoals: { home: stored.expectedGoals.home, away: stored.expectedGoals.away },
  likelyScores: stored.likelyScores.map(({ homeGoals, awayGoals, probability }) => ({ homeGoals, awayGoals, probability })),
  over25: stored.over25,
  under25: stored.under25,
  bothTeamsToScore: stored.bothTeamsToScore,
});

/** Stores fixtures' predictions, once per model version and fixture; repeats are no-ops. */
export async function recordPredictions(db: Knex, records: readonly PredictionRecord[]): Promise<void> {
  if (records.length === 0) return;
  const insert = db("predictions").insert(
    records.map(({ prediction, ...record }) => ({
      model_version_id: record.modelVersion,
      match_id: record.matchId,
      league_code: record.league,
      home_team_id: record.homeTeamId,
      away_team_id: record.awayTeamId,
      home_win: prediction.homeWin,
      draw: prediction.draw,
      away_win: prediction.awayWin,
      expected_home_goals: prediction.expectedGoals.home,
      expected_away_goals: prediction.expectedGoals.away,
      details: JSON.stringify(prediction),
    })),
  );
  // The target names the partial unique index of the predictions migration.
  await db.raw("? ON CONFLICT (model_version_id, match_id) WHERE match_id IS NOT NULL DO NOTHING", [insert]);
}

/**
 * What the given model versions predicted for the given matches, by match. A stored prediction's version is always
 * of its match's league, so one version per league and the leagues' matches can be asked for in one statement.
 */
export async function predictionsOfVersions(
  db: Knex,
  versions: readonly number[],
  matchIds: readonly number[],
): Promise<Map<number, MatchPrediction>> {
  if (versions.length === 0 || matchIds.length === 0) return new Map();
  const rows: Array<{ match_id: number; details: MatchPrediction }> = await db("predictions")
    .select("match_id", "details")
    .whereIn("model_version_id", versions)
    .whereIn("match_id", matchIds);
  return new Map(rows.map((row) => [row.match_id, asPrediction(row.details)]));
}
