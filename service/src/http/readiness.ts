import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import type { ModelRegistry } from "../predictions/modelRegistry";
import type { Database } from "../storage/db";
import { pendingMigrations } from "../storage/migrator";
import { listLeagueCodes } from "../storage/repositories/leagues";

export type Dependency = "database" | "migrations" | "model";

/** The checks that decide readiness; the database is reported but decides nothing (see Readiness). */
export type Gate = "migrations" | "model";

export interface ReadinessReport {
  ready: boolean;
  /** The first failing gate in check order, or "shutdown" while draining. */
  failing: Gate | "shutdown" | undefined;
  /** Dependencies that are down while the process stays ready, answering what it can without them. */
  degraded: Dependency[];
  checks: Record<Dependency, string>;
}

/** What /ready reports from: the API's and worker's Readiness, or the web tier's simpler check. */
export interface ReadinessSource {
  report(): { ready: boolean; failing: string | undefined; degraded: string[]; checks: Record<string, string> };
}

const PROBE_INTERVAL_MS = 1_000;
const GATES: readonly Gate[] = ["migrations", "model"];

/**
 * Readiness means "this process can serve": it has started, the database schema it was built for has been seen
 * applied, and (with a registry) every league has a model. Only this process can fix those, so they take it out
 * of its Service. The database being away does not: every replica loses it at the same moment (a failover, a
 * restart, a network cut), and failing readiness then would empty the Service during exactly the seconds a
 * failover needs, turning cached reads into connection errors and uncached ones' fast 503 with Retry-After into
 * timeouts at the ingress. The outage is reported instead: in the body (`degraded`, `checks.database`), by the
 * `database_up` gauge, and by the alerts built on it.
 *
 * The checks run in the background once a second, so `/ready` answers from memory (fast, and never piling probes
 * onto a struggling database). The migrations check needs the database: it keeps its last result while the
 * database is away, and a process that has never reached it is not ready.
 */
export class Readiness {
  private checks: Record<Dependency, string> = {
    database: "not checked",
    migrations: "not checked: the database has not answered yet",
    model: "not checked",
  };
  private databaseUp = false;
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
    const failing = this.shuttingDown ? "shutdown" : GATES.find((gate) => checks[gate] !== "ok");
    return { ready: failing === undefined, failing, degraded: this.databaseUp ? [] : ["database"], checks };
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
      const pending = await pendingMigrations(this.db);
      this.checks.migrations = pending.length === 0 ? "ok" : `${pending.length} pending: ${pending.join(", ")}`;
      if (pending.length === 0) this.leagues = await listLeagueCodes(this.db);
      this.databaseReached();
    } catch (error) {
      this.databaseLost(error as Error);
    }
    const after = this.report();
    this.metrics.serviceReady.set(after.ready ? 1 : 0);
    if (before !== after.ready) {
      this.logger.info({ ready: after.ready, failing: after.failing, checks: after.checks }, "readiness changed");
    }
  }

  private databaseReached(): void {
    if (!this.databaseUp && this.checks.database !== "not checked") this.logger.info("database reachable again");
    this.databaseUp = true;
    this.checks.database = "ok";
    this.metrics.databaseUp.set(1);
  }

  private databaseLost(error: Error): void {
    if (this.databaseUp || this.checks.database === "not checked") {
      this.logger.warn({ err: error }, "database unreachable: serving what needs no database, 503 for the rest");
      this.checks.database = `unavailable since ${new Date().toISOString()}: ${error.message}`;
    }
    this.databaseUp = false;
    this.metrics.databaseUp.set(0);
  }
}
