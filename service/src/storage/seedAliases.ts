import { teamNameKey } from "../domain/teamNames";
import { type ShippedAlias, loadTeamAliases } from "../data/teamAliases";
import type { Database } from "./db";
import { insertAuditEntry } from "./repositories/audit";
import { addTeamAlias, findOrCreateTeam, findTeamsByName } from "./repositories/teams";

export interface AliasSeedSummary {
  teamsAdded: number;
  aliasesAdded: number;
}

/**
 * Loads the shipped alias list (service/data/team-aliases.csv) in one transaction: each alias maps another source's
 * spelling to a team, creating the team when the list names one the results do not have yet (the sides promoted
 * since): that list is the explicit decision the importer otherwise waits for. Idempotent. An alias whose key
 * already means another team is an error naming the line, never a silent re-pointing.
 */
export async function seedTeamAliases(
  db: Database,
  aliases: readonly ShippedAlias[] = loadTeamAliases(),
): Promise<AliasSeedSummary> {
  return db.transaction(async (trx) => {
    const summary: AliasSeedSummary = { teamsAdded: 0, aliasesAdded: 0 };
    const known = await findTeamsByName(trx, aliases.map((alias) => alias.name));
    for (const alias of aliases) {
      const { team, created } = await findOrCreateTeam(trx, alias.team, "seed:team-aliases.csv");
      if (created) summary.teamsAdded += 1;
      const existing = known.get(teamNameKey(alias.name));
      if (existing !== undefined && existing.id !== team.id) {
        throw new Error(`${alias.where}: "${alias.name}" already means ${existing.name}, not ${team.name}`);
      }
      if (existing === undefined && teamNameKey(alias.name) !== teamNameKey(team.name)) {
        await addTeamAlias(trx, { name: alias.name, teamId: team.id, createdBy: "seed:team-aliases.csv" });
        known.set(teamNameKey(alias.name), team);
        summary.aliasesAdded += 1;
      }
    }
    if (summary.teamsAdded + summary.aliasesAdded > 0) {
      await insertAuditEntry(trx, {
        actor: "seed",
        action: "seed.aliases",
        entityType: "dataset",
        entityId: "team-aliases.csv",
        before: null,
        after: summary,
        requestId: "seed",
      });
    }
    return summary;
  });
}
