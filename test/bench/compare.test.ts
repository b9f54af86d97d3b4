import { strict as assert } from "node:assert";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { baselineEntry, compareRounds } from "../../bench/compare";
import { TempDir } from "../support/tempDir";

describe("bench: two builds compared round by round", () => {
  it("gives each build's mean, the candidate's mean difference with its standard error, and the rounds it won", () => {
    const stats = compareRounds([50, 60, 52, 58], [46, 55, 49, 52]);
    assert.equal(stats.baselineMicroseconds, 55);
    assert.equal(stats.candidateMicroseconds, 50.5);
    // Differences -4, -5, -3, -6: mean -4.5, sample variance 5/3, standard error sqrt(5/3 / 4).
    assert.equal(stats.differenceMicroseconds, -4.5);
    assert.ok(Math.abs(stats.standardErrorMicroseconds - Math.sqrt(5 / 12)) < 1e-12);
    assert.equal(stats.candidateLower, 4);
    assert.equal(stats.rounds, 4);
  });

  it("counts a round the candidate lost, and refuses rounds that do not pair up", () => {
    assert.equal(compareRounds([50, 50, 50], [49, 51, 50]).candidateLower, 1);
    assert.throws(() => compareRounds([50, 51], [49]), /as many rounds of each build, at least two \(not 2 and 1\)/);
    assert.throws(() => compareRounds([50], [49]), /at least two/);
  });

  it("finds the baseline's main.js inside the checkout, naming the folder when it is missing or outside", () => {
    const scratch = new TempDir("fp-compare-");
    try {
      const checkout = scratch.path;
      mkdirSync(path.join(checkout, "service/dist-before"), { recursive: true });
      scratch.write("service/dist-before/main.js", "");
      assert.equal(
        baselineEntry("dist-before", path.join(checkout, "service"), checkout),
        path.join(checkout, "service/dist-before/main.js"),
      );
      assert.throws(
        () => baselineEntry("service/dist-after", checkout, checkout),
        /--compare service\/dist-after: no main\.js in .*dist-after; copy the build there/,
      );
      assert.throws(() => baselineEntry("/tmp", checkout, checkout), /--compare \/tmp: \/tmp is not inside the checkout/);
      assert.throws(() => baselineEntry(".", checkout, checkout), /is not inside the checkout/);
    } finally {
      scratch.remove();
    }
  });
});
