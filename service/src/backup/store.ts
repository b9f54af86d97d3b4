import { readdir, rm } from "node:fs/promises";
import { type BackupEntry, type BackupFiles, filesIn, newestFirst, parseDumpName } from "./catalog";

/**
 * Where backups live: the local volume always, and an S3 bucket as well when one is configured. A backup is listed
 * by its dump; the dump is written last, so a listed dump always has its checksum file and manifest beside it.
 */
export interface BackupStore {
  /** For messages: a directory or an s3:// prefix. */
  readonly location: string;
  /** The database's backups, newest first. */
  list(database: string): Promise<BackupEntry[]>;
  remove(entries: readonly BackupEntry[]): Promise<void>;
  /** The backup's files on the local filesystem, fetched first when they live elsewhere. */
  open(entry: BackupEntry): Promise<OpenedBackup>;
}

export interface OpenedBackup {
  files: BackupFiles;
  /** Deletes whatever open() fetched; the local volume's own files stay. */
  close(): Promise<void>;
}

export class LocalStore implements BackupStore {
  constructor(readonly location: string) {}

  async list(database: string): Promise<BackupEntry[]> {
    const names = await readdir(this.location).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw error;
    });
    const entries = names.map(parseDumpName).filter((entry): entry is BackupEntry => entry?.database === database);
    return newestFirst(entries);
  }

  async remove(entries: readonly BackupEntry[]): Promise<void> {
    for (const entry of entries) {
      const files = filesIn(this.location, entry);
      // The dump goes first: a crash midway leaves sidecars without a dump, which no listing returns.
      for (const file of [files.dump, files.checksum, files.manifest]) await rm(file, { force: true });
    }
  }

  async open(entry: BackupEntry): Promise<OpenedBackup> {
    return { files: filesIn(this.location, entry), close: async () => {} };
  }
}
