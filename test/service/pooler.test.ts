/**
 * The service behind PgBouncer in transaction mode, as the API reaches PostgreSQL through CloudNativePG's Pooler:
 * a PgBouncer of the test's own in front of the local server, configured with the parameters
 * docs/service-interface.md gives the infrastructure, and the API's own specs run through it in a child mocha
 * (TEST_POOLER_URL makes their databases' URLs point at the pooler), so every scenario they cover (reads, cached
 * and not, authenticated and audited writes, refits, bad input, migrations up and down with knex's lock) runs on
 * server connections that change hands at every transaction.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { createLogger } from "../../service/src/logger";
import { runMigrate } from "../../service/src/runtime/commands";
import { API_DATABASE_TIMEOUTS, createDatabase, isDatabaseUnavailable } from "../../service/src/storage/db";
import { RUN_ID } from "../support/cleanup";
import { PG_HOST, PG_PORT, databaseUrl, freshDatabaseUrl } from "../support/databases";
import { report } from "../support/load";
import { sleep } from "../support/net";
import { PgBouncer } from "../support/pgbouncer";
import { REPO_ROOT, runUnchecked } from "../support/processes";
import { testConfig } from "../support/service";

/** The specs of the API and of the storage under it; each starts services and databases of its own. */
const SPECS = ["api", "writes", "badInput", "storage"].map((name) => path.join("test", "service", `${name}.test.ts`));
/**
 * Left out: loading the shipped history again, and 10,000 malformed requests that the HTTP layer refuses before any
 * query, say nothing about pooling that the migrations and the rest of the API do not.
 */
const LEFT_OUT = "^storage seed |never answers a fuzzed request";

const silent = createLogger("silent");

describe("the service through PgBouncer (transaction pooling)", function () {
  this.timeout(240_000);
  let bouncer: PgBouncer;

  before(async () => {
    bouncer = await PgBouncer.start({ server: { host: PG_HOST, port: PG_PORT } });
  });

  after(() => bouncer?.stop());

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(bouncer.log.slice(-3000));
  });

  it("bounds statements with the default `migrate` sets, since PgBouncer drops the service's startup parameter", async () => {
    const direct = await freshDatabaseUrl();
    await runMigrate(testConfig({ DATABASE_URL: direct }), silent, []);
    const pooled = databaseUrl(new URL(direct).pathname.slice(1), bouncer.url("postgres"));
    const api = createDatabase({ connection: pooled, pool: { min: 0, max: 2 }, ...API_DATABASE_TIMEOUTS, logger: silent });
    try {
      const [{ statement_timeout: timeout }] = (await api.raw("SHOW statement_timeout")).rows;
      assert.equal(timeout, `${API_DATABASE_TIMEOUTS.statementTimeoutMs / 1000}s`);
      const started = performance.now();
      const slow = await api.raw("SELECT pg_sleep(10)").then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.equal((slow as { code?: string }).code, "57014", "cancelled by statement_timeout");
      assert.ok(isDatabaseUnavailable(slow), "a cancelled statement is a 503, as without the pooler");
      assert.ok(performance.now() - started < API_DATABASE_TIMEOUTS.statementTimeoutMs + 2_000);
    } finally {
      await api.destroy();
    }
  });

  it("passes the API's specs with every connection through it", async () => {
    const carried = new TransactionCount(bouncer);
    const started = performance.now();
    const mocha = path.join(REPO_ROOT, "node_modules", "mocha", "bin", "mocha.js");
    const args = ["--no-config", "-r", "ts-node/register", "--extension", "ts", "--timeout", "60000", "--exit"];
    const { code, output } = await runUnchecked(
      process.execPath,
      [mocha, ...args, "--grep", LEFT_OUT, "--invert", ...SPECS],
      { cwd: REPO_ROOT, env: { ...process.env, TEST_POOLER_URL: bouncer.url("postgres") }, timeoutMs: 200_000 },
    );
    assert.equal(code, 0, `the specs failed through PgBouncer:\n${output.slice(-8000)}`);
    const passing = Number(/(\d+) passing/.exec(output)?.[1] ?? 0);
    assert.ok(passing >= 40, `only ${passing} tests ran:\n${output.slice(-3000)}`);
    assert.doesNotMatch(output, /\d+ (failing|pending)/);
    // The databases the specs made (one or more per spec file) were used through the pooler.
    const pooled = await carried.stop();
    const total = [...pooled.values()].reduce((sum, count) => sum + count, 0);
    assert.ok(pooled.size >= SPECS.length, `only ${pooled.size} databases were used through PgBouncer`);
    assert.ok(total > 100, `only ${total} transactions went through PgBouncer`);
    report("API specs through PgBouncer", {
      specs: SPECS.length,
      passing,
      seconds: Math.round((performance.now() - started) / 100) / 10,
      databases: pooled.size,
      transactionsThroughPgBouncer: total,
    });
  });
});

/**
 * Transactions PgBouncer carries, summed over databases from SHOW STATS (refreshed every stats_period, 1 s here),
 * polled while they exist: a database's row goes when it is dropped.
 */
class TransactionCount {
  private readonly byDatabase = new Map<string, number>();
  private stopped = false;
  private readonly polling: Promise<void>;

  constructor(private readonly bouncer: PgBouncer) {
    this.polling = (async () => {
      while (!this.stopped) {
        await this.read();
        await sleep(300);
      }
    })();
  }

  private async read(): Promise<void> {
    const rows = await this.bouncer.admin<{ database: string; total_xact_count: string }>("SHOW STATS");
    for (const row of rows) {
      // PgBouncer's own console, and this process's databases (the child run names its own).
      if (row.database === "pgbouncer" || row.database.includes(RUN_ID)) continue;
      this.byDatabase.set(row.database, Math.max(this.byDatabase.get(row.database) ?? 0, Number(row.total_xact_count)));
    }
  }

  /** Transactions by database, for those that had any. */
  async stop(): Promise<Map<string, number>> {
    this.stopped = true;
    await this.polling;
    return new Map([...this.byDatabase].filter(([, count]) => count > 0));
  }
}
