import path from "node:path";

/**
 * One backup: `<database>-YYYYMMDDTHHMMSSZ.dump` plus its sidecars. The timestamp in the name, not the file's
 * mtime, is the backup's time: it survives copies to and from S3, and names sort in time order.
 */
export interface BackupEntry {
  /** The file name without `.dump`, e.g. `football-20250531T020000Z`. */
  base: string;
  database: string;
  createdAt: Date;
}

export interface BackupFiles {
  dump: string;
  checksum: string;
  manifest: string;
}

const DUMP_NAME = /^(.+)-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.dump$/;

function compactTimestamp(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}

export function newBackupEntry(database: string, createdAt: Date): BackupEntry {
  // Names have one-second resolution, so the entry's time is truncated to match what a later listing parses.
  const truncated = new Date(Math.floor(createdAt.getTime() / 1000) * 1000);
  return { base: `${database}-${compactTimestamp(truncated)}`, database, createdAt: truncated };
}

export function parseDumpName(fileName: string): BackupEntry | undefined {
  const match = DUMP_NAME.exec(fileName);
  if (match === null) return undefined;
  const [, database, year, month, day, hour, minute, second] = match;
  const createdAt = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
  // Rejects impossible dates such as month 13, which Date would otherwise roll over or turn into NaN.
  if (
    Number.isNaN(createdAt.getTime()) ||
    compactTimestamp(createdAt) !== `${year}${month}${day}T${hour}${minute}${second}Z`
  ) {
    return undefined;
  }
  return { base: fileName.slice(0, -".dump".length), database, createdAt };
}

export function fileNamesOf(entry: BackupEntry): BackupFiles {
  return { dump: `${entry.base}.dump`, checksum: `${entry.base}.dump.sha256`, manifest: `${entry.base}.manifest.json` };
}

export function filesIn(dir: string, entry: BackupEntry): BackupFiles {
  const names = fileNamesOf(entry);
  return {
    dump: path.join(dir, names.dump),
    checksum: path.join(dir, names.checksum),
    manifest: path.join(dir, names.manifest),
  };
}

export function newestFirst(entries: readonly BackupEntry[]): BackupEntry[] {
  return [...entries].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}
