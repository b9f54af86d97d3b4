import type { Knex } from "knex";
import * as leaguesSeasonsTeams from "./20261123000001_leagues_seasons_teams";
import * as matches from "./20261123000002_matches";
import * as modelVersionsPredictions from "./20261123000003_model_versions_predictions";
import * as auditLogRefitRequests from "./20261123000004_audit_log_refit_requests";
import * as matchSchedule from "./20261206000001_match_schedule";
import * as matchShots from "./20261206000015_match_shots";
import * as auditClientRequestId from "./20261206000016_audit_client_request_id";
import * as teamIdentity from "./20261206000017_team_identity";
import * as imports from "./20261206000018_imports";
import * as refitReasonStats from "./20261206000019_refit_reason_stats";
import * as matchClosingOdds from "./20261206000020_match_closing_odds";

/**
 * Every migration, in order. A fixed import list (rather than a directory scan) works the same from ts-node
 * and from compiled dist/, and makes a forgotten migration a compile-time matter.
 */
export const MIGRATIONS: ReadonlyArray<readonly [string, Knex.Migration]> = [
  ["20261123000001_leagues_seasons_teams", leaguesSeasonsTeams],
  ["20261123000002_matches", matches],
  ["20261123000003_model_versions_predictions", modelVersionsPredictions],
  ["20261123000004_audit_log_refit_requests", auditLogRefitRequests],
  ["20261206000001_match_schedule", matchSchedule],
  ["20261206000015_match_shots", matchShots],
  ["20261206000016_audit_client_request_id", auditClientRequestId],
  ["20261206000017_team_identity", teamIdentity],
  ["20261206000018_imports", imports],
  ["20261206000019_refit_reason_stats", refitReasonStats],
  ["20261206000020_match_closing_odds", matchClosingOdds],
];
