import assert from "node:assert/strict";
import { loadHistoricalResults, parseHistoricalResults } from "../../service/src/data/historicalResults";

const HEADER =
  "league,season,date,home_team,away_team,home_goals,away_goals,home_shots,away_shots,home_shots_on_target,away_shots_on_target";

describe("shipped results", () => {
  it("reads shots and shots on target where given, and null where both sides are empty", () => {
    const matches = parseHistoricalResults(
      [HEADER, "E0,2023-2024,2024-04-23,Arsenal,Chelsea,5,0,27,7,10,1", "E0,2023-2024,2024-04-24,Luton,Everton,1,1,,,,"].join("\n"),
    );
    assert.deepEqual(
      matches.map((match) => [match.shots, match.shotsOnTarget]),
      [
        [
          { home: 27, away: 7 },
          { home: 10, away: 1 },
        ],
        [null, null],
      ],
    );
  });

  it("names the file, line and column of a half-known or malformed shot count", () => {
    const row = (shots: string) => [HEADER, `E0,2023-2024,2024-04-23,Arsenal,Chelsea,5,0,${shots}`].join("\n");
    assert.throws(() => parseHistoricalResults(row("27,,10,1"), "x.csv"), /^Error: x\.csv line 2: away_shots "" is not a whole number/);
    assert.throws(() => parseHistoricalResults(row("27,7,ten,1"), "x.csv"), /x\.csv line 2: home_shots_on_target "ten"/);
    assert.throws(
      () => parseHistoricalResults("league,season,date,home_team,away_team,home_goals,away_goals\n", "old.csv"),
      /old\.csv line 1: expected header "league,season,date,home_team,away_team,home_goals,away_goals,home_shots,/,
    );
  });

  it("ships shots for every match", () => {
    const matches = loadHistoricalResults();
    assert.equal(matches.length, 13_320);
    assert.deepEqual(
      matches.filter((match) => match.shots === null || match.shotsOnTarget === null),
      [],
    );
  });
});
