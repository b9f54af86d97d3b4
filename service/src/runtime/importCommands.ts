import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import type { Config } from "../config";
import { AppError } from "../errors";
import type { ImportOutcome } from "../importer/importer";
import { acceptQuarantined, discardQuarantined } from "../importer/quarantine";
import { localDate } from "../importer/seasons";
import { type Clock, FeedError, systemClock } from "../importer/types";
import type { Logger } from "../logger";
import { Metrics } from "../metrics";
import { pushgatewayGroupUrl, type PushTarget } from "../pushgateway";
import { COMMAND_DATABASE_TIMEOUTS } from "../storage/db";
import { type QuarantineStatus, listQuarantine, overdueFixtures } from "../storage/repositories/imports";
import { UsageError } from "./commands";
import { openDatabase } from "./database";
import { configuredImporter } from "./importing";
import { openSharedState } from "./sharedState";

const PUSH_TIMEOUT_MS = 10_000;

function parse<const T extends ParseArgsOptionsConfig>(argv: string[], options: T, positionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: positionals });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * `import [--league E0 ...] [--season 2026-2027] [--trigger cron]`: imports the configured leagues (IMPORT_LEAGUES),
 * or the ones named, once. Exits 0 when every league imported, 1 when one failed or was refused by the gate (the
 * log says why), so a failing CronJob run shows as a failed Job. With PUSHGATEWAY_URL the `import_*` metrics are
 * pushed (job `import`), as the backup jobs do theirs.
 */
export async function runImport(config: Config, logger: Logger, argv: string[], clock: Clock = systemClock): Promise<number> {
  const { values } = parse(argv, {
    league: { type: "string", multiple: true },
    season: { type: "string" },
    trigger: { type: "string", default: "cli" },
  });
  const leagues = ((values.league as string[] | undefined) ?? []).flatMap((value) => value.split(",")).filter((v) => v !== "");
  const season = values.season as string | undefined;
  if (season !== undefined && !/^(\d{4})-(\d{4})$/.test(season)) throw new UsageError(`--season "${season}" must be like 2026-2027`);
  if (config.importer.leagues.length === 0) {
    throw new UsageError("IMPORT_LEAGUES is empty: name the leagues to import, e.g. E0:openfootball:en.1");
  }
  const metrics = new Metrics();
  const database = await openDatabase(config, logger, COMMAND_DATABASE_TIMEOUTS);
  const shared = openSharedState(config, logger, metrics);
  try {
    const importer = configuredImporter(config, { db: database.db, cache: shared.cache, signals: shared.signals, metrics, logger, clock });
    let outcomes: ImportOutcome[];
    try {
      outcomes = await importer.run({
        triggeredBy: values.trigger as string,
        leagues: leagues.length > 0 ? leagues : undefined,
        season,
      });
    } catch (error) {
      if (error instanceof FeedError) throw new UsageError(error.message);
      throw error;
    }
    if (config.importer.pushgateway !== undefined) await pushImportMetrics(config.importer.pushgateway, metrics, logger);
    return outcomes.every((outcome) => outcome.status === "succeeded") ? 0 : 1;
  } finally {
    await shared.close();
    await database.close();
  }
}

/**
 * PUT replaces the `import` group on every run: its gauges are read from the database each time, and its counters
 * are those of the run that pushed them. A failed push is logged, not fatal: the import itself is done, and a
 * stale `import_last_success_timestamp_seconds` is what the alert watches.
 */
async function pushImportMetrics(pushgateway: PushTarget, metrics: Metrics, logger: Logger): Promise<void> {
  const url = pushgatewayGroupUrl(pushgateway, "import");
  try {
    const response = await fetch(url, {
      method: "PUT",
      headers: { "content-type": "text/plain; version=0.0.4" },
      body: await metrics.importMetricsText(),
      signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
  } catch (error) {
    logger.error({ err: error, pushgateway: url }, "could not push import metrics to the Pushgateway");
  }
}

const QUARANTINE_USAGE = `quarantine list [--league E0] [--status open|accepted|discarded|resolved|all] [--json]
quarantine accept <id> (--alias-of <team> | --new-team) [--name <unknown name>] --by <operator>
quarantine discard <id> --reason <why> --by <operator>
quarantine overdue [--league E0] [--json]`;

/**
 * `quarantine ...`: what the data-quality gate held back, and the decisions on it (docs/runbooks.md,
 * ImportRowsQuarantined). Writes are audited under the operator named by `--by`. Prints to stdout; returns the
 * exit status (1 when the decision is refused, e.g. the record is not open).
 */
export async function runQuarantine(
  config: Config,
  logger: Logger,
  argv: string[],
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  clock: Clock = systemClock,
): Promise<number> {
  const [action, ...rest] = argv;
  const { values, positionals } = parse(
    rest,
    {
      league: { type: "string" },
      status: { type: "string", default: "open" },
      json: { type: "boolean", default: false },
      "alias-of": { type: "string" },
      "new-team": { type: "boolean", default: false },
      name: { type: "string" },
      by: { type: "string" },
      reason: { type: "string" },
    },
    true,
  );
  if (!["list", "accept", "discard", "overdue"].includes(action ?? "")) {
    throw new UsageError(`quarantine needs an action:\n${QUARANTINE_USAGE}`);
  }
  const database = await openDatabase(config, logger, COMMAND_DATABASE_TIMEOUTS);
  const { db } = database;
  try {
    if (action === "list") {
      const status = values.status as string;
      if (!["open", "accepted", "discarded", "resolved", "all"].includes(status)) throw new UsageError(`--status "${status}" is not one of open, accepted, discarded, resolved, all`);
      const entries = await listQuarantine(db, {
        league: values.league as string | undefined,
        status: status === "all" ? undefined : (status as QuarantineStatus),
        limit: 1_000,
      });
      if (values.json) entries.forEach((entry) => out(JSON.stringify(entry)));
      else if (entries.length === 0) out(`no ${status === "all" ? "" : `${status} `}quarantined records`);
      else
        for (const e of entries) {
          out(`#${e.id} ${e.league} ${e.season} ${e.source} ${e.status} ${e.reasonCode}: ${e.reason} (seen ${e.seenCount}x, last ${e.lastSeenAt.toISOString()}; record ${e.recordKey})`);
        }
      return 0;
    }
    if (action === "overdue") {
      const today = localDate(clock(), "UTC");
      const query = overdueFixtures(db, today)
        .join("teams as h", "h.id", "matches.home_team_id")
        .join("teams as a", "a.id", "matches.away_team_id")
        .select("matches.id", "matches.league_code as league", "matches.match_date as date", "h.name as home", "a.name as away")
        .orderBy(["matches.league_code", "matches.match_date", "matches.id"]);
      if (values.league !== undefined) query.where("matches.league_code", values.league as string);
      const rows: Array<{ id: number; league: string; date: string; home: string; away: string }> = await query;
      if (values.json) rows.forEach((row) => out(JSON.stringify(row)));
      else {
        out(`${rows.length} overdue fixture(s): dated before ${today}, still without a result, postponement or cancellation`);
        rows.forEach((row) => out(`match ${row.id} ${row.league} ${row.date} ${row.home} v ${row.away}`));
      }
      return 0;
    }
    const id = Number(positionals[0]);
    if (!Number.isInteger(id) || id < 1) throw new UsageError(`quarantine ${action} needs the record's id:\n${QUARANTINE_USAGE}`);
    const by = (values.by as string | undefined)?.trim() ?? "";
    if (by === "") throw new UsageError("--by <operator> is required: decisions are audited under that name");
    const decider = { by, now: clock() };
    try {
      if (action === "accept") {
        const aliasOf = values["alias-of"] as string | undefined;
        if ((aliasOf === undefined) === !values["new-team"]) throw new UsageError("accept needs exactly one of --alias-of <team> and --new-team");
        const decision = aliasOf === undefined ? { newTeam: true as const } : { aliasOf };
        const result = await acceptQuarantined(db, id, decision, decider, values.name as string | undefined);
        out(
          `"${result.name}" ${result.created ? "is the new team" : "now means"} ${result.team.name} (team ${result.team.id}); ` +
            `accepted record(s) ${result.accepted.join(", ")}: the next import writes them`,
        );
      } else {
        const reason = (values.reason as string | undefined)?.trim() ?? "";
        if (reason === "") throw new UsageError("--reason <why> is required to discard a record");
        await discardQuarantined(db, id, reason, decider);
        out(`record ${id} discarded: it stays out until its source changes it`);
      }
      return 0;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      logger.error({ id, code: error.code }, error.message);
      out(`refused: ${error.message}`);
      return 1;
    }
  } finally {
    await database.close();
  }
}
