import assert from "node:assert/strict";
import { BacktestRecords, type LeagueRecord } from "../../service/src/backtest/records";
import { loadShippedClosingLine } from "../../service/src/data/closingLine";
import { closingLineProbabilities } from "../../service/src/domain/closingOdds";
import { outcomeOf, rankedProbabilityScore } from "../../service/src/domain/metrics";
import { AppError } from "../../service/src/errors";
import { ModelRegistry } from "../../service/src/predictions/modelRegistry";
import type { Database } from "../../service/src/storage/db";
import type { ModelVersion } from "../../service/src/storage/repositories/modelVersions";
import { commandDatabase, seededDatabaseUrl } from "../support/databases";
import { eventually } from "../support/net";
import { silentLogger } from "../support/service";

const model = { league: "E0", version: 1, parameters: { model: "dixon-coles/1" } } as unknown as ModelVersion;

const refusal = (call: Promise<unknown>) =>
  call.then(
    () => assert.fail("expected a refusal"),
    (error: unknown) => (error as AppError).code,
  );

describe("backtest records", () => {
  it("answers 503 record_not_ready while computing, and starts again after a failed computation", async () => {
    let reads = 0;
    // A database whose every query fails: the computation fails at its first read.
    const db = (() => {
      reads++;
      throw new Error("database away");
    }) as unknown as Database;
    const registry = new ModelRegistry();
    registry.install(model);
    const records = new BacktestRecords(db, registry, silentLogger);

    assert.equal(await refusal(records.forLeague("E0")), "record_not_ready");
    await eventually(async () => (reads === 1 ? true : undefined));
    // Not stuck on the failed run: the next request starts another.
    await eventually(async () => {
      assert.equal(await refusal(records.forLeague("E0")), "record_not_ready");
      return reads >= 2 ? true : undefined;
    });
  });

  describe("the closing line (PostgreSQL)", function () {
    this.timeout(120_000);
    let db: Database;

    before(async () => {
      db = commandDatabase(await seededDatabaseUrl());
    });

    after(async () => {
      await db?.destroy();
    });

    it("answers the stored odds' figure where the season has them, else the shipped figure, else null", async () => {
      // D1's last three seasons with results: 2021-22 (left out of the shipped figures here), 2022-23 (shipped),
      // 2023-24 (odds stored by a deployment's own import, which win over the shipped figure).
      const season = await db("seasons").where({ league_code: "D1", name: "2023-2024" }).first("id");
      await db("matches")
        .where({ season_id: season.id, status: "played" })
        .update({
          home_closing_odds: db.raw("1.5 + (id % 7) * 0.3"),
          draw_closing_odds: 3.4,
          away_closing_odds: db.raw("2 + (id % 5) * 0.5"),
          closing_odds_source: "pinnacle-closing",
        });
      const stored: Array<{ home_goals: number; away_goals: number; home: number; draw: number; away: number }> = await db("matches")
        .where({ season_id: season.id, status: "played", awarded: false })
        .select("home_goals", "away_goals", "home_closing_odds as home", "draw_closing_odds as draw", "away_closing_odds as away");
      const expected =
        stored.reduce(
          (sum, m) => sum + rankedProbabilityScore(closingLineProbabilities(m), outcomeOf({ homeGoals: m.home_goals, awayGoals: m.away_goals })),
          0,
        ) / stored.length;
      const shipped = loadShippedClosingLine().filter((row) => !(row.league === "D1" && row.season === "2021-2022"));
      const registry = new ModelRegistry();
      registry.install({ ...model, league: "D1" });
      const records = new BacktestRecords(db, registry, silentLogger, shipped);
      const record: LeagueRecord = await eventually(
        () => records.forLeague("D1").catch((error: AppError) => (error.code === "record_not_ready" ? undefined : Promise.reject(error))),
        110_000,
        200,
      );

      const bySeason = new Map(record.seasons.map((row) => [row.season, row]));
      assert.deepEqual([...bySeason.keys()], ["2021-2022", "2022-2023", "2023-2024"]);
      assert.equal(record.closingOdds, true);
      assert.deepEqual(bySeason.get("2021-2022")?.closingOddsSource, null);
      assert.equal(bySeason.get("2021-2022")?.rps.closingOdds, null);
      const figure = shipped.find((row) => row.league === "D1" && row.season === "2022-2023");
      assert.equal(bySeason.get("2022-2023")?.closingOddsSource, "shipped");
      assert.equal(bySeason.get("2022-2023")?.rps.closingOdds, figure?.rps);
      assert.equal(bySeason.get("2023-2024")?.closingOddsSource, "stored");
      const answered = bySeason.get("2023-2024")?.rps.closingOdds ?? Number.NaN;
      assert.ok(Math.abs(answered - expected) < 1e-12, `${answered} vs ${expected}`);
      assert.notEqual(answered.toFixed(4), loadShippedClosingLine().find((row) => row.league === "D1" && row.season === "2023-2024")?.rps.toFixed(4));
    });
  });
});
