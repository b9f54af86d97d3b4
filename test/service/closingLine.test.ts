import assert from "node:assert/strict";
import { pooledClosingLine, seasonClosingLine } from "../../service/src/backtest/closingLine";
import { formatShippedClosingLine, loadShippedClosingLine, parseShippedClosingLine } from "../../service/src/data/closingLine";
import { loadHistoricalResults } from "../../service/src/data/historicalResults";

const HEADER = "league,season,matches_priced,matches,rps,log_loss,method,source";

describe("shipped closing-line figures", () => {
  const shipped = loadShippedClosingLine();

  /** Pooled RPS over a league's seasons from..to, weighted by the matches each season priced. */
  const pooled = (league: string, from: string, to: string) => {
    const seasons = shipped.filter((row) => row.league === league && row.season >= from && row.season <= to);
    return {
      seasons: seasons.length,
      ...pooledClosingLine(seasons.map((row) => ({ matches: row.matchesPriced, rps: row.rps, logLoss: row.logLoss, origin: "shipped" as const }))),
    };
  };

  it("reproduces the published pooled closing-line RPS of EPL, Bundesliga and La Liga", () => {
    const epl = pooled("E0", "2014-2015", "2024-2025");
    assert.equal(epl.seasons, 11);
    assert.equal(epl.matches, 4_180);
    assert.ok(Math.abs(epl.rps! - 0.1936) <= 0.0001, `EPL ${epl.rps}`);
    const bundesliga = pooled("D1", "2016-2017", "2023-2024");
    assert.equal(bundesliga.seasons, 8);
    assert.equal(bundesliga.matches, 2_447, "one match lacks Pinnacle's closing prices");
    assert.ok(Math.abs(bundesliga.rps! - 0.1992) <= 0.0001, `D1 ${bundesliga.rps}`);
    const laLiga = pooled("SP1", "2016-2017", "2023-2024");
    assert.equal(laLiga.seasons, 8);
    assert.equal(laLiga.matches, 3_039, "one match lacks Pinnacle's closing prices");
    assert.ok(Math.abs(laLiga.rps! - 0.1916) <= 0.0001, `SP1 ${laLiga.rps}`);
  });

  it("covers seasons of the shipped results, counting their matches, and says whose prices", () => {
    const results = loadHistoricalResults();
    for (const row of shipped) {
      const matches = results.filter((match) => match.league === row.league && match.season === row.season).length;
      assert.equal(row.matches, matches, `${row.league} ${row.season}`);
      assert.ok(row.rps > 0.15 && row.rps < 0.25 && row.logLoss > 0.8 && row.logLoss < 1.2, `${row.league} ${row.season}`);
    }
    // Pinnacle's closing prices stop partway through EPL 2025-26; the market average's fill in.
    assert.deepEqual(
      shipped.filter((row) => row.source !== "pinnacle-closing").map((row) => `${row.league} ${row.season} ${row.source}`),
      ["E0 2025-2026 pinnacle-closing+market-average-closing"],
    );
    // No closing prices were published before Pinnacle's (EPL 2012-13 here).
    assert.equal(shipped.filter((row) => row.league === "E0").length, 14);
    assert.equal(formatShippedClosingLine(parseShippedClosingLine(formatShippedClosingLine(shipped))), formatShippedClosingLine(shipped));
  });

  it("names the file and line of a malformed row", () => {
    const text = (row: string) => `${HEADER}\nE0,2014-2015,380,380,0.197,0.99,proportional,pinnacle-closing\n${row}\n`;
    assert.throws(() => parseShippedClosingLine("league,season\n", "x.csv"), /^Error: x\.csv line 1: expected header/);
    assert.throws(() => parseShippedClosingLine(text("E0,2015-2016,381,380,0.2,1.0,proportional,pinnacle-closing"), "x.csv"), /^Error: x\.csv line 3: matches_priced 381 is not between 1 and matches 380$/);
    assert.throws(() => parseShippedClosingLine(text("E0,2014-2015,380,380,0.2,1.0,proportional,pinnacle-closing"), "x.csv"), /x\.csv line 3: E0 2014-2015 appears twice/);
    assert.throws(() => parseShippedClosingLine(text("E0,2015-2016,380,380,0.2,1.0,shin,pinnacle-closing"), "x.csv"), /x\.csv line 3: method "shin" is not proportional/);
    assert.throws(() => parseShippedClosingLine(text("E0,2015-2016,380,380,low,1.0,proportional,pinnacle-closing"), "x.csv"), /x\.csv line 3: rps "low" is not a positive score/);
    assert.throws(() => parseShippedClosingLine(text("E0,2015-2016,380,380,0.2,1.0,proportional,bet365"), "x.csv"), /x\.csv line 3: source "bet365"/);
  });

  it("prefers the season's stored odds to the shipped figure", () => {
    const outcome = "home" as const;
    const stored = seasonClosingLine("E0", "2014-2015", [{ closingOdds: { homeWin: 0.5, draw: 0.3, awayWin: 0.2 }, outcome }], shipped);
    // Cumulative forecast 0.5, 0.8 against the home win's 1, 1.
    assert.deepEqual({ ...stored, rps: stored?.rps.toFixed(12) }, { matches: 1, rps: "0.145000000000", logLoss: -Math.log(0.5), origin: "stored" });
    const fallback = seasonClosingLine("E0", "2014-2015", [{ closingOdds: null, outcome }], shipped);
    assert.equal(fallback?.origin, "shipped");
    assert.equal(fallback?.rps, shipped.find((row) => row.league === "E0" && row.season === "2014-2015")?.rps);
    assert.equal(seasonClosingLine("E0", "2009-2010", [{ closingOdds: null, outcome }], shipped), null);
  });
});
