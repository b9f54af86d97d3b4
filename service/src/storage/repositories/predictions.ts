import type { Knex } from "knex";
import type { MatchPrediction } from "../../domain/types";

export interface PredictionRecord {
  modelVersion: number;
  /** Null for an ad-hoc pairing that is not a stored fixture. */
  matchId: number | null;
  league: string;
  homeTeamId: number;
  awayTeamId: number;
  prediction: MatchPrediction;
}

/** Stores a prediction once per model version and fixture (or pairing); repeats are no-ops. */
export async function recordPrediction(db: Knex, record: PredictionRecord): Promise<void> {
  const { prediction } = record;
  // The targets name the partial unique indexes of the predictions migration.
  const conflictTarget =
    record.matchId === null
      ? "(model_version_id, home_team_id, away_team_id) WHERE match_id IS NULL"
      : "(model_version_id, match_id) WHERE match_id IS NOT NULL";
  const insert = db("predictions").insert({
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
  });
  await db.raw(`? ON CONFLICT ${conflictTarget} DO NOTHING`, [insert]);
}
