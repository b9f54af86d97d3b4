import assert from "node:assert/strict";
import { loadHistoricalResults, type HistoricalMatch } from "../../service/src/data/historicalResults";
import { DIXON_COLES, fitDixonColes, goalsOnly, predictMatch } from "../../service/src/domain/dixonColes";
import { fitRatings } from "../../service/src/domain/ratings";
import { DEFAULT_SHOTS_TUNING, DIXON_COLES_SHOTS, fitShotsModel } from "../../service/src/domain/shotsModel";
import type { MatchResult } from "../../service/src/domain/types";

const near = (actual: number, expected: number, tolerance: number, what = "value"): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);

const withoutShots = (match: MatchResult): MatchResult => ({ ...match, shots: null, shotsOnTarget: null });

describe("shot-blended model", () => {
  let season: HistoricalMatch[];
  const asOf = "2024-06-01";
  before(() => {
    season = loadHistoricalResults().filter((match) => match.league === "E0" && match.season === "2023-2024");
  });

  it("fits shot counts without low-score dependence: hand-computed means, rho held at 0", () => {
    // A and B each play 1-0 and 1-1 at home on the same day: every home side averages 1 and every away side
    // 0.5, and by symmetry both teams rate 0. So intercept = ln 0.5 and home advantage = ln 2 exactly; a
    // Dixon-Coles fit of the same scores would bend them through rho.
    const counts = [
      { date: "2024-01-01", homeTeam: "A", awayTeam: "B", home: 1, away: 0 },
      { date: "2024-01-01", homeTeam: "B", awayTeam: "A", home: 1, away: 0 },
      { date: "2024-01-01", homeTeam: "A", awayTeam: "B", home: 1, away: 1 },
      { date: "2024-01-01", homeTeam: "B", awayTeam: "A", home: 1, away: 1 },
    ];
    const tuning = { ...DEFAULT_SHOTS_TUNING.shots, gradientTolerance: 1e-10 };
    const { ratings, converged } = fitRatings(counts, "2024-01-02", tuning, false);
    assert.equal(converged, true);
    assert.equal(ratings.rho, 0);
    near(ratings.intercept, Math.log(0.5), 1e-8, "intercept");
    near(ratings.homeAdvantage, Math.LN2, 1e-8, "home advantage");
    for (const rating of Object.values(ratings.teams)) near(rating.attack, 0, 1e-8, "attack");
  });

  it("blends each team's attack and defence from its goal, on-target and shot ratings", () => {
    const { parameters } = fitShotsModel("E0", season, { asOf });
    assert.equal(parameters.model, DIXON_COLES_SHOTS);
    const parts = parameters.shots;
    assert.ok(parts, "the parts are stored with the blend");
    const weights = DEFAULT_SHOTS_TUNING.weights;
    for (const [team, rating] of Object.entries(parameters.teams)) {
      assert.equal(parts.coverage[team], 1, `${team}: every match has shots`);
      for (const side of ["attack", "defence"] as const) {
        const expected =
          weights.goals * parts.goals.teams[team][side] +
          weights.shotsOnTarget * parts.shotsOnTarget.teams[team][side] +
          weights.shots * parts.shots.teams[team][side];
        near(rating[side], expected, 1e-12, `${team} ${side}`);
      }
    }
    assert.deepEqual(
      [parameters.intercept, parameters.homeAdvantage, parameters.rho],
      [parts.goals.intercept, parts.goals.homeAdvantage, parts.goals.rho],
    );
  });

  it("keeps the goals model inside it: goalsOnly gives exactly the Dixon-Coles fit", () => {
    const blended = fitShotsModel("E0", season, { asOf }).parameters;
    assert.deepEqual(goalsOnly(blended), fitDixonColes("E0", season, { asOf }).parameters);
  });

  it("is the goals model, named as such, for a league without shot data", () => {
    const bare = season.map(withoutShots);
    const blended = fitShotsModel("E0", bare, { asOf });
    const goals = fitDixonColes("E0", bare, { asOf });
    assert.equal(blended.parameters.model, DIXON_COLES);
    assert.deepEqual(blended.parameters, goals.parameters);
  });

  it("falls back to the goals ratings as a season without shot data goes on", () => {
    const twoSeasons = loadHistoricalResults().filter(
      (match) => match.league === "E0" && (match.season === "2022-2023" || match.season === "2023-2024"),
    );
    // The newer season's results came from a source without shots; the older season's shots are a year old.
    const whole = twoSeasons.map((match) => (match.season === "2023-2024" ? withoutShots(match) : match));
    const late = fitShotsModel("E0", whole, { asOf }).parameters;
    assert.equal(late.model, DIXON_COLES_SHOTS, "some shot data is still within reach");
    // Leeds, Leicester and Southampton went down in 2023: all their matches have shots, so theirs still count.
    const current = new Set(season.map((match) => match.homeTeam));
    for (const [team, rating] of Object.entries(late.teams).filter(([name]) => current.has(name))) {
      const goal = late.shots?.goals.teams[team];
      assert.ok((late.shots?.coverage[team] ?? 0) < 1e-3, `${team} coverage ${late.shots?.coverage[team]}`);
      near(rating.attack, goal?.attack ?? Number.NaN, 1e-3, `${team} attack`);
      near(rating.defence, goal?.defence ?? Number.NaN, 1e-3, `${team} defence`);
    }

    // Five matches into a season without shots the coverage is partial, and the blend is that share of the
    // way from the goal rating to the full blend.
    const early = whole.filter((match) => match.date < "2023-09-20");
    const partial = fitShotsModel("E0", early, { asOf: "2023-09-20" }).parameters;
    const parts = partial.shots;
    const coverage = parts?.coverage.Arsenal ?? Number.NaN;
    assert.ok(coverage > 0.05 && coverage < 0.95, `Arsenal coverage ${coverage}`);
    const { goals, shotsOnTarget, shots } = DEFAULT_SHOTS_TUNING.weights;
    const goal = parts?.goals.teams.Arsenal.attack ?? Number.NaN;
    const full =
      goals * goal +
      shotsOnTarget * (parts?.shotsOnTarget.teams.Arsenal.attack ?? Number.NaN) +
      shots * (parts?.shots.teams.Arsenal.attack ?? Number.NaN);
    near(partial.teams.Arsenal.attack, goal + coverage * (full - goal), 1e-12, "Arsenal attack");
  });

  it("learns from shots: a side that shoots twice as often lately gets a stronger attack, the same goal rating", () => {
    const lutonLately = (match: HistoricalMatch) =>
      match.date >= "2024-04-01" && (match.homeTeam === "Luton" || match.awayTeam === "Luton");
    const doubled = season.map((match) => {
      if (!lutonLately(match) || !match.shots || !match.shotsOnTarget) return match;
      const home = match.homeTeam === "Luton" ? 2 : 1;
      const away = match.awayTeam === "Luton" ? 2 : 1;
      return {
        ...match,
        shots: { home: match.shots.home * home, away: match.shots.away * away },
        shotsOnTarget: { home: match.shotsOnTarget.home * home, away: match.shotsOnTarget.away * away },
      };
    });
    const before = fitShotsModel("E0", season, { asOf }).parameters;
    const after = fitShotsModel("E0", doubled, { asOf }).parameters;
    assert.deepEqual(after.shots?.goals, before.shots?.goals);
    assert.ok(after.teams.Luton.attack > before.teams.Luton.attack + 0.1, `${after.teams.Luton.attack}`);
    const probability = (parameters: typeof before) => predictMatch(parameters, "Luton", "Everton").homeWin;
    assert.ok(probability(after) > probability(before), "Luton's chances rise with its shots");
  });

  it("rates a side named like an Object property that the shot models have not seen by its goals", () => {
    // Norwich's last matches (May 2022) lie beyond the shot models' horizon, so only the goals model rates it.
    const name: string = "constructor";
    const rename = (team: string) => (team === "Norwich" ? name : team);
    const matches = loadHistoricalResults()
      .filter((match) => match.league === "E0" && (match.season === "2021-2022" || match.season === "2023-2024"))
      .map((match) => ({ ...match, homeTeam: rename(match.homeTeam), awayTeam: rename(match.awayTeam) }));
    const { teams, shots } = fitShotsModel("E0", matches, { asOf }).parameters;
    assert.ok(Number.isFinite(teams[name].attack) && Number.isFinite(teams[name].defence), JSON.stringify(teams[name]));
    assert.deepEqual(teams[name], shots?.goals.teams[name]);
  });

  it("is deterministic, reaches the same optimum from a warm start, and rates an unseen side as the newcomer", () => {
    const first = fitShotsModel("E0", season, { asOf });
    const second = fitShotsModel("E0", season, { asOf });
    assert.deepEqual(second.parameters, first.parameters);
    assert.deepEqual({ ...second.metrics, durationMs: 0 }, { ...first.metrics, durationMs: 0 });

    const earlier = fitShotsModel("E0", season.slice(0, 200), { asOf: season[200].date });
    const warm = fitShotsModel("E0", season, { asOf }, earlier.parameters);
    for (const [team, rating] of Object.entries(first.parameters.teams)) {
      near(warm.parameters.teams[team].attack, rating.attack, 1e-5, `${team} attack`);
      near(warm.parameters.teams[team].defence, rating.defence, 1e-5, `${team} defence`);
    }

    const unseen = predictMatch(first.parameters, "Newtown", "Arsenal");
    const asNewcomer = predictMatch(
      { ...first.parameters, teams: { ...first.parameters.teams, Newtown: { ...first.parameters.newcomer, weightedMatches: 0 } } },
      "Newtown",
      "Arsenal",
    );
    assert.deepEqual(unseen, asNewcomer);
  });
});
