import { createServer, type IncomingMessage } from "node:http";
import type { Client } from "pg";
import { databaseExists as exists, databaseUrl, TestDatabases, withClient } from "../support/databases";
import { listen, readBody } from "../support/net";

/** The machine's PostgreSQL (trust auth); other engineers share it, so every database here has a unique name. */
export const ADMIN_URL = process.env.BACKUP_TEST_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export function urlOf(database: string): string {
  return databaseUrl(database, ADMIN_URL);
}

export function withDatabase<T>(database: string, use: (client: Client) => Promise<T>): Promise<T> {
  return withClient(urlOf(database), use);
}

/** The suite's databases on the backup tests' server, `fp_backup_test_<label>_...`. */
export function backupTestDatabases(): TestDatabases {
  return new TestDatabases("fp_backup_test", ADMIN_URL);
}

export function databaseExists(name: string): Promise<boolean> {
  return exists(name, ADMIN_URL);
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
