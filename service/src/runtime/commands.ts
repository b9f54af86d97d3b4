import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { MAX_TOKEN_TTL_SECONDS, SUBJECT_PATTERN, SUBJECT_SHAPE, WRITE_SCOPE, mintToken } from "../auth/tokens";
import type { Config } from "../config";
import type { Logger } from "../logger";
import { Metrics } from "../metrics";
import { API_DATABASE_TIMEOUTS, COMMAND_DATABASE_TIMEOUTS } from "../storage/db";
import { MIGRATIONS } from "../storage/migrations";
import { lastBatch, migrateDown, migrateToLatest, setDefaultStatementTimeout } from "../storage/migrator";
import { openDatabase } from "./database";
import { announcingCommits } from "./importing";
import { openSharedState } from "./sharedState";
import { seedShippedData } from "./shippedData";

/** Thrown for bad command-line arguments; main.ts prints the message and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A destructive command run without its confirmation flag; main.ts prints the message and exits 2. */
export class ConfirmationRequired extends Error {
  override name = "ConfirmationRequired";
}

/**
 * `migrate` applies every pending migration and makes the API's statement bound the database's default (for
 * sessions behind a transaction pooler, which cannot send their own); `migrate --rollback --yes` reverts the last
 * batch. Without `--yes` a rollback only says what it would revert: on a database migrated in one go (a fresh one,
 * the embedded one) the last batch is every migration, and reverting it drops every table with the seeded and
 * written data.
 */
export async function runMigrate(config: Config, logger: Logger, argv: string[]): Promise<void> {
  const { values } = parseCommandArgs(argv, {
    rollback: { type: "boolean", default: false },
    yes: { type: "boolean", default: false },
  });
  if (values.yes && !values.rollback) throw new UsageError("--yes confirms --rollback; migrate alone needs none");
  const database = await openDatabase(config, logger, COMMAND_DATABASE_TIMEOUTS);
  try {
    if (values.rollback) {
      const batch = await lastBatch(database.db);
      if (batch === undefined) {
        logger.info("no migrations applied: nothing to roll back");
      } else if (!values.yes) {
        throw new ConfirmationRequired(rollbackWarning(batch));
      } else {
        logger.info({ reverted: await migrateDown(database.db, "last-batch") }, "migrations rolled back");
      }
    } else {
      logger.info({ applied: await migrateToLatest(database.db) }, "migrations up to date");
      // The embedded database has no pooler in front of it, and its one session sets its own.
      if (database.kind === "postgres") {
        await setDefaultStatementTimeout(database.db, API_DATABASE_TIMEOUTS.statementTimeoutMs);
        logger.info({ statementTimeoutMs: API_DATABASE_TIMEOUTS.statementTimeoutMs }, "default statement_timeout set");
      }
    }
  } finally {
    await database.close();
  }
}

function rollbackWarning({ batch, names }: { batch: number; names: string[] }): string {
  // The first migration is only ever in the first batch: reverting it leaves no table behind.
  const everything = names.includes(MIGRATIONS[0][0]);
  return [
    `migrate --rollback would revert batch ${batch}, ${names.length} migration(s), newest first:`,
    ...names.map((name) => `  ${name}`),
    everything
      ? "That is every migration: every table is dropped with all its data (the seeded results, written fixtures " +
        "and results, models, the audit log)."
      : "The tables and columns they added are dropped with their data.",
    "Nothing was changed. Run it again with --yes to revert them.",
  ].join("\n");
}

/**
 * `seed`: the shipped data, idempotently. It runs beside serving processes (the migration Job of every release),
 * so what it writes is announced as an import's writes are: cached reads dropped, the worker nudged to refit.
 */
export async function runSeed(config: Config, logger: Logger, argv: string[]): Promise<void> {
  parseCommandArgs(argv, {});
  const database = await openDatabase(config, logger, COMMAND_DATABASE_TIMEOUTS);
  const shared = openSharedState(config, logger, new Metrics());
  try {
    await seedShippedData(database.db, logger, announcingCommits(shared.cache, shared.signals));
  } finally {
    await shared.close();
    await database.close();
  }
}

const TTL_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90`, `90s`, `30m`, `12h` or `7d`. */
export function parseTtl(text: string): number {
  const match = /^(\d{1,7})([smhd]?)$/.exec(text);
  if (match === null) throw new UsageError(`--ttl "${text}" must be a number of seconds or like 30m, 12h, 7d`);
  const seconds = Number(match[1]) * TTL_UNITS[match[2] === "" ? "s" : match[2]];
  if (seconds < 1 || seconds > MAX_TOKEN_TTL_SECONDS) {
    throw new UsageError(`--ttl must be between 1 second and ${MAX_TOKEN_TTL_SECONDS / 86_400} days`);
  }
  return seconds;
}

/** `token --subject <who> [--scope write] [--ttl 1h]`: prints a signed JWT on stdout and nothing else. */
export async function runToken(config: Config, logger: Logger, argv: string[]): Promise<string> {
  const { values } = parseCommandArgs(argv, {
    subject: { type: "string" },
    scope: { type: "string", default: WRITE_SCOPE },
    ttl: { type: "string", default: "1h" },
  });
  const subject = values.subject?.trim() ?? "";
  if (!SUBJECT_PATTERN.test(subject)) {
    throw new UsageError(`--subject <operator name> is required: ${SUBJECT_SHAPE}`);
  }
  const scopes = (values.scope ?? WRITE_SCOPE).split(/[\s,]+/).filter((scope) => scope !== "");
  if (scopes.length === 0) throw new UsageError("--scope must name at least one scope");
  const ttlSeconds = parseTtl(values.ttl ?? "1h");
  if (config.jwtSecretIsLocalDefault) logger.warn("JWT_SECRET is not set: minting with the local development secret");
  return mintToken(config.jwtSecret, { subject, scopes, ttlSeconds });
}

export function parseCommandArgs<const T extends ParseArgsOptionsConfig>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
