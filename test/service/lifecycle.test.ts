import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfirmationRequired, UsageError, runMigrate } from "../../service/src/runtime/commands";
import { MIGRATIONS } from "../../service/src/storage/migrations";
import { pendingMigrations } from "../../service/src/storage/migrator";
import { commandDatabase, seededDatabaseUrl } from "../support/databases";
import { eventually, freePort } from "../support/net";
import { SERVICE_DIR, exited } from "../support/processes";
import { type ErrorBody, silentLogger, startTestService, testConfig } from "../support/service";
import { makeTempDir } from "../support/tempDir";

/** Runs `ts-node src/main.ts <args>` from service/, as `npm run service` does, with only the given variables. */
function runMain(args: string[], env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ["-r", "ts-node/register", "src/main.ts", ...args], {
    cwd: SERVICE_DIR,
    env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return Object.assign(child, { output: () => output });
}

describe("service lifecycle", () => {
  describe("embedded mode from nothing", () => {
    let dataDir: string;
    let server: ReturnType<typeof runMain> | undefined;

    before(() => {
      dataDir = makeTempDir("fp-embedded-");
    });

    after(async () => {
      if (server !== undefined && server.exitCode === null) {
        server.kill("SIGKILL");
        await exited(server);
      }
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("migrates and seeds its own database, fits, serves, and exits 0 on SIGTERM", async function embedded() {
      this.timeout(180_000);
      const [port, opsPort] = [await freePort(), await freePort()];
      const pglite = path.join(dataDir, "pglite");
      const ports = { PORT: String(port), OPS_PORT: String(opsPort) };
      server = runMain(["serve"], { ...ports, EMBEDDED_DATA_DIR: pglite, LOG_LEVEL: "info" });
      const minting = runMain(["token", "--subject", "e2e", "--ttl", "5m"], { LOG_LEVEL: "silent" });
      const badConfig = runMain(["serve"], { PORT: "eighty" });

      assert.equal((await exited(badConfig)).code, 1);
      assert.match(badConfig.output(), /PORT: /);
      assert.equal((await exited(minting)).code, 0);
      const token = minting.output().trim();
      assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);

      const base = `http://127.0.0.1:${port}`;
      await eventually(
        async () => {
          if (server?.exitCode !== null) throw new Error(`serve exited early:\n${server?.output()}`);
          const response = await fetch(`http://127.0.0.1:${opsPort}/ready`).catch(() => undefined);
          return response?.status === 200 ? true : undefined;
        },
        150_000,
        250,
      );
      assert.ok(readdirSync(pglite).includes("PG_VERSION"), "PGlite files live in EMBEDDED_DATA_DIR");

      // A second process on the same directory says what holds it and what to do instead, without a stack trace.
      const migrate = runMain(["migrate"], { EMBEDDED_DATA_DIR: pglite, LOG_LEVEL: "silent" });
      assert.equal((await exited(migrate)).code, 1);
      assert.match(migrate.output(), new RegExp(`migrate: the embedded database in ${pglite} is in use by process ${server.pid}`));
      assert.match(migrate.output(), /npm run service. migrates and seeds its embedded database by itself.*set DATABASE_URL/s);
      assert.doesNotMatch(migrate.output(), /\n\s+at /, "no stack trace");

      const answer = await fetch(`${base}/api/v1/predictions?league=E0&home=Arsenal&away=Chelsea`);
      const prediction = (await answer.json()) as { prediction: { homeWin: number; draw: number; awayWin: number } };
      const { homeWin, draw, awayWin } = prediction.prediction;
      assert.ok(Math.abs(homeWin + draw + awayWin - 1) < 1e-9);
      assert.ok(homeWin > awayWin, "Arsenal at home are favourites against Chelsea");

      // Seeded through the importer from the shipped openfootball files: the current season of every league.
      const leagues = (await (await fetch(`${base}/api/v1/leagues`)).json()) as { data: Array<{ code: string; seasons: string[] }> };
      const latest = Object.fromEntries(leagues.data.map((league) => [league.code, league.seasons.slice(-3)]));
      assert.deepEqual(latest, {
        D1: ["2024-2025", "2025-2026", "2026-2027"],
        E0: ["2024-2025", "2025-2026", "2026-2027"],
        SP1: ["2024-2025", "2025-2026", "2026-2027"],
      });

      // A played match with a kick-off, listed and then predicted: both read through PGlite (no Redis, so no
      // process copy of the matches), the prediction by the batched read of uncached predictions.
      const played = (await (await fetch(`${base}/api/v1/matches?league=E0&season=2026-2027&status=played`)).json()) as {
        data: Array<{ id: number; kickoff: string | null }>;
      };
      const listed = played.data.find((match) => match.kickoff !== null);
      assert.ok(listed, "the current season's played matches have kick-off times");
      assert.equal(listed.kickoff, new Date(listed.kickoff as string).toISOString());
      const predicted = (await (await fetch(`${base}/api/v1/predictions/${listed.id}`)).json()) as { match: unknown };
      assert.deepEqual(predicted.match, listed);

      const created = await fetch(`${base}/api/v1/matches`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({
          league: "E0",
          season: "2026-2027",
          date: "2026-08-22",
          homeTeam: "Arsenal",
          awayTeam: "Chelsea",
        }),
      });
      assert.equal(created.status, 201, "the token command's token is accepted by the local service");

      server.kill("SIGTERM");
      assert.equal((await exited(server)).code, 0);
      assert.match(server.output(), /"msg":"shut down"/);
    });
  });

  describe("migrate --rollback", () => {
    it("lists the last batch and changes nothing without --yes; reverts it with --yes", async () => {
      const config = testConfig({ DATABASE_URL: await seededDatabaseUrl() });
      const database = commandDatabase(config.databaseUrl as string);
      try {
        const matches = await database("matches").count<Array<{ n: string }>>("* as n");
        await assert.rejects(runMigrate(config, silentLogger, ["--rollback"]), (error: Error) => {
          assert.ok(error instanceof ConfirmationRequired);
          for (const [name] of MIGRATIONS) assert.ok(error.message.includes(`  ${name}`), name);
          assert.match(error.message, /every migration: every table is dropped with all its data/);
          assert.match(error.message, /Nothing was changed. Run it again with --yes/);
          return true;
        });
        assert.deepEqual(await database("matches").count("* as n"), matches, "nothing reverted");
        await assert.rejects(runMigrate(config, silentLogger, ["--yes"]), UsageError);

        await runMigrate(config, silentLogger, ["--rollback", "--yes"]);
        assert.deepEqual(await pendingMigrations(database), MIGRATIONS.map(([name]) => name));
        await runMigrate(config, silentLogger, ["--rollback"]); // nothing applied: nothing to confirm
      } finally {
        await database.destroy();
      }
    });
  });

  describe("graceful shutdown", () => {
    it("turns readiness 503 first, keeps answering while draining, then closes", async () => {
      const config = testConfig({ DATABASE_URL: await seededDatabaseUrl() });
      const api = await startTestService(config, { drainDelayMs: 400 });
      assert.equal((await api.ops("/ready")).status, 200);
      const stopping = api.stop();
      const ready = await api.ops("/ready");
      assert.equal(ready.status, 503);
      const { error } = (await ready.json()) as ErrorBody;
      assert.equal((error.details as { failing: string }).failing, "shutdown");
      assert.equal((await api.ops("/health")).status, 200);
      const answer = await api.get("/api/v1/predictions?league=E0&home=Arsenal&away=Chelsea");
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get("connection"), "close");
      await stopping;
      await assert.rejects(fetch(`${api.baseUrl}/api/v1/ping`));
      await assert.rejects(fetch(`${api.opsUrl}/health`));
    });
  });
});
