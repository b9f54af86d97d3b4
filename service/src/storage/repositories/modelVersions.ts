import type { Knex } from "knex";
import type { DixonColesParameters, FitMetrics, FittedModel } from "../../domain/types";

/** A fitted model as stored: the version id is what every stored prediction points at. */
export interface ModelVersion extends FittedModel {
  version: number;
  fittedAt: Date;
}

interface ModelVersionRow {
  id: number;
  league_code: string;
  fitted_at: Date;
  data_from: string;
  data_to: string;
  as_of: string;
  parameters: DixonColesParameters;
  fit_metrics: FitMetrics;
}

const toModelVersion = (row: ModelVersionRow): ModelVersion => ({
  version: row.id,
  league: row.league_code,
  fittedAt: row.fitted_at,
  dataFrom: row.data_from,
  dataTo: row.data_to,
  asOf: row.as_of,
  parameters: row.parameters,
  metrics: row.fit_metrics,
});

export async function insertModelVersion(db: Knex, model: FittedModel, fittedAt: Date): Promise<ModelVersion> {
  const [row]: ModelVersionRow[] = await db("model_versions")
    .insert({
      league_code: model.league,
      fitted_at: fittedAt,
      data_from: model.dataFrom,
      data_to: model.dataTo,
      as_of: model.asOf,
      match_count: model.metrics.matches,
      parameters: JSON.stringify(model.parameters),
      fit_metrics: JSON.stringify(model.metrics),
    })
    .returning("*");
  return toModelVersion(row);
}

export async function findModelVersion(db: Knex, version: number): Promise<ModelVersion | undefined> {
  const row: ModelVersionRow | undefined = await db("model_versions").where({ id: version }).first();
  return row === undefined ? undefined : toModelVersion(row);
}

/** The newest version id of every league that has one; cheap enough to poll. */
export async function latestVersionIds(db: Knex): Promise<Map<string, number>> {
  const rows: Array<{ league_code: string; id: number }> = await db("model_versions")
    .select("league_code")
    .max("id as id")
    .groupBy("league_code");
  return new Map(rows.map((row) => [row.league_code, row.id]));
}

/** One team's ratings in one stored model version. */
export interface RatingPoint {
  version: number;
  fittedAt: Date;
  dataTo: string;
  attack: number;
  defence: number;
}

/**
 * A team's attack and defence in every stored version of the league's model that rates it, oldest first. Only the
 * team's entry is read out of each version's parameters, so the history stays cheap however many teams there are.
 */
export async function ratingHistory(db: Knex, league: string, teamName: string): Promise<RatingPoint[]> {
  const rows: Array<{ id: number; fitted_at: Date; data_to: string; rating: { attack: number; defence: number } | null }> =
    await db("model_versions")
      .select("id", "fitted_at", "data_to", db.raw("parameters -> 'teams' -> ? AS rating", [teamName]))
      .where({ league_code: league })
      .orderBy("id");
  return rows.flatMap((row) =>
    row.rating === null
      ? []
      : [{ version: row.id, fittedAt: row.fitted_at, dataTo: row.data_to, attack: row.rating.attack, defence: row.rating.defence }],
  );
}
