import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Logger } from "../logger";
import { type BackupEntry, type BackupFiles, fileNamesOf, filesIn, newestFirst, parseDumpName } from "./catalog";
import type { S3Config } from "./config";
import type { BackupStore, OpenedBackup } from "./store";

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

/**
 * The SDK writes warnings to the console unless given a logger; this keeps them in the JSON log, and its
 * per-request info lines at debug.
 */
function sdkLogger(logger: Logger) {
  const forward =
    (level: "debug" | "warn" | "error") =>
    (...content: unknown[]) => {
      const text = content.filter((item): item is string => typeof item === "string").join(" ");
      logger[level](
        { component: "s3", details: content.filter((item) => typeof item !== "string") },
        text || "S3 client",
      );
    };
  return { debug: forward("debug"), info: forward("debug"), warn: forward("warn"), error: forward("error") };
}

/** Backups of database `football` live under `s3://<bucket>/football/`, so databases can share a bucket. */
export class S3Store implements BackupStore {
  readonly location: string;
  private readonly client: S3Client;

  constructor(
    private readonly config: S3Config,
    private readonly downloadDir: string,
    logger: Logger,
  ) {
    this.location = `s3://${config.bucket}/`;
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      // S3-compatible servers (MinIO, Ceph, ...) address buckets by path; AWS accepts that too.
      forcePathStyle: config.endpoint !== undefined,
      credentials: config.credentials,
      // Checksums only where S3 requires them: many S3-compatible servers reject the SDK's default trailers.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      logger: sdkLogger(logger),
    });
  }

  private key(entry: BackupEntry, fileName: string): string {
    return `${entry.database}/${fileName}`;
  }

  async list(database: string): Promise<BackupEntry[]> {
    const entries: BackupEntry[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.config.bucket,
          Prefix: `${database}/`,
          ContinuationToken: continuationToken,
        }),
      );
      for (const object of page.Contents ?? []) {
        const entry = parseDumpName(path.posix.basename(object.Key ?? ""));
        if (entry?.database === database) entries.push(entry);
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
    return newestFirst(entries);
  }

  /** The sidecars go up first and the dump last, so a listed dump always has its manifest. */
  async upload(entry: BackupEntry, files: BackupFiles): Promise<void> {
    const names = fileNamesOf(entry);
    for (const [local, name] of [
      [files.checksum, names.checksum],
      [files.manifest, names.manifest],
      [files.dump, names.dump],
    ] as const) {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.config.bucket,
          Key: this.key(entry, name),
          Body: createReadStream(local),
          ContentLength: (await stat(local)).size,
        }),
      );
    }
  }

  async remove(entries: readonly BackupEntry[]): Promise<void> {
    const keys = entries.flatMap((entry) => {
      const names = fileNamesOf(entry);
      return [names.dump, names.checksum, names.manifest].map((name) => this.key(entry, name));
    });
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.config.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(`S3 refused to delete ${failed.map((error) => `${error.Key} (${error.Code})`).join(", ")}`);
      }
    }
  }

  /** Downloads into a fresh directory under the backup volume, which has room for a dump; /tmp may not. */
  async open(entry: BackupEntry): Promise<OpenedBackup> {
    await mkdir(this.downloadDir, { recursive: true });
    const workDir = await mkdtemp(path.join(this.downloadDir, ".s3-download-"));
    const close = () => rm(workDir, { recursive: true, force: true });
    const files = filesIn(workDir, entry);
    const names = fileNamesOf(entry);
    try {
      for (const [local, name] of [
        [files.dump, names.dump],
        [files.checksum, names.checksum],
        [files.manifest, names.manifest],
      ] as const) {
        await this.download(this.key(entry, name), local);
      }
    } catch (error) {
      await close();
      throw error;
    }
    return { files, close };
  }

  private async download(key: string, file: string): Promise<void> {
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key }));
    if (!(response.Body instanceof Readable)) throw new Error(`S3 returned no readable body for ${key}`);
    await pipeline(response.Body, createWriteStream(file));
  }

  close(): void {
    this.client.destroy();
  }
}
