import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { createLogger, type Logger } from "../../service/src/logger";

/** The machine's PostgreSQL (trust auth); other engineers share it, so every database here has a unique name. */
export const ADMIN_URL = process.env.BACKUP_TEST_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export function urlOf(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withDatabase<T>(database: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: urlOf(database) });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export function uniqueDatabaseName(label: string): string {
  return `fp_backup_test_${label}_${process.pid}_${randomBytes(3).toString("hex")}`;
}

/** Creates a database and remembers it, so `dropCreatedDatabases` cleans up whatever a test made. */
export class TestDatabases {
  private readonly names = new Set<string>();

  async create(label: string): Promise<string> {
    const name = uniqueDatabaseName(label);
    this.track(name);
    await withDatabase("postgres", (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
    return name;
  }

  /** A name for a database that the code under test creates. */
  reserve(label: string): string {
    return this.track(uniqueDatabaseName(label));
  }

  private track(name: string): string {
    this.names.add(name);
    return name;
  }

  async dropAll(): Promise<void> {
    await withDatabase("postgres", async (client) => {
      for (const name of this.names) {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      }
    });
    this.names.clear();
  }
}

export async function databaseExists(name: string): Promise<boolean> {
  return withDatabase("postgres", async (client) => {
    const result = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    return result.rowCount === 1;
  });
}

/** Databases left by verify runs of a source database: there must be none after any run. */
export async function scratchDatabasesOf(source: string): Promise<string[]> {
  return withDatabase("postgres", async (client) => {
    const result = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [
      `${source.slice(0, 30)}_verify_%`,
    ]);
    return result.rows.map((row) => row.datname);
  });
}

export function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), "fp-backup-test-"));
}

export interface CapturedLogs {
  logger: Logger;
  entries(): Record<string, unknown>[];
  /** Every line, for assertions on what an operator would read. */
  text(): string;
}

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const logger = createLogger("info", { write: (line: string) => void lines.push(line) });
  return {
    logger,
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => lines.join(""),
  };
}

export function backupEnv(database: string, backupDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { DATABASE_URL: urlOf(database), BACKUP_DIR: backupDir, ...extra };
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A Pushgateway stand-in on the loopback interface that records what it is sent. */
export async function startFakePushgateway(): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (request, response) => {
    const body = (await readBody(request)).toString("utf8");
    requests.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
    response.writeHead(200).end();
  });
  const url = await listen(server);
  return { url, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Gauge values of a Prometheus text-format body. */
export function parseGauges(body: string): Record<string, number> {
  return Object.fromEntries(
    body
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => {
        const [name, value] = line.split(" ");
        return [name, Number(value)];
      }),
  );
}
