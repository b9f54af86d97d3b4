import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import type { Knex } from "knex";
import type { Logger } from "../logger";

/**
 * PGlite is one single-user backend behind the socket server: queries from several client connections would
 * interleave their extended-protocol messages. The knex pool for it therefore holds exactly one connection.
 */
export const EMBEDDED_POOL = { min: 0, max: 1 } as const;

/** Spare slots let a replacement connection in while the server is still closing a dropped one. */
const SOCKET_SERVER_MAX_CONNECTIONS = 4;

export interface EmbeddedPostgres {
  connection: Knex.PgConnectionConfig;
  stop(): Promise<void>;
}

/** Another live process holds the embedded database directory; `owner` is its pid. */
export class EmbeddedDatabaseInUseError extends Error {
  override name = "EmbeddedDatabaseInUseError";

  constructor(
    readonly dataDir: string,
    readonly owner: number,
  ) {
    super(`the embedded database in ${dataDir} is in use by process ${owner}`);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Two processes opening one PGlite directory would corrupt it, so the directory is claimed through a lock
 * file holding the owner's pid; a lock left by a process that no longer runs is taken over.
 */
function claimDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, "..", `${path.basename(dataDir)}.lock`);
  for (;;) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSync(lockPath, "utf8"));
      if (Number.isInteger(owner) && owner > 0 && isRunning(owner)) {
        throw new EmbeddedDatabaseInUseError(dataDir, owner);
      }
      rmSync(lockPath, { force: true });
    }
  }
}

/** Starts PGlite on `dataDir` behind a socket server on a free loopback port, for the ordinary pg driver. */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedPostgres> {
  const release = claimDataDir(dataDir);
  try {
    const started = Date.now();
    const db = await PGlite.create(dataDir);
    const server = new PGLiteSocketServer({
      db,
      host: "127.0.0.1",
      port: 0,
      maxConnections: SOCKET_SERVER_MAX_CONNECTIONS,
    });
    await server.start();
    const [host, port] = server.getServerConn().split(":");
    logger.info({ dataDir, port: Number(port), ms: Date.now() - started }, "embedded PostgreSQL started");
    return {
      connection: { host, port: Number(port), user: "postgres", database: "postgres" },
      async stop() {
        await server.stop();
        await db.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
