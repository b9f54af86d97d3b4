/**
 * A local S3-compatible object store (s3rver, in this process) for tests whose S3 clients need more of the API
 * than test/backup/fake-s3.ts answers (multipart uploads, HeadBucket, HeadObject: boto3 in the Barman tools): on
 * 127.0.0.1, on a free port, its files in a scratch directory; stopped after the run.
 */
import fs from "node:fs";
import S3rver from "s3rver";
import { type RunResource, track, untrack } from "./cleanup";
import { freePort } from "./net";
import { makeTempDir } from "./tempDir";

/** s3rver's one key pair: fake credentials, only ever for this server. */
const ACCESS_KEY_ID = "S3RVER";
const SECRET_ACCESS_KEY = "S3RVER";

export class S3Server implements RunResource {
  private constructor(
    private readonly server: S3rver,
    private readonly dir: string,
    readonly endpoint: string,
  ) {}

  static async start(buckets: readonly string[]): Promise<S3Server> {
    const dir = makeTempDir("fp-s3-");
    const port = await freePort();
    const server = new S3rver({
      address: "127.0.0.1",
      port,
      silent: true,
      directory: dir,
      configureBuckets: buckets.map((name) => ({ name, configs: [] })),
    });
    await server.run();
    const store = new S3Server(server, dir, `http://127.0.0.1:${port}`);
    track(store);
    return store;
  }

  /** What an AWS SDK reads from its environment to reach this server (boto3: the Barman tools). */
  get clientEnv(): Record<string, string> {
    return {
      AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
    };
  }

  async stop(): Promise<void> {
    await this.server.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
    untrack(this);
  }

  release(): Promise<void> {
    return this.stop();
  }

  releaseNow(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
