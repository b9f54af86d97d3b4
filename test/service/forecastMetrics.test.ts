import assert from "node:assert/strict";
import {
  brierScore,
  logLoss,
  meanScores,
  naiveBaseline,
  outcomeOf,
  rankedProbabilityScore,
  type OutcomeProbabilities,
} from "../../service/src/domain/metrics";

const forecast = (homeWin: number, draw: number, awayWin: number): OutcomeProbabilities => ({ homeWin, draw, awayWin });
const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} != ${expected}`);

describe("forecast metrics", () => {
  describe("rankedProbabilityScore", () => {
    // RPS = ((p_H - e_H)^2 + (p_H + p_D - e_H - e_D)^2) / 2 with outcome order home, draw, away.
    it("matches hand-computed values for a home win (Constantinou & Fenton 2012, example forecasts)", () => {
      close(rankedProbabilityScore(forecast(1, 0, 0), "home"), 0);
      // ((0.9 - 1)^2 + (1.0 - 1)^2) / 2 = 0.01 / 2
      close(rankedProbabilityScore(forecast(0.9, 0.1, 0), "home"), 0.005);
      // ((0.8 - 1)^2 + (0.9 - 1)^2) / 2 = (0.04 + 0.01) / 2
      close(rankedProbabilityScore(forecast(0.8, 0.1, 0.1), "home"), 0.025);
      // ((0.5 - 1)^2 + (0.75 - 1)^2) / 2 = (0.25 + 0.0625) / 2
      close(rankedProbabilityScore(forecast(0.5, 0.25, 0.25), "home"), 0.15625);
      // ((0.35 - 1)^2 + (0.65 - 1)^2) / 2 = (0.4225 + 0.1225) / 2
      close(rankedProbabilityScore(forecast(0.35, 0.3, 0.35), "home"), 0.2725);
    });

    it("rewards probability placed on the neighbouring outcome (the point of a ranked score)", () => {
      // Same home probability; the draw is "closer" to a home win than an away win is.
      // ((0.6 - 1)^2 + (0.9 - 1)^2) / 2 = 0.085 and ((0.6 - 1)^2 + (0.7 - 1)^2) / 2 = 0.125
      close(rankedProbabilityScore(forecast(0.6, 0.3, 0.1), "home"), 0.085);
      close(rankedProbabilityScore(forecast(0.6, 0.1, 0.3), "home"), 0.125);
    });

    it("scores the uniform forecast 5/18 for home or away and 1/9 for a draw", () => {
      const uniform = forecast(1 / 3, 1 / 3, 1 / 3);
      // home: ((1/3 - 1)^2 + (2/3 - 1)^2) / 2 = (4/9 + 1/9) / 2; draw: ((1/3)^2 + (2/3 - 1)^2) / 2 = (2/9) / 2
      close(rankedProbabilityScore(uniform, "home"), 5 / 18);
      close(rankedProbabilityScore(uniform, "draw"), 1 / 9);
      close(rankedProbabilityScore(uniform, "away"), 5 / 18);
    });
  });

  describe("logLoss", () => {
    it("is ln 3 for the uniform forecast whatever happens", () => {
      for (const outcome of ["home", "draw", "away"] as const) close(logLoss(forecast(1 / 3, 1 / 3, 1 / 3), outcome), Math.log(3));
    });

    it("is minus the log of the probability of the observed outcome", () => {
      close(logLoss(forecast(0.5, 0.25, 0.25), "home"), Math.log(2));
      close(logLoss(forecast(0.5, 0.25, 0.25), "away"), Math.log(4));
    });
  });

  describe("brierScore", () => {
    it("sums the squared errors over the three outcomes", () => {
      // (2/3)^2 + (1/3)^2 + (1/3)^2 = 6/9
      close(brierScore(forecast(1 / 3, 1 / 3, 1 / 3), "draw"), 2 / 3);
      // (0.5 - 1)^2 + 0.25^2 + 0.25^2 = 0.25 + 0.0625 + 0.0625
      close(brierScore(forecast(0.5, 0.25, 0.25), "home"), 0.375);
      close(brierScore(forecast(0, 0, 1), "away"), 0);
    });
  });

  describe("naiveBaseline", () => {
    it("is the observed home/draw/away frequency", () => {
      const results = [
        { homeGoals: 2, awayGoals: 1 },
        { homeGoals: 0, awayGoals: 0 },
        { homeGoals: 1, awayGoals: 3 },
        { homeGoals: 3, awayGoals: 0 },
      ];
      assert.deepEqual(naiveBaseline(results), forecast(0.5, 0.25, 0.25));
    });

    it("is uniform without history", () => {
      assert.deepEqual(naiveBaseline([]), forecast(1 / 3, 1 / 3, 1 / 3));
    });
  });

  it("outcomeOf classifies results", () => {
    assert.equal(outcomeOf({ homeGoals: 2, awayGoals: 1 }), "home");
    assert.equal(outcomeOf({ homeGoals: 1, awayGoals: 1 }), "draw");
    assert.equal(outcomeOf({ homeGoals: 0, awayGoals: 1 }), "away");
  });

  it("meanScores averages each score over the forecasts", () => {
    const scores = meanScores([
      { forecast: forecast(1, 0, 0), outcome: "home" },
      { forecast: forecast(0.5, 0.25, 0.25), outcome: "home" },
    ]);
    assert.equal(scores.matches, 2);
    close(scores.rps, 0.15625 / 2);
    close(scores.logLoss, Math.log(2) / 2);
    close(scores.brier, 0.375 / 2);
  });
});
