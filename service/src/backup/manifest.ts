import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import type { BackupFiles } from "./catalog";
import { BackupIntegrityError } from "./errors";

const rowCountsSchema = z.record(z.string(), z.number().int().nonnegative());

const manifestSchema = z.object({
  manifest_version: z.literal(1),
  database: z.string(),
  file: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  created_at: z.iso.datetime(),
  duration_ms: z.number().int().nonnegative(),
  server_version: z.string(),
  pg_dump_version: z.string(),
  compression: z.string(),
  /** Rows per table of the public schema (`public.<table>`), counted in the snapshot the dump was taken from. */
  row_counts: rowCountsSchema,
});

export type Manifest = z.infer<typeof manifestSchema>;
export type RowCounts = z.infer<typeof rowCountsSchema>;

export interface FileDigest {
  bytes: number;
  sha256: string;
}

export async function digestFile(file: string): Promise<FileDigest> {
  const hash = createHash("sha256");
  let bytes = 0;
  await pipeline(createReadStream(file), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      hash.update(chunk);
    }
  });
  return { bytes, sha256: hash.digest("hex") };
}

/** The `sha256sum` format, so an operator can check a file with `sha256sum -c` and no tool of ours. */
export function checksumLine(sha256: string, dumpFileName: string): string {
  return `${sha256}  ${dumpFileName}\n`;
}

export async function writeSidecars(files: BackupFiles, manifest: Manifest): Promise<void> {
  await writeFile(files.checksum, checksumLine(manifest.sha256, manifest.file));
  await writeFile(files.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
}

async function readOrExplain(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new BackupIntegrityError(`cannot read the ${what} ${file}: ${(error as Error).message}`);
  }
}

export async function readManifest(file: string): Promise<Manifest> {
  const text = await readOrExplain(file, "manifest");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BackupIntegrityError(`manifest ${file} is not valid JSON`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new BackupIntegrityError(
      `manifest ${file} is malformed: ${z.prettifyError(parsed.error).replace(/\n/g, " ")}`,
    );
  }
  return parsed.data;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    throw new BackupIntegrityError(`cannot read the backup file ${file}: ${(error as Error).message}`);
  }
}

/**
 * Proves the dump is byte for byte the file the backup wrote, before anything is restored from it. The size is
 * compared first so that the commonest damage, a partial copy or a full disk, gets a message that says so.
 */
export async function checkIntegrity(files: BackupFiles, manifest: Manifest): Promise<void> {
  const dumpName = path.basename(files.dump);
  if (manifest.file !== dumpName) {
    throw new BackupIntegrityError(`manifest ${files.manifest} describes ${manifest.file}, not ${dumpName}`);
  }
  const size = await sizeOf(files.dump);
  if (size < manifest.bytes) {
    throw new BackupIntegrityError(
      `backup file ${files.dump} is truncated: ${size} bytes on disk, the manifest records ${manifest.bytes}`,
    );
  }
  if (size > manifest.bytes) {
    throw new BackupIntegrityError(
      `backup file ${files.dump} has ${size} bytes, more than the ${manifest.bytes} the manifest records`,
    );
  }
  const actual = await digestFile(files.dump);
  if (actual.sha256 !== manifest.sha256) {
    throw new BackupIntegrityError(
      `backup file ${files.dump} is corrupted: its SHA-256 is ${actual.sha256}, ` +
        `the manifest records ${manifest.sha256}`,
    );
  }
  const checksumText = (await readOrExplain(files.checksum, "checksum file")).trim();
  if (checksumText !== checksumLine(manifest.sha256, manifest.file).trim()) {
    throw new BackupIntegrityError(`checksum file ${files.checksum} disagrees with the manifest ${files.manifest}`);
  }
}

/** Every difference between two sets of row counts, as sentences; empty when they are equal. */
export function rowCountDifferences(expected: RowCounts, actual: RowCounts): string[] {
  const tables = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return tables.flatMap((table) => {
    const want = expected[table];
    const got = actual[table];
    if (want === got) return [];
    if (got === undefined) return [`${table} is missing (expected ${want} rows)`];
    if (want === undefined) return [`${table} is not in the manifest (has ${got} rows)`];
    return [`${table} has ${got} rows, expected ${want}`];
  });
}
