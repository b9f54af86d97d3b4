import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import type { ModelRegistry } from "../predictions/modelRegistry";
import type { Database } from "../storage/db";
import { pendingMigrations } from "../storage/migrator";
import { listLeagueCodes } from "../storage/repositories/leagues";

export type Dependency = "database" | "migrations" | "model";

export interface ReadinessReport {
  ready: boolean;
  /** The first failing dependency in check order, or "shutdown" while draining. */
  failing: Dependency | "shutdown" | undefined;
  checks: Record<Dependency, string>;
}

const PROBE_INTERVAL_MS = 1_000;

/**
 * Checks the dependencies in the background once a second, so `/ready` answers from memory (fast and never
 * piling probes onto a struggling database) and still turns 503 within about two seconds of a database stop.
 * With a registry, every league must have a model in it; the worker, which makes the models, passes none.
 */
export class Readiness {
  private checks: Record<Dependency, string> = {
    database: "not checked",
    migrations: "not checked",
    model: "not checked",
  };
  private leagues: string[] = [];
  private shuttingDown = false;
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly registry: ModelRegistry | undefined,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.probe();
    this.timer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
  }

  /** Readiness goes 503 for good: load balancers stop sending new requests while in-flight ones finish. */
  beginShutdown(): void {
    this.shuttingDown = true;
    this.metrics.serviceReady.set(0);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.probing;
  }

  report(): ReadinessReport {
    const checks = { ...this.checks, model: this.modelCheck() };
    const failing = this.shuttingDown
      ? "shutdown"
      : (["database", "migrations", "model"] as const).find((dependency) => checks[dependency] !== "ok");
    return { ready: failing === undefined, failing, checks };
  }

  private modelCheck(): string {
    const { registry } = this;
    if (registry === undefined) return "ok";
    if (registry.size === 0) return "no model fitted yet";
    const missing = this.leagues.filter((league) => registry.get(league) === undefined);
    return missing.length === 0 ? "ok" : `no model fitted yet for ${missing.join(", ")}`;
  }

  private probe(): Promise<void> {
    this.probing ??= this.runChecks().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  private async runChecks(): Promise<void> {
    const before = this.report().ready;
    try {
      await this.db.raw("SELECT 1");
      this.checks.database = "ok";
      const pending = await pendingMigrations(this.db);
      this.checks.migrations = pending.length === 0 ? "ok" : `${pending.length} pending: ${pending.join(", ")}`;
      if (pending.length === 0) this.leagues = await listLeagueCodes(this.db);
    } catch (error) {
      this.checks.database = `unavailable: ${(error as Error).message}`;
      this.checks.migrations = "unknown";
    }
    const after = this.report();
    this.metrics.serviceReady.set(after.ready ? 1 : 0);
    if (before !== after.ready) {
      this.logger.info({ ready: after.ready, failing: after.failing, checks: after.checks }, "readiness changed");
    }
  }
}
