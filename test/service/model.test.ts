import assert from "node:assert/strict";
import { loadHistoricalResults, type HistoricalMatch } from "../../service/src/data/historicalResults";
import { DEFAULT_TUNING, fitDixonColes, predictMatch } from "../../service/src/domain/dixonColes";
import { MAX_GOALS, predictFromRates, scoreGrid } from "../../service/src/domain/scorelines";
import type { DixonColesParameters, MatchPrediction, MatchResult } from "../../service/src/domain/types";

const near = (actual: number, expected: number, tolerance: number, what = "value"): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);

/** Two average teams; intercept and home advantage set the Poisson means directly. */
function twoTeams(intercept: number, homeAdvantage: number, rho: number): DixonColesParameters {
  return {
    intercept,
    homeAdvantage,
    rho,
    xi: 0,
    teams: { A: { attack: 0, defence: 0, weightedMatches: 38 }, B: { attack: 0, defence: 0, weightedMatches: 38 } },
    newcomer: { attack: -0.3, defence: -0.2 },
  };
}

function assertCoherent(prediction: MatchPrediction): void {
  near(prediction.homeWin + prediction.draw + prediction.awayWin, 1, 1e-12, "home + draw + away");
  near(prediction.over25 + prediction.under25, 1, 1e-12, "over + under");
  for (const p of [prediction.homeWin, prediction.draw, prediction.awayWin, prediction.bothTeamsToScore]) {
    assert.ok(p > 0 && p < 1, `probability ${p} outside (0, 1)`);
  }
  assert.equal(prediction.likelyScores.length, 5);
  for (let r = 1; r < prediction.likelyScores.length; r++) {
    assert.ok(prediction.likelyScores[r - 1].probability >= prediction.likelyScores[r].probability, "scores sorted");
  }
}

describe("Dixon-Coles model", () => {
  let e0: HistoricalMatch[];
  before(() => {
    e0 = loadHistoricalResults().filter((match) => match.league === "E0");
  });

  describe("predictions", () => {
    it("matches hand-computed probabilities for two Poisson(1) sides without dependence", () => {
      // P(draw) = sum_k (e^-1 / k!)^2 = e^-2 * I0(2) = 0.1353352832 * 2.2795853023 = 0.3085083226;
      // by symmetry home = away = (1 - 0.3085083226) / 2 = 0.3457458387. The cut-off at 10 goals moves
      // these by about P(Poisson(1) > 10) = 1e-8.
      const prediction = predictMatch(twoTeams(0, 0, 0), "A", "B");
      near(prediction.draw, 0.3085083226, 1e-7, "draw");
      near(prediction.homeWin, 0.3457458387, 1e-7, "home");
      near(prediction.awayWin, 0.3457458387, 1e-7, "away");
      assert.deepEqual(prediction.expectedGoals, { home: 1, away: 1 });
      assertCoherent(prediction);
    });

    it("applies the low-score factor tau by hand: rho = -0.1 moves 2 x 0.1 e^-2 onto the draws", () => {
      // lambda = mu = 1: tau(0,0) = 1 - lambda mu rho = 1.1, tau(1,1) = 1 - rho = 1.1, tau(1,0) = 1 + mu rho = 0.9,
      // tau(0,1) = 1 + lambda rho = 0.9, and each of those four cells has Poisson mass e^-2. So 0-0 and 1-1 gain
      // 0.1 e^-2 each and 1-0 and 0-1 lose as much: draw = 0.3085083226 + 0.2 e^-2 = 0.3355753792,
      // home = away = (1 - 0.3355753792) / 2 = 0.3322123104.
      const prediction = predictMatch(twoTeams(0, 0, -0.1), "A", "B");
      near(prediction.draw, 0.3355753792, 1e-7, "draw");
      near(prediction.homeWin, 0.3322123104, 1e-7, "home");
      near(prediction.awayWin, 0.3322123104, 1e-7, "away");
      assertCoherent(prediction);
    });

    it("matches hand-computed goal markets for lambda = 2, mu = 1", () => {
      // Total goals ~ Poisson(3): P(under 2.5) = e^-3 (1 + 3 + 9/2) = 8.5 e^-3 = 0.4231900811.
      // Both score: (1 - e^-2)(1 - e^-1) = 0.8646647168 * 0.6321205588 = 0.5465723440.
      // P(i, j) = e^-3 2^i / i! / j!: 1-0, 1-1, 2-0 and 2-1 tie at 2 e^-3 = 0.0995741367, then 3-0 at
      // (4/3) e^-3 = 0.0663827578. Truncation at 10 goals moves these by about P(Poisson(2) > 10) = 8e-6.
      const prediction = predictMatch(twoTeams(0, Math.log(2), 0), "A", "B");
      near(prediction.under25, 0.4231900811, 1e-4, "under 2.5");
      near(prediction.over25, 0.5768099189, 1e-4, "over 2.5");
      near(prediction.bothTeamsToScore, 0.546572344, 1e-4, "both teams to score");
      near(prediction.expectedGoals.home, 2, 1e-12, "expected home goals");
      const top = prediction.likelyScores.map((score) => `${score.homeGoals}-${score.awayGoals}`);
      assert.deepEqual(top, ["1-0", "1-1", "2-0", "2-1", "3-0"]);
      near(prediction.likelyScores[0].probability, 0.0995741367, 1e-5, "1-0");
      near(prediction.likelyScores[4].probability, 0.0663827578, 1e-5, "3-0");
      assertCoherent(prediction);
    });

    it("keeps every market coherent across a wide range of scoring rates and dependence", () => {
      for (const lambda of [0.2, 0.8, 1.5, 3, 5]) {
        for (const mu of [0.2, 1, 2.5, 4]) {
          for (const rho of [-0.2, -0.05, 0, 0.1]) assertCoherent(predictFromRates(lambda, mu, rho));
        }
      }
    });

    it("draws the score grid from the same distribution as the markets", () => {
      for (const [lambda, mu, rho] of [[1.5, 1.1, -0.05], [0.3, 3, 0.1], [4, 0.2, -0.2]]) {
        const full = scoreGrid(lambda, mu, rho, MAX_GOALS);
        const prediction = predictFromRates(lambda, mu, rho);
        const cells = full.flatMap((row, home) => row.map((probability, away) => ({ home, away, probability })));
        const total = (keep: (cell: { home: number; away: number }) => boolean) =>
          cells.filter(keep).reduce((sum, cell) => sum + cell.probability, 0);
        near(total(() => true), 1, 1e-12, "the full grid");
        near(total((cell) => cell.home > cell.away), prediction.homeWin, 1e-12, "home wins");
        near(total((cell) => cell.home === cell.away), prediction.draw, 1e-12, "draws");
        const [likeliest] = prediction.likelyScores;
        near(full[likeliest.homeGoals][likeliest.awayGoals], likeliest.probability, 1e-12, "the likeliest score");
        const shown = scoreGrid(lambda, mu, rho, 6);
        assert.equal(shown.length, 7);
        assert.deepEqual(shown, full.slice(0, 7).map((row) => row.slice(0, 7)), "a smaller grid is the corner of the full one");
      }
    });

    it("rates a team the model has never seen as params.newcomer", () => {
      const params = twoTeams(0.1, 0.3, -0.05);
      const unseen = predictMatch(params, "Newtown", "B");
      const asNewcomer = predictMatch(
        { ...params, teams: { ...params.teams, Newtown: { ...params.newcomer, weightedMatches: 0 } } },
        "Newtown",
        "B",
      );
      assert.deepEqual(unseen, asNewcomer);
      assert.ok(unseen.homeWin < predictMatch(params, "A", "B").homeWin, "a newcomer is weaker than an average side");
    });
  });

  describe("fitting", () => {
    const match = (date: string, homeTeam: string, awayTeam: string, homeGoals: number, awayGoals: number): MatchResult => ({
      date,
      homeTeam,
      awayTeam,
      homeGoals,
      awayGoals,
    });

    it("recovers the hand-computed maximum of a symmetric, time-weighted case", () => {
      // A and B each win 2-1 at home on day 0 and 4-1 at home on day 100. By symmetry both teams rate the
      // same (attacks and defences 0 after centring), so every away side scores at the weighted mean rate 1
      // (intercept 0) and every home side at the weighted mean of 2 and 4: with a decay of ln 2 / 100 per day
      // (for the league-wide parameters and the ratings alike) the old pair weighs 1/2, so
      // exp(home advantage) = (2 * 0.5 + 4 * 1) / 1.5 = 10/3. No score is 0 or 1 for both sides, so rho has no
      // information and stays at its start, 0.
      const matches = [
        match("2024-01-01", "A", "B", 2, 1),
        match("2024-01-01", "B", "A", 2, 1),
        match("2024-04-10", "A", "B", 4, 1),
        match("2024-04-10", "B", "A", 4, 1),
      ];
      const decay = Math.LN2 / 100;
      const fit = fitDixonColes("T", matches, { asOf: "2024-04-10", xi: decay, leagueXi: decay, gradientTolerance: 1e-10 });
      const { parameters } = fit;
      near(parameters.intercept, 0, 1e-8, "intercept");
      near(parameters.homeAdvantage, Math.log(10 / 3), 1e-8, "home advantage");
      near(parameters.rho, 0, 1e-12, "rho");
      for (const rating of Object.values(parameters.teams)) {
        near(rating.attack, 0, 1e-8, "attack");
        near(rating.defence, 0, 1e-8, "defence");
      }
      near(parameters.teams.A.weightedMatches, 3, 1e-12, "weighted matches (2 x 1 + 2 x 0.5)");
      assert.equal(fit.metrics.converged, true);
      assert.deepEqual([fit.dataFrom, fit.dataTo, fit.asOf], ["2024-01-01", "2024-04-10", "2024-04-10"]);
    });

    it("is deterministic: the same input gives bit-identical parameters", () => {
      const matches = e0.filter((m) => m.season >= "2021-2022" && m.season <= "2023-2024");
      const first = fitDixonColes("E0", matches, { asOf: "2024-06-01" });
      const second = fitDixonColes("E0", matches, { asOf: "2024-06-01" });
      assert.deepEqual(second.parameters, first.parameters);
      assert.deepEqual({ ...second.metrics, durationMs: 0 }, { ...first.metrics, durationMs: 0 });
      assert.equal(Object.keys(first.parameters.teams).join(), Object.keys(first.parameters.teams).sort().join());
    });

    it("does not depend on the order of the matches", () => {
      // Seasons with relegations and promotions, so each team's latest stint has to be found from the dates.
      const matches = e0.filter((m) => m.season >= "2021-2022" && m.season <= "2023-2024");
      const inOrder = fitDixonColes("E0", matches, { asOf: "2024-06-01" }).parameters;
      const reversed = fitDixonColes("E0", [...matches].reverse(), { asOf: "2024-06-01" }).parameters;
      near(reversed.homeAdvantage, inOrder.homeAdvantage, 1e-9, "home advantage");
      for (const [team, rating] of Object.entries(inOrder.teams)) {
        near(reversed.teams[team].attack, rating.attack, 1e-9, `${team} attack`);
        near(reversed.teams[team].defence, rating.defence, 1e-9, `${team} defence`);
      }
    });

    it("reaches the same optimum from a warm start", () => {
      const matches = e0.filter((m) => m.season >= "2021-2022" && m.season <= "2023-2024");
      const earlier = fitDixonColes("E0", matches.slice(0, 700), { asOf: matches[700].date });
      const cold = fitDixonColes("E0", matches, { asOf: "2024-06-01" });
      const warm = fitDixonColes("E0", matches, { asOf: "2024-06-01" }, earlier.parameters);
      near(warm.parameters.homeAdvantage, cold.parameters.homeAdvantage, 1e-5, "home advantage");
      for (const [team, rating] of Object.entries(cold.parameters.teams)) {
        near(warm.parameters.teams[team].attack, rating.attack, 1e-5, `${team} attack`);
      }
    });

    it("fits real data to sensible values", () => {
      const matches = e0.filter((m) => m.season === "2022-2023" || m.season === "2023-2024");
      const { parameters, metrics } = fitDixonColes("E0", matches, { asOf: "2024-06-01" });
      assert.equal(metrics.converged, true);
      assert.equal(metrics.matches, 760);
      assert.ok(parameters.homeAdvantage > 0.05 && parameters.homeAdvantage < 0.5, "home advantage");
      assert.ok(Math.abs(parameters.rho) < 0.3, "rho");
      const city = predictMatch(parameters, "Man City", "Sheffield United");
      assert.ok(city.homeWin > 0.7, `Man City at home to Sheffield United: ${city.homeWin}`);
      assertCoherent(city);
    });

    it("gives a side with one freak result a rating near the newcomer prior, not a wild one", () => {
      const matches = [
        ...e0.filter((m) => m.season === "2023-2024"),
        match("2024-06-01", "Newtown", "Man City", 6, 0),
      ];
      const { parameters } = fitDixonColes("E0", matches, { asOf: "2024-06-02" });
      const newtown = parameters.teams.Newtown;
      assert.ok(newtown.weightedMatches < 1.01, "one match of weight about 1");
      assert.ok(newtown.attack < parameters.teams["Man City"].attack, "not rated above the champions' attack");
      assert.ok(Math.abs(newtown.attack - DEFAULT_TUNING.newcomerAttack) < 0.5, `attack ${newtown.attack}`);
    });

    it("rejects matches after asOf and an empty fit", () => {
      assert.throws(() => fitDixonColes("T", [match("2024-02-01", "A", "B", 1, 0)], { asOf: "2024-01-31" }), /after asOf/);
      assert.throws(() => fitDixonColes("T", [], { asOf: "2024-01-31" }), /no matches/);
    });
  });
});
