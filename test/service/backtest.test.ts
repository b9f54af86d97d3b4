import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import {
  runBacktestCli,
  summariseBacktest,
  walkForward,
  type BacktestReport,
  type CliOutput,
  type WalkForwardResult,
} from "../../service/src/backtest";
import { calibrationBins, calibrationSvg } from "../../service/src/backtest/calibration";
import { loadHistoricalResults, type HistoricalMatch } from "../../service/src/data/historicalResults";
import { fitDixonColes, predictMatch } from "../../service/src/domain/dixonColes";
import { naiveBaseline } from "../../service/src/domain/metrics";
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

  it("scores every match of the span, per season and pooled", () => {
    assert.equal(report.seasons.length, 1);
    assert.equal(report.seasons[0].season, "2023-2024");
    assert.equal(report.pooled.model.matches, 380);
    assert.deepEqual(report.seasons[0].model, report.pooled.model);
    assert.ok(report.refits >= 38, `refitted at least once a match week (${report.refits} fits)`);
    for (const scores of [report.pooled.model, report.pooled.baseline]) {
      assert.ok(scores.rps > 0 && scores.rps < 0.5 && scores.logLoss > 0 && scores.brier > 0, JSON.stringify(scores));
    }
  });

  it("beats the naive baseline on every score", () => {
    const { model, baseline } = report.pooled;
    assert.ok(model.rps < baseline.rps - 0.01, `RPS ${model.rps} vs ${baseline.rps}`);
    assert.ok(model.logLoss < baseline.logLoss, `log-loss ${model.logLoss} vs ${baseline.logLoss}`);
    assert.ok(model.brier < baseline.brier, `Brier ${model.brier} vs ${baseline.brier}`);
  });

  it("uses the previous five seasons' outcome frequencies as the baseline", () => {
    const previous = ["2018-2019", "2019-2020", "2020-2021", "2021-2022", "2022-2023"];
    const expected = naiveBaseline(matches.filter((m) => m.league === "E0" && previous.includes(m.season)));
    assert.deepEqual(run.forecasts[0].baseline, expected);
  });

  it("predicts each match from a fit on strictly earlier results", () => {
    const e0 = matches.filter((m) => m.league === "E0");
    const target = run.forecasts[100];
    const earlier = e0.filter((m) => m.date < target.date);
    const independent = predictMatch(
      fitDixonColes("E0", earlier, { asOf: target.date, gradientTolerance: 1e-7 }).parameters,
      target.homeTeam,
      target.awayTeam,
    );
    for (const key of ["homeWin", "draw", "awayWin"] as const) {
      assert.ok(Math.abs(target.model[key] - independent[key]) < 1e-5, `${key}: ${target.model[key]} vs ${independent[key]}`);
    }
  });

  it("bins the calibration of every outcome over all forecasts", () => {
    for (const outcome of ["home", "draw", "away"] as const) {
      const bins = report.calibration.filter((bin) => bin.outcome === outcome);
      assert.equal(bins.reduce((sum, bin) => sum + bin.forecasts, 0), 380);
      for (const bin of bins) {
        assert.ok(bin.meanPredicted >= bin.lower && bin.meanPredicted <= bin.upper, JSON.stringify(bin));
        assert.ok(bin.observedFrequency >= 0 && bin.observedFrequency <= 1);
      }
    }
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

    it("prints JSON and writes the calibration plot", async () => {
      const output = capture();
      const svgPath = path.join(directory, "plots", "e0.svg");
      const argv = ["--league", "E0", "--from", "2023-2024", "--to", "2023-2024", "--json", "--svg", svgPath];
      assert.equal(await runBacktestCli(argv, output), 0, output.stderr.join("\n"));
      const printed = JSON.parse(output.stdout.join("\n"));
      assert.equal(printed.pooled.model.matches, 380);
      assert.equal(printed.calibrationSvg, svgPath);
      assert.match(readFileSync(svgPath, "utf8"), /^<svg /);
    });

    it("reads and prints a relative --svg relative to where npm was started, not service/", async () => {
      const initCwd = process.env.INIT_CWD;
      process.env.INIT_CWD = directory;
      try {
        const output = capture();
        const argv = ["--from=2023-2024", "--to=2023-2024", "--json", "--svg", "plots/relative.svg"];
        assert.equal(await runBacktestCli(argv, output), 0, output.stderr.join("\n"));
        assert.equal(JSON.parse(output.stdout.join("\n")).calibrationSvg, path.join("plots", "relative.svg"));
        assert.match(readFileSync(path.join(directory, "plots", "relative.svg"), "utf8"), /^<svg /);
      } finally {
        if (initCwd === undefined) delete process.env.INIT_CWD;
        else process.env.INIT_CWD = initCwd;
      }
    });

    it("prints a table by default", async () => {
      const output = capture();
      const argv = ["--from=2023-2024", "--to=2023-2024", "--svg", path.join(directory, "table.svg")];
      assert.equal(await runBacktestCli(argv, output), 0, output.stderr.join("\n"));
      const text = output.stdout.join("\n");
      assert.match(text, /^2023-2024 +380 +0\.\d{4} +0\.\d{4}/m);
      assert.match(text, /^pooled +380 /m);
    });
  });
});
