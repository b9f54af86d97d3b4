import assert from "node:assert/strict";
import { predictMatch } from "../../service/src/domain/dixonColes";
import { scoreGrid } from "../../service/src/domain/scorelines";
import { PairingForecasts, forecastJson, matchAnswerJson, summariseModel } from "../../service/src/predictions/answers";
import type { Match } from "../../service/src/storage/repositories/matches";
import type { ModelVersion } from "../../service/src/storage/repositories/modelVersions";

const model = (version: number): ModelVersion => ({
  version,
  league: "E0",
  fittedAt: new Date("2026-12-01T03:00:00Z"),
  dataFrom: "2009-08-15",
  dataTo: "2026-11-30",
  asOf: "2026-12-01",
  parameters: {
    intercept: 0.1,
    homeAdvantage: 0.25,
    rho: -0.07,
    xi: 0.003,
    teams: {
      "Man United": { attack: 0.3, defence: -0.1, weightedMatches: 38 },
      'Brighton "Seagulls"': { attack: -0.1, defence: 0.05, weightedMatches: 38 },
    },
    newcomer: { attack: -0.3, defence: -0.2 },
  },
  metrics: { matches: 380, logLikelihood: -1000, iterations: 20, converged: true, durationMs: 8 },
});

const match = (status: Match["status"], date: string): Match => ({
  id: 42,
  league: "E0",
  season: "2026-2027",
  date,
  kickoff: status === "scheduled" ? `${date}T15:00:00.000Z` : null,
  matchday: 15,
  homeTeam: { id: 1, name: "Man United" },
  awayTeam: { id: 2, name: 'Brighton "Seagulls"' },
  status,
  score: status === "played" ? { home: 2, away: 1 } : null,
  shots: null,
  shotsOnTarget: null,
});

describe("prediction answers as JSON", () => {
  it("assembles exactly the JSON of the answer's object, members in order, names needing escapes included", () => {
    // Two models in turn, each asked twice: a model's summary is made once per model object, never another's.
    const [first, refitted] = [model(7), model(8)];
    const cases = [first, refitted, first, refitted].flatMap((version) =>
      [match("played", "2026-11-29"), match("played", "2026-12-05"), match("scheduled", "2026-12-12")].map(
        (stored) => ({ version, stored }),
      ),
    );
    for (const { version, stored } of cases) {
      const prediction = predictMatch(version.parameters, stored.homeTeam.name, stored.awayTeam.name);
      const expected = {
        match: stored,
        model: summariseModel(version),
        inSample: stored.status === "played" && stored.date <= version.dataTo,
        prediction,
        scoreGrid: scoreGrid(prediction.expectedGoals.home, prediction.expectedGoals.away, version.parameters.rho, 6),
      };
      assert.equal(matchAnswerJson(stored, version, forecastJson(version, prediction)), JSON.stringify(expected));
    }
  });

  it("makes a pairing's forecast once per model, the same JSON as computing it", () => {
    const forecasts = new PairingForecasts();
    const [first, refitted] = [model(7), model(8)];
    const json = forecasts.get(first, "Man United", 'Brighton "Seagulls"');
    assert.equal(json, forecastJson(first, predictMatch(first.parameters, "Man United", 'Brighton "Seagulls"')));
    assert.equal(forecasts.get(first, "Man United", 'Brighton "Seagulls"'), json);
    assert.notEqual(forecasts.get(first, 'Brighton "Seagulls"', "Man United"), json, "the reverse fixture is another pairing");
    refitted.parameters = { ...refitted.parameters, homeAdvantage: 0.4 };
    assert.notEqual(forecasts.get(refitted, "Man United", 'Brighton "Seagulls"'), json, "another model, another forecast");
  });
});
