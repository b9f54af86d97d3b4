import { runBacktestCli } from "./backtest";
import { type BackupCommand, runBackupCommand } from "./backup";
import { ConfigError, type Config, loadConfig } from "./config";
import { type Logger, createLogger } from "./logger";
import { ConfirmationRequired, UsageError, runMigrate, runSeed, runToken } from "./runtime/commands";
import { embeddedInUseMessage } from "./runtime/database";
import { runImport, runQuarantine } from "./runtime/importCommands";
import { startService } from "./runtime/serve";
import { startWeb } from "./runtime/web";
import { configureV8 } from "./runtime/v8Flags";
import { startWorker } from "./runtime/worker";
import { EmbeddedDatabaseInUseError } from "./storage/embedded";

const USAGE = `Usage: node dist/main.js [command] [options]
Commands:
  serve (default)                       the HTTP API and the web page on PORT, default 8000 (locally also the
                                        refit worker)
  web                                   the web page alone (web/dist) on PORT, default 8003; /health, /ready
                                        and /metrics on OPS_PORT, default 8004
  worker                                refits models after results change and on a schedule; /health, /ready
                                        and /metrics on PORT, default 8001
  migrate [--rollback [--yes]]          applies pending migrations (--rollback: reverts the last batch, which
                                        it lists and refuses to touch without --yes)
  seed                                  loads the shipped historical results idempotently
  import [--league E0] [--season 2026-2027]
                                        fetches fixtures and results of IMPORT_LEAGUES once
  quarantine list|accept|discard|overdue
                                        records the import's data-quality gate held back
  token --subject <who> [--scope write] [--ttl 1h]
                                        prints an operator JWT
  backtest [options]                    walk-forward backtest of the model
  backup | prune | verify | restore     PostgreSQL backups (docs/backups.md)
Configuration comes from environment variables: see docs/service-interface.md.`;

const BACKUP_COMMANDS: ReadonlySet<string> = new Set<BackupCommand>(["backup", "prune", "verify", "restore"]);

/** Commands that never sign or verify a token, so their pods need no JWT_SECRET. */
const WITHOUT_TOKENS: ReadonlySet<string> = new Set(["import", "quarantine", "migrate", "seed", "web"]);

type LongRunning = { shutdown(): Promise<void> };

/** SIGTERM or SIGINT: readiness goes 503, in-flight requests finish, pools close, exit 0. */
function stopOnSignals(running: LongRunning, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (signal === "SIGINT") process.exit(130);
      return;
    }
    stopping = true;
    logger.info({ signal }, "stopping");
    running.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

async function runConfigured(
  command: string,
  args: string[],
  config: Config,
  logger: Logger,
): Promise<number | undefined> {
  switch (command) {
    case "serve":
      stopOnSignals(await startService(config, logger), logger);
      return undefined;
    case "worker":
      stopOnSignals(await startWorker(config, logger), logger);
      return undefined;
    case "web":
      stopOnSignals(await startWeb(config, logger, config.webRoot), logger);
      return undefined;
    case "migrate":
      await runMigrate(config, logger, args);
      return 0;
    case "seed":
      await runSeed(config, logger, args);
      return 0;
    case "import":
      return runImport(config, logger, args);
    case "quarantine":
      return runQuarantine(config, logger, args);
    case "token":
      process.stdout.write(`${await runToken(config, logger, args)}\n`);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** Returns an exit status, or undefined for the long-running commands, which exit on a signal. */
async function main(argv: string[]): Promise<number | undefined> {
  const [command = "serve", ...args] = argv;
  if (command === "help" || command === "--help") {
    console.log(USAGE);
    return 0;
  }
  if (command === "backtest") return runBacktestCli(args);
  if (BACKUP_COMMANDS.has(command)) return runBackupCommand(command as BackupCommand, args);

  let config: Config;
  try {
    config = loadConfig(process.env, { command, needsJwtSecret: !WITHOUT_TOKENS.has(command) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 1;
  }
  // Logs go to stdout; `token` prints the token there, so its logs go to stderr.
  const logger = createLogger(config.logLevel, command === "token" ? process.stderr : undefined);
  process.on("uncaughtException", (error) => {
    logger.fatal({ err: error }, "uncaught exception");
    process.exit(1);
  });
  try {
    return await runConfigured(command, args, config, logger);
  } catch (error) {
    if (error instanceof UsageError) {
      logger.error(error.message);
      console.error(USAGE);
      return 2;
    }
    // Refusals the user acts on: plain sentences on stderr, no stack trace.
    if (error instanceof ConfirmationRequired) {
      console.error(error.message);
      return 2;
    }
    if (error instanceof EmbeddedDatabaseInUseError) {
      console.error(embeddedInUseMessage(command, error));
      return 1;
    }
    logger.fatal({ err: error, command }, "command failed");
    return 1;
  }
}

configureV8();
main(process.argv.slice(2)).then(
  (status) => {
    if (status !== undefined) process.exitCode = status;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
