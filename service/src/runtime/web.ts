import { existsSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config";
import { createOpsApp, createWebApp } from "../http/app";
import type { ReadinessSource } from "../http/readiness";
import { WEB_DIST_DIR } from "../http/webPage";
import type { Logger } from "../logger";
import { Metrics } from "../metrics";
import { closeGracefully, listen, portOf } from "./httpServer";
import { defaultDrainDelayMs } from "./serve";

export interface RunningWeb {
  port: number;
  opsPort: number;
  shutdown(): Promise<void>;
}

/** Ready while the built page is there and shutdown has not begun; the web tier has no other dependency. */
class PageReadiness implements ReadinessSource {
  shuttingDown = false;

  constructor(
    private readonly root: string,
    private readonly metrics: Metrics,
  ) {}

  report() {
    const built = existsSync(path.join(this.root, "index.html"));
    const page = built ? "ok" : `not built: ${this.root} has no index.html`;
    const failing = this.shuttingDown ? "shutdown" : built ? undefined : "page";
    this.metrics.serviceReady.set(failing === undefined ? 1 : 0);
    return { ready: failing === undefined, failing, degraded: [], checks: { page } };
  }
}

/**
 * The `web` command: the built page on PORT (default 8003) with /health, /ready and /metrics on OPS_PORT (default
 * 8004). It needs no database, Redis or JWT secret: the page calls the API on the same origin.
 */
export async function startWeb(config: Config, logger: Logger, root: string = WEB_DIST_DIR): Promise<RunningWeb> {
  const metrics = new Metrics();
  const readiness = new PageReadiness(root, metrics);
  let draining = false;
  if (!readiness.report().ready) logger.error({ root }, "the web page is not built: run npm run build -w web");
  const opsServer = await listen(createOpsApp({ logger, metrics, readiness }), config.opsPort);
  const server = await listen(
    await createWebApp({ logger, metrics, isDraining: () => draining, webRoot: root }),
    config.port,
  );
  logger.info({ port: portOf(server), opsPort: portOf(opsServer), root }, "serving the web page");
  return {
    port: portOf(server),
    opsPort: portOf(opsServer),
    async shutdown() {
      readiness.shuttingDown = true;
      draining = true;
      const drainDelayMs = defaultDrainDelayMs(config);
      logger.info({ drainDelayMs }, "shutting down: readiness is 503");
      await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
      await closeGracefully(server, Math.max(0, config.shutdownGraceMs - drainDelayMs));
      await closeGracefully(opsServer, 0);
      logger.info("shut down");
    },
  };
}
