import { createLogger, type Logger } from "../logger";
import { runBackup } from "./backup";
import { loadBackupConfig } from "./config";
import type { BackupContext } from "./context";
import { BackupFailure, UsageError } from "./errors";
import { runPrune } from "./prune";
import { runRestore } from "./restore";
import { S3Store } from "./s3-store";
import { LocalStore } from "./store";
import { runVerify } from "./verify";

export { selectBackupsToKeep, type RetentionPolicy, type Timestamped } from "./retention";

export type BackupCommand = "backup" | "prune" | "verify" | "restore";

export interface BackupCommandOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to the service's JSON logger on stdout at LOG_LEVEL. */
  logger?: Logger;
  /** The clock that names backups and drives retention; tests move it. */
  now?: () => Date;
}

const COMMANDS: Record<BackupCommand, (context: BackupContext, argv: string[]) => Promise<number>> = {
  backup: runBackup,
  prune: runPrune,
  verify: runVerify,
  restore: runRestore,
};

/**
 * Runs one backup command and returns its exit status: 0 success, 1 failure (the log says why), 2 invalid
 * configuration or arguments. Never throws, so main.ts can pass the status straight to process.exit.
 */
export async function runBackupCommand(
  command: BackupCommand,
  argv: string[],
  options: BackupCommandOptions = {},
): Promise<number> {
  let logger = options.logger ?? createLogger("info");
  let context: BackupContext | undefined;
  try {
    if (!Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown backup command "${command}"`);
    const config = loadBackupConfig(options.env ?? process.env);
    logger = options.logger ?? createLogger(config.logLevel);
    context = {
      config,
      logger,
      now: options.now ?? (() => new Date()),
      local: new LocalStore(config.backupDir),
      s3: config.s3 === undefined ? undefined : new S3Store(config.s3, config.backupDir, logger),
    };
    return await COMMANDS[command](context, argv);
  } catch (error) {
    if (error instanceof UsageError) {
      logger.error({ command, ok: false, reason: error.message }, error.message);
      return 2;
    }
    const reason = (error as Error).message;
    const details = error instanceof BackupFailure ? {} : { err: error };
    logger.error({ command, ok: false, reason, ...details }, `${command} failed: ${reason}`);
    return 1;
  } finally {
    context?.s3?.close();
  }
}
