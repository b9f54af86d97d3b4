import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import type { Logger } from "../logger";
import type { BackupConfig } from "./config";
import { UsageError } from "./errors";
import type { S3Store } from "./s3-store";
import type { BackupStore, LocalStore } from "./store";

/** What every command runs with; built once per command by runBackupCommand. */
export interface BackupContext {
  config: BackupConfig;
  logger: Logger;
  now: () => Date;
  local: LocalStore;
  s3?: S3Store;
}

export function parseOptions<const T extends ParseArgsOptionsConfig>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
}

export const SOURCE_OPTION = { type: "string", default: "local" } as const;

/** `--source local|s3`: where verify and restore read backups from. */
export function storeForSource(context: BackupContext, source: string): BackupStore {
  if (source === "local") return context.local;
  if (source !== "s3") throw new UsageError(`--source must be local or s3, got "${source}"`);
  if (context.s3 === undefined) throw new UsageError("--source s3 needs BACKUP_S3_BUCKET to be set");
  return context.s3;
}

export function epochSeconds(at: Date): number {
  return Math.floor(at.getTime() / 1000);
}
