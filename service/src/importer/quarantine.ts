import type { Knex } from "knex";
import { requireTeamName, teamNameKey } from "../domain/teamNames";
import { conflict, invalid, notFound } from "../errors";
import type { Database } from "../storage/db";
import { insertAuditEntry } from "../storage/repositories/audit";
import {
  type QuarantineEntry,
  findQuarantineEntryForUpdate,
  listQuarantine,
  settleQuarantine,
} from "../storage/repositories/imports";
import { type Team, addTeamAlias, findOrCreateTeam, findTeamsByName } from "../storage/repositories/teams";

/** The operator deciding, for the audit log (`quarantine accept --by alice`). */
export interface Decider {
  by: string;
  now: Date;
}

/** What an unknown name becomes: another spelling of a team that exists, or a team of its own (a promoted side). */
export type NameDecision = { aliasOf: string } | { newTeam: true };

export interface AcceptResult {
  name: string;
  team: Team;
  created: boolean;
  /** Every open record that waited only on names that now resolve; the next import writes them. */
  accepted: number[];
}

/**
 * Resolves an `unknown_team` record: the name becomes an alias of an existing team or a new team, in one audited
 * transaction that also accepts every other open record waiting on that name. Nothing is written to matches here:
 * the next import (`npm run import`, the CronJob, the worker) finds the name resolvable and writes the records.
 */
export async function acceptQuarantined(
  db: Database,
  id: number,
  decision: NameDecision,
  decider: Decider,
  name?: string,
): Promise<AcceptResult> {
  return db.transaction(async (trx) => {
    const entry = await openEntry(trx, id);
    if (entry.reasonCode !== "unknown_team" || entry.unknownNames === undefined) {
      throw invalid("not_a_name", `record ${id} is quarantined for ${entry.reasonCode}, not an unknown team: discard it or fix the source`);
    }
    const unknown = entry.unknownNames;
    const chosen = name ?? (unknown.length === 1 ? unknown[0] : undefined);
    if (chosen === undefined || !unknown.includes(chosen)) {
      throw invalid("which_name", `record ${id} waits on ${unknown.map((n) => `"${n}"`).join(" and ")}: say which with --name`);
    }
    const audit = (action: string, entityType: string, entityId: string | number, after: unknown) =>
      insertAuditEntry(trx, { actor: decider.by, action, entityType, entityId: String(entityId), before: null, after, requestId: `quarantine-${id}` });
    let team: Team;
    let created = false;
    if ("aliasOf" in decision) {
      const target = (await findTeamsByName(trx, [decision.aliasOf])).get(teamNameKey(decision.aliasOf));
      if (target === undefined) throw notFound(`no team is called "${decision.aliasOf}"`);
      if ((await findTeamsByName(trx, [chosen])).has(teamNameKey(chosen))) throw conflict(`"${chosen}" already resolves to a team`);
      await addTeamAlias(trx, { name: chosen, teamId: target.id, createdBy: `quarantine:${decider.by}` });
      await audit("team.alias", "team", target.id, { alias: chosen, team: target });
      team = target;
    } else {
      const made = await findOrCreateTeam(trx, requireTeamName(chosen), `quarantine:${decider.by}`);
      if (!made.created) throw conflict(`"${chosen}" already resolves to ${made.team.name}`);
      await audit("team.create", "team", made.team.id, made.team);
      team = made.team;
      created = true;
    }
    const waiting = (await listQuarantine(trx, { status: "open", limit: 10_000 })).filter((other) =>
      other.unknownNames?.includes(chosen),
    );
    const resolvable = await findTeamsByName(trx, waiting.flatMap((other) => other.unknownNames ?? []));
    const accepted: number[] = [];
    for (const other of waiting) {
      if (!(other.unknownNames ?? []).every((n) => resolvable.has(teamNameKey(n)))) continue;
      const resolution = "aliasOf" in decision ? `"${chosen}" is ${team.name}` : `"${chosen}" is a new team`;
      accepted.push(...(await settleQuarantine(trx, other.id, { status: "accepted", by: decider.by, resolution, now: decider.now })));
    }
    await audit("quarantine.accept", "import_quarantine", id, { name: chosen, team, created, accepted });
    return { name: chosen, team, created, accepted };
  });
}

/** Drops a record for good, unless its source changes it (the fingerprint of the raw record is kept). */
export async function discardQuarantined(db: Database, id: number, reason: string, decider: Decider): Promise<QuarantineEntry> {
  return db.transaction(async (trx) => {
    const entry = await openEntry(trx, id);
    await settleQuarantine(trx, id, { status: "discarded", by: decider.by, resolution: reason, now: decider.now });
    await insertAuditEntry(trx, {
      actor: decider.by,
      action: "quarantine.discard",
      entityType: "import_quarantine",
      entityId: String(id),
      before: { status: entry.status, reason: entry.reason },
      after: { status: "discarded", resolution: reason },
      requestId: `quarantine-${id}`,
    });
    return { ...entry, status: "discarded" as const, resolvedBy: decider.by, resolution: reason, resolvedAt: decider.now };
  });
}

async function openEntry(trx: Knex.Transaction, id: number): Promise<QuarantineEntry> {
  const entry = await findQuarantineEntryForUpdate(trx, id);
  if (entry === undefined) throw notFound(`quarantined record ${id} does not exist`);
  if (entry.status !== "open") throw conflict(`quarantined record ${id} is already ${entry.status}`);
  return entry;
}
