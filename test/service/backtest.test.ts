import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import {
  MODELS,
  MODEL_NAMES,
  runBacktestCli,
  summariseBacktest,
  walkForward,
  type BacktestReport,
  type CliOutput,
  type WalkForwardResult,
} from "../../service/src/backtest";
import { calibrationBins, calibrationSvg } from "../../service/src/backtest/calibration";
import { loadHistoricalResults, type HistoricalMatch } from "../../service/src/data/historicalResults";
import { closingLineProbabilities } from "../../service/src/domain/closingOdds";
import { fitDixonColes, predictMatch } from "../../service/src/domain/dixonColes";
import { naiveBaseline, rankedProbabilityScore } from "../../service/src/domain/metrics";
import { fitShotsModel } from "../../service/src/domain/shotsModel";
import { makeTempDir } from "../support/tempDir";

function capture(): CliOutput & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (text) => stdout.push(text), err: (text) => stderr.push(text) };
}

describe("walk-forward backtest", () => {
  let matches: HistoricalMatch[];
  let run: WalkForwardResult;
  let report: BacktestReport;
  before(() => {
    matches = loadHistoricalResults();
    const options = { league: "E0", fromSeason: "2023-2024", toSeason: "2023-2024" };
    run = walkForward(matches, options);
    report = summariseBacktest(options, run, 0);
  });

  it("scores every match of the span with both models, per season and pooled", () => {
    assert.equal(report.seasons.length, 1);
    assert.equal(report.seasons[0].season, "2023-2024");
    assert.deepEqual(report.models, { goals: "dixon-coles/1", shots: "dixon-coles-shots/1" });
    for (const model of MODELS) {
      assert.equal(report.pooled[model].matches, 380);
      assert.deepEqual(report.seasons[0][model], report.pooled[model]);
    }
    assert.ok(report.refits >= 38, `refitted at least once a match week (${report.refits} fits)`);
    for (const scores of [report.pooled.goals, report.pooled.shots, report.pooled.baseline]) {
      assert.ok(scores.rps > 0 && scores.rps < 0.5 && scores.logLoss > 0 && scores.brier > 0, JSON.stringify(scores));
    }
  });

  it("beats the naive baseline on every score with both models", () => {
    const { baseline } = report.pooled;
    for (const model of MODELS) {
      const scores = report.pooled[model];
      assert.ok(scores.rps < baseline.rps - 0.01, `${model} RPS ${scores.rps} vs ${baseline.rps}`);
      assert.ok(scores.logLoss < baseline.logLoss, `${model} log-loss ${scores.logLoss} vs ${baseline.logLoss}`);
      assert.ok(scores.brier < baseline.brier, `${model} Brier ${scores.brier} vs ${baseline.brier}`);
    }
  });

  it("pairs the models match by match: the RPS difference, its standard error and the seasons won", () => {
    const differences = run.forecasts.map(
      (forecast) =>
        rankedProbabilityScore(forecast.shots, forecast.outcome) - rankedProbabilityScore(forecast.goals, forecast.outcome),
    );
    const mean = differences.reduce((sum, value) => sum + value, 0) / differences.length;
    const { rpsDifference } = report.pooled;
    assert.ok(Math.abs(rpsDifference.mean - (report.pooled.shots.rps - report.pooled.goals.rps)) < 1e-12);
    assert.ok(Math.abs(rpsDifference.mean - mean) < 1e-12);
    const variance = differences.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (differences.length - 1);
    assert.ok(Math.abs(rpsDifference.standardError - Math.sqrt(variance / differences.length)) < 1e-12);
    // The season the tuning never saw on its own: shots help here too (the pooled figures are in the README).
    assert.ok(rpsDifference.mean < 0, `shots minus goals ${rpsDifference.mean}`);
    assert.equal(report.seasonsWon, 1);
  });

  it("uses the previous five seasons' outcome frequencies as the baseline", () => {
    const previous = ["2018-2019", "2019-2020", "2020-2021", "2021-2022", "2022-2023"];
    const expected = naiveBaseline(matches.filter((m) => m.league === "E0" && previous.includes(m.season)));
    assert.deepEqual(run.forecasts[0].baseline, expected);
  });

  it("predicts each match from fits on strictly earlier results", () => {
    const e0 = matches.filter((m) => m.league === "E0");
    const target = run.forecasts[100];
    const earlier = e0.filter((m) => m.date < target.date);
    const goals = fitDixonColes("E0", earlier, { asOf: target.date, gradientTolerance: 1e-7 }).parameters;
    const tolerance = { asOf: target.date, goals: { gradientTolerance: 1e-7 }, shots: { gradientTolerance: 1e-7 } };
    const shots = fitShotsModel("E0", earlier, tolerance).parameters;
    for (const [model, parameters] of [["goals", goals], ["shots", shots]] as const) {
      const independent = predictMatch(parameters, target.homeTeam, target.awayTeam);
      for (const key of ["homeWin", "draw", "awayWin"] as const) {
        const walked = target[model][key];
        assert.ok(Math.abs(walked - independent[key]) < 1e-5, `${model} ${key}: ${walked} vs ${independent[key]}`);
      }
    }
  });

  it("forecasts with goals alone for a league without shot data", () => {
    const withoutShots = matches
      .filter((m) => m.league === "E0" && m.season >= "2021-2022" && m.season <= "2022-2023")
      .map((m) => ({ ...m, shots: null, shotsOnTarget: null }));
    const { forecasts } = walkForward(withoutShots, { league: "E0", fromSeason: "2022-2023", toSeason: "2022-2023" });
    assert.equal(forecasts.length, 380);
    for (const forecast of forecasts) assert.deepEqual(forecast.shots, forecast.goals);
  });

  it("bins the calibration of every outcome over all forecasts, for each model", () => {
    for (const model of MODELS) {
      for (const outcome of ["home", "draw", "away"] as const) {
        const bins = report.calibration[model].filter((bin) => bin.outcome === outcome);
        assert.equal(bins.reduce((sum, bin) => sum + bin.forecasts, 0), 380);
        for (const bin of bins) {
          assert.ok(bin.meanPredicted >= bin.lower && bin.meanPredicted <= bin.upper, JSON.stringify(bin));
          assert.ok(bin.observedFrequency >= 0 && bin.observedFrequency <= 1);
        }
      }
    }
  });

  it("scores the bookmakers' closing line: 1/odds normalised to remove the margin, RPS as computed by hand", () => {
    // 1/2 + 1/3.5 + 1/4 = 1.0357142857: probabilities 0.4827586, 0.2758621, 0.2413793.
    const probabilities = closingLineProbabilities({ home: 2, draw: 3.5, away: 4 });
    assert.ok(Math.abs(probabilities.homeWin - 14 / 29) < 1e-12 && Math.abs(probabilities.draw - 8 / 29) < 1e-12);
    assert.ok(Math.abs(probabilities.awayWin - 7 / 29) < 1e-12);
    const e0 = matches.filter((m) => m.league === "E0" && m.season >= "2021-2022" && m.season <= "2022-2023");
    // A small fixture: the first three matches of 2022-23 with made-up prices, one of them without any.
    const first = e0.findIndex((m) => m.season === "2022-2023");
    const priced: HistoricalMatch[] = e0.map((m, i) => {
      if (i === first) return { ...m, homeGoals: 2, awayGoals: 0, closingOdds: { home: 2, draw: 3.5, away: 4, source: "pinnacle-closing" } };
      if (i === first + 1) return { ...m, homeGoals: 1, awayGoals: 1, closingOdds: { home: 1.5, draw: 4, away: 8, source: "market-average-closing" } };
      if (i === first + 2) return { ...m, homeGoals: 0, awayGoals: 1, closingOdds: null };
      return i > first + 2 ? { ...m, closingOdds: null } : m;
    });
    const options = { league: "E0", fromSeason: "2022-2023", toSeason: "2022-2023" };
    const fixture = summariseBacktest(options, walkForward(priced.slice(0, first + 3), options), 0);
    // Home win at 14/29: ((14/29 - 1)^2 + (22/29 - 1)^2) / 2. Draw at 1/1.5, 1/4, 1/8 over their sum 1.0416667:
    // cumulative 0.64 and 0.88, so ((0.64 - 0)^2 + (0.88 - 1)^2) / 2.
    const home = ((14 / 29 - 1) ** 2 + (22 / 29 - 1) ** 2) / 2;
    const draw = (0.64 ** 2 + (0.88 - 1) ** 2) / 2;
    const closing = fixture.pooled.closingOdds;
    assert.equal(closing?.matches, 2, "the match without odds is left out of the closing line");
    assert.ok(Math.abs((closing?.rps ?? Number.NaN) - (home + draw) / 2) < 1e-12, `${closing?.rps} vs ${(home + draw) / 2}`);
    assert.equal(fixture.pooled.goals.matches, 3);
    assert.deepEqual(fixture.seasons[0].closingOdds, closing);
    const unpriced = summariseBacktest(options, walkForward(priced.map((m) => ({ ...m, closingOdds: null })).slice(0, first + 3), options), 0);
    assert.equal(unpriced.pooled.closingOdds, null);
  });

  it("computes calibration bins by hand and draws them as SVG", () => {
    const bins = calibrationBins(
      [
        { forecast: { homeWin: 0.62, draw: 0.2, awayWin: 0.18 }, outcome: "home" },
        { forecast: { homeWin: 0.68, draw: 0.2, awayWin: 0.12 }, outcome: "draw" },
      ],
      10,
    );
    const home = bins.find((bin) => bin.outcome === "home");
    assert.deepEqual(home && { ...home, meanPredicted: Number(home.meanPredicted.toFixed(12)) }, {
      outcome: "home",
      lower: 0.6,
      upper: 0.7,
      forecasts: 2,
      meanPredicted: 0.65,
      observedFrequency: 0.5,
    });
    const svg = calibrationSvg(bins, "E0 <test> & title");
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<polyline /g) ?? []).length, 3);
    assert.ok(svg.includes("E0 &lt;test&gt; &amp; title"));
  });

  describe("command line", () => {
    let directory: string;
    before(() => {
      directory = makeTempDir("backtest-");
    });
    after(() => rmSync(directory, { recursive: true, force: true }));

    for (const [argv, named] of [
      [["--league", "XX"], "--league XX"],
      [["--from", "2009-2010"], "--from 2009-2010"],
      [["--from", "2014/15"], "--from 2014/15"],
      [["--to", "2030-2031"], "--to 2030-2031"],
      [["--from", "2020-2021", "--to", "2019-2020"], "--to 2019-2020"],
      [["--xi", "fast"], "--xi fast"],
      [["--shots-xi=-1"], "--shots-xi -1"],
      [["--bogus"], "--bogus"],
      [["extra"], "extra"],
    ] as const) {
      it(`exits 2 naming the bad argument for ${argv.join(" ")}`, async () => {
        const output = capture();
        assert.equal(await runBacktestCli([...argv], output), 2);
        assert.ok(output.stderr[0].includes(named), output.stderr[0]);
        assert.deepEqual(output.stdout, []);
      });
    }

    it("prints the usage for --help", async () => {
      const output = capture();
      assert.equal(await runBacktestCli(["--help"], output), 0);
      assert.match(output.stdout[0], /^Usage: backtest /);
    });

    it("prints JSON and writes a calibration plot per model", async () => {
      const output = capture();
      const svgDir = path.join(directory, "plots");
      const argv = ["--league", "E0", "--from", "2023-2024", "--to", "2023-2024", "--json", "--svg-dir", svgDir];
      assert.equal(await runBacktestCli(argv, output), 0, output.stderr.join("\n"));
      const printed = JSON.parse(output.stdout.join("\n"));
      assert.equal(printed.pooled.goals.matches, 380);
      assert.equal(printed.pooled.shots.matches, 380);
      assert.deepEqual(printed.calibrationSvg, {
        goals: path.join(svgDir, "calibration-E0-goals.svg"),
        shots: path.join(svgDir, "calibration-E0-shots.svg"),
      });
      for (const model of MODELS) {
        const svg = readFileSync(printed.calibrationSvg[model], "utf8");
        assert.match(svg, /^<svg /);
        assert.ok(svg.includes(`${MODEL_NAMES[model]}, E0 2023-2024 to 2023-2024`), `${model} plot is titled`);
      }
    });

    it("reads and prints a relative --svg-dir relative to where npm was started, not service/", async () => {
      const initCwd = process.env.INIT_CWD;
      process.env.INIT_CWD = directory;
      try {
        const output = capture();
        const argv = ["--from=2023-2024", "--to=2023-2024", "--json", "--svg-dir", "plots"];
        assert.equal(await runBacktestCli(argv, output), 0, output.stderr.join("\n"));
        assert.deepEqual(JSON.parse(output.stdout.join("\n")).calibrationSvg, {
          goals: path.join("plots", "calibration-E0-goals.svg"),
          shots: path.join("plots", "calibration-E0-shots.svg"),
        });
        assert.match(readFileSync(path.join(directory, "plots", "calibration-E0-goals.svg"), "utf8"), /^<svg /);
      } finally {
        if (initCwd === undefined) delete process.env.INIT_CWD;
        else process.env.INIT_CWD = initCwd;
      }
    });

    it("prints a table side by side by default, with the paired comparison", async () => {
      const output = capture();
      const argv = ["--from=2023-2024", "--to=2023-2024", "--svg-dir", path.join(directory, "table")];
      assert.equal(await runBacktestCli(argv, output), 0, output.stderr.join("\n"));
      const text = output.stdout.join("\n");
      assert.match(text, /^season +matches +RPS goals +RPS \+shots +difference +naive RPS +closing RPS/m);
      assert.match(text, /^2023-2024 +380 +0\.\d{4} +0\.\d{4} +-0\.\d{4} +0\.\d{4} +0\.1805 /m);
      // The shipped results carry no odds: the closing line's figure is the shipped one, and the report says so.
      assert.match(text, /^Closing line: from the shipped derived figures \(service\/data\/closing-line\.csv\) in 2023-2024\.$/m);
      assert.match(text, /^pooled +380 /m);
      assert.match(text, /^\+shots has the lower RPS in 1 of 1 seasons; pooled paired RPS difference -0\.\d{4}/m);
    });
  });
});
