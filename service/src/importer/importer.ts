import { randomUUID } from "node:crypto";
import type { ImportLeague, ImporterConfig } from "../config";
import { SHIPPED_LEAGUES } from "../data/historicalResults";
import type { Logger } from "../logger";
import type { ImportState, Metrics } from "../metrics";
import type { Database } from "../storage/db";
import { insertAuditEntry } from "../storage/repositories/audit";
import {
  type ImportCounts,
  insertImportRun,
  lastSuccessfulImports,
  openQuarantineCounts,
  overdueCounts,
  quarantineRecords,
} from "../storage/repositories/imports";
import { listLeagueCodes } from "../storage/repositories/leagues";
import { findTeamsByName } from "../storage/repositories/teams";
import { FetchError, type Fetcher } from "./fetcher";
import { checkBatch } from "./gate";
import { localDate, openfootballSeason, footballDataCsvSeason, seasonOf } from "./seasons";
import { footballDataApiPath, parseFootballDataApi } from "./sources/footballDataApi";
import { parseFootballDataCsv } from "./sources/footballDataCsv";
import { parseOpenfootball } from "./sources/openfootball";
import { type Clock, type Feed, FeedError, type ParsedFeed, type RecordProblem } from "./types";
import { type WriteMode, applyRows, refitNeeded } from "./writer";

export interface ImportOutcome extends ImportCounts {
  url: string;
  /** The league's fixtures whose date has passed without a result, after this import. */
  overdue: number;
  error?: string;
}

export interface ImportOptions {
  /** `cli`, `cron`, `worker`, `seed`: recorded with the run. */
  triggeredBy: string;
  /** Only these leagues of IMPORT_LEAGUES; all of them when absent. */
  leagues?: readonly string[];
  /** Overrides IMPORT_SEASON and the clock's season. */
  season?: string;
  mode?: WriteMode;
}

export interface ImporterDeps {
  db: Database;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  fetcher: Fetcher;
  /** After a commit that wrote matches: drop cached reads and predictions, and nudge the worker when it queued a refit. */
  afterCommit?: (league: string, refitRequested: boolean) => Promise<void>;
}

const PARSERS: Record<Feed["source"], (text: string, feed: Feed) => ParsedFeed> = {
  openfootball: parseOpenfootball,
  "football-data-api": parseFootballDataApi,
  "football-data-csv": parseFootballDataCsv,
};

/** The most problems a rejected run keeps in its details, so one broken file cannot bloat import_runs. */
const SAMPLE_PROBLEMS = 20;

/**
 * Keeps each configured league current from its source: fetch, parse, resolve names, the data-quality gate (gate.ts),
 * then one transaction per league that writes the clean rows, quarantines the rest, audits the changes, queues the
 * refit and records the run. A league whose failures pass IMPORT_MAX_FAILURE_RATIO, or whose batch is not the shape
 * of a season, writes nothing. One league failing never stops the others.
 */
export class Importer {
  private states: ImportState[] = [];

  constructor(
    private readonly config: ImporterConfig,
    private readonly deps: ImporterDeps,
  ) {
    deps.metrics.attachImports(() => this.states);
  }

  /** The configured leagues (or those named), each once; resolves with what happened to each. */
  async run(options: ImportOptions): Promise<ImportOutcome[]> {
    const unknown = (options.leagues ?? []).filter((code) => !this.config.leagues.some((entry) => entry.league === code));
    if (unknown.length > 0) {
      const configured = this.config.leagues.map((entry) => entry.league).join(", ") || "none";
      throw new FeedError(`IMPORT_LEAGUES does not name ${unknown.join(", ")} (configured: ${configured})`);
    }
    const entries = this.config.leagues.filter((entry) => options.leagues?.includes(entry.league) ?? true);
    const outcomes: ImportOutcome[] = [];
    for (const entry of entries) outcomes.push(await this.importLeague(entry, this.feedUrl.bind(this), options));
    await this.refreshState();
    return outcomes;
  }

  /** One league from one URL (the shipped files pass theirs); the run is recorded whatever its outcome. */
  async importLeague(
    entry: ImportLeague,
    urlOf: (feed: Feed) => string,
    options: ImportOptions,
  ): Promise<ImportOutcome> {
    const { db, logger, clock } = this.deps;
    const startedAt = clock();
    const info = SHIPPED_LEAGUES.find((league) => league.code === entry.league);
    const timeZone = info?.timeZone ?? "UTC";
    const season = options.season ?? this.config.season ?? seasonOf(startedAt, timeZone);
    const feed: Feed = { ...entry, season, timeZone };
    const url = urlOf(feed);
    const outcome: ImportOutcome = {
      league: feed.league,
      season,
      source: feed.source,
      url,
      status: "failed",
      fetched: 0,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      quarantined: 0,
      overdue: 0,
    };
    let problems: RecordProblem[] = [];
    try {
      if (info === undefined || !(await listLeagueCodes(db)).includes(entry.league)) {
        throw new FeedError(`IMPORT_LEAGUES names league ${entry.league}, which the catalog does not know`);
      }
      const parsed = PARSERS[feed.source](await this.deps.fetcher.text(url, this.headersFor(feed), feed.source), feed);
      outcome.fetched = parsed.rows.length + parsed.problems.length;
      const known = await findTeamsByName(db, parsed.rows.flatMap((row) => [row.homeName, row.awayName]));
      const gate = checkBatch(parsed.rows, { season, teams: info.teams, timeZone, now: startedAt, known });
      problems = [...parsed.problems, ...gate.problems];
      const limit = Math.floor(this.config.maxFailureRatio * outcome.fetched);
      if (gate.shapeProblem !== undefined || problems.length > limit) {
        outcome.status = "rejected";
        outcome.quarantined = problems.length;
        outcome.error =
          gate.shapeProblem !== undefined
            ? `not a season of ${feed.league}: ${gate.shapeProblem}; nothing written`
            : `${problems.length} of ${outcome.fetched} records fail the gate, more than IMPORT_MAX_FAILURE_RATIO ` +
              `(${this.config.maxFailureRatio}) allows; nothing written`;
      } else {
        await this.commit(feed, gate.clean, problems, outcome, options, startedAt);
      }
    } catch (error) {
      // Anything else (the database refusing a write) fails this league's run, not the others'.
      if (!(error instanceof FetchError || error instanceof FeedError)) logger.error({ err: error, league: feed.league }, "import error");
      // A transaction that failed wrote nothing, whatever it had counted.
      Object.assign(outcome, { status: "failed", inserted: 0, updated: 0, unchanged: 0, quarantined: 0 });
      outcome.error = (error as Error).message;
    }
    outcome.overdue = (await overdueCounts(db, localDate(clock(), timeZone))).get(feed.league) ?? 0;
    if (outcome.status !== "succeeded") await this.recordFailure(feed, outcome, problems, startedAt, options);
    this.count(outcome);
    logger[outcome.status === "succeeded" ? "info" : "error"]({ ...outcome }, `import ${outcome.status}`);
    return outcome;
  }

  private async commit(
    feed: Feed,
    clean: Parameters<typeof applyRows>[1],
    problems: RecordProblem[],
    outcome: ImportOutcome,
    options: ImportOptions,
    startedAt: Date,
  ): Promise<void> {
    const { db, clock } = this.deps;
    const actor = `importer:${feed.source}`;
    const requestId = `import-${randomUUID()}`;
    const summary = await db.transaction(async (trx) => {
      const written = await applyRows(trx, clean, { feed, mode: options.mode ?? "authoritative", actor, requestId });
      const quarantined = [...problems, ...written.withdrawn].map((problem) => ({
        league: feed.league,
        season: feed.season,
        source: feed.source,
        recordKey: problem.recordKey,
        reasonCode: problem.code,
        reason: problem.reason,
        raw: problem.raw,
        unknownNames: problem.unknownNames,
      }));
      // Fill-only imports (the shipped files) must be clean; they leave the live import's quarantine alone.
      const fillOnly = options.mode === "fill-only";
      const open = fillOnly ? quarantined.length : await quarantineRecords(trx, feed, quarantined, clock());
      Object.assign(outcome, { status: "succeeded", ...pick(written), quarantined: open });
      if (written.inserted + written.updated > 0) {
        await insertAuditEntry(trx, {
          actor,
          action: "import.apply",
          entityType: "dataset",
          entityId: `${feed.league}/${feed.season}`,
          before: null,
          after: {
            url: outcome.url,
            ...pick(written),
            quarantined: open,
            resultsChanged: written.resultsChanged,
            statsChanged: written.statsChanged,
            oddsChanged: written.oddsChanged,
            refitRequested: refitNeeded(written),
          },
          requestId,
        });
      }
      await insertImportRun(trx, {
        ...runFields(feed, outcome, options, startedAt, clock()),
        details: {
          requestId,
          resultsChanged: written.resultsChanged,
          statsChanged: written.statsChanged,
          oddsChanged: written.oddsChanged,
        },
      });
      return written;
    });
    if (summary.inserted + summary.updated > 0) await this.deps.afterCommit?.(feed.league, refitNeeded(summary));
  }

  private async recordFailure(
    feed: Feed,
    outcome: ImportOutcome,
    problems: RecordProblem[],
    startedAt: Date,
    options: ImportOptions,
  ): Promise<void> {
    const sample = problems.slice(0, SAMPLE_PROBLEMS).map(({ recordKey, code, reason }) => ({ recordKey, code, reason }));
    await insertImportRun(this.deps.db, {
      ...runFields(feed, outcome, options, startedAt, this.deps.clock()),
      details: sample.length === 0 ? null : { problems: sample },
    });
  }

  private count(outcome: ImportOutcome): void {
    const labels = { league: outcome.league, source: outcome.source };
    const { metrics } = this.deps;
    metrics.importRuns.inc({ ...labels, status: outcome.status });
    metrics.importRowsFetched.inc(labels, outcome.fetched);
    if (outcome.status !== "succeeded") return;
    for (const key of ["inserted", "updated", "unchanged", "quarantined"] as const) {
      metrics.importRows.inc({ ...labels, outcome: key }, outcome[key]);
    }
  }

  /** Re-reads every configured league's import state for the gauges. */
  async refreshState(): Promise<void> {
    const { db, clock } = this.deps;
    const now = clock();
    const [lastSuccess, quarantined] = await Promise.all([lastSuccessfulImports(db), openQuarantineCounts(db)]);
    const lastRun: Array<{ league_code: string; at: Date }> = await db("import_runs")
      .select("league_code")
      .max("finished_at as at")
      .groupBy("league_code");
    const states: ImportState[] = [];
    for (const entry of this.config.leagues) {
      const timeZone = SHIPPED_LEAGUES.find((league) => league.code === entry.league)?.timeZone ?? "UTC";
      const season = this.config.season ?? seasonOf(now, timeZone);
      const span = (await db("matches as m")
        .join("seasons as s", "s.id", "m.season_id")
        .where({ "m.league_code": entry.league, "s.name": season })
        .min("m.match_date as first")
        .max("m.match_date as last")
        .first()) as { first: string | null; last: string | null } | undefined;
      const today = localDate(now, timeZone);
      states.push({
        league: entry.league,
        lastSuccessAt: lastSuccess.get(entry.league) ?? null,
        lastRunAt: lastRun.find((row) => row.league_code === entry.league)?.at ?? null,
        quarantined: quarantined.get(entry.league) ?? 0,
        overdue: (await overdueCounts(db, today)).get(entry.league) ?? 0,
        inSeason: span?.first != null && span.last != null && today >= addDays(span.first, -7) && today <= addDays(span.last, 1),
      });
    }
    this.states = states;
  }

  private feedUrl(feed: Feed): string {
    const base = this.config.baseUrls;
    const trim = (url: string) => url.replace(/\/+$/, "");
    switch (feed.source) {
      case "openfootball":
        return `${trim(base.openfootball)}/${openfootballSeason(feed.season)}/${feed.code}.json`;
      case "football-data-api":
        return `${trim(base.footballDataApi)}${footballDataApiPath(feed)}`;
      case "football-data-csv":
        return `${trim(base.footballDataCsv)}/${footballDataCsvSeason(feed.season)}/${feed.code}.csv`;
    }
  }

  private headersFor(feed: Feed): Record<string, string> {
    if (feed.source !== "football-data-api" || this.config.footballDataApiKey === undefined) return {};
    return { "X-Auth-Token": this.config.footballDataApiKey };
  }
}

const pick = (written: { inserted: number; updated: number; unchanged: number }) => ({
  inserted: written.inserted,
  updated: written.updated,
  unchanged: written.unchanged,
});

function runFields(feed: Feed, outcome: ImportOutcome, options: ImportOptions, startedAt: Date, finishedAt: Date) {
  const { url: _url, overdue: _overdue, error, ...counts } = outcome;
  return { ...counts, league: feed.league, triggeredBy: options.triggeredBy, startedAt, finishedAt, error: error ?? null };
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
