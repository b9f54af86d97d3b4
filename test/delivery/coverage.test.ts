// The coverage gate of .ci/run: c8 measures the suite, scripts/coverage.ts sums it per workspace and fails below a
// floor. The gate's arithmetic is tested on a made-up summary, and its wiring on the repository's own files.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { byWorkspace, FLOORS, formatTable, shortfalls, type Summary } from "../../scripts/coverage";
import { REPO_ROOT } from "../support/processes";

const ROOT = "/repo";

function counts(lines: [number, number], branches: [number, number], functions: [number, number]) {
  const pair = ([covered, total]: [number, number]) => ({ covered, total });
  return { lines: pair(lines), branches: pair(branches), functions: pair(functions) };
}

const summary: Summary = {
  total: counts([0, 0], [0, 0], [0, 0]),
  "/repo/service/src/a.ts": counts([96, 100], [45, 50], [10, 10]),
  "/repo/service/src/http/b.ts": counts([100, 100], [45, 50], [10, 10]),
  "/repo/infra/index.ts": counts([99, 100], [95, 100], [10, 10]),
  "/repo/policy/cli.ts": counts([90, 100], [95, 100], [10, 10]),
};

describe("coverage gate", () => {
  it("sums the files of each workspace", () => {
    const coverage = byWorkspace(summary, ROOT);
    assert.deepEqual(Object.keys(coverage).sort(), ["infra", "policy", "service"]);
    assert.deepEqual(coverage.service.lines, { covered: 196, total: 200 });
    assert.deepEqual(coverage.service.branches, { covered: 90, total: 100 });
  });

  it("names each workspace and metric below its floor, with the figure", () => {
    const problems = shortfalls(byWorkspace(summary, ROOT));
    assert.deepEqual(problems, [`policy: lines 90.00% is below the floor of ${FLOORS.policy.lines}%`]);
  });

  it("fails a workspace that was not measured at all", () => {
    const { "/repo/infra/index.ts": _infra, ...withoutInfra } = summary;
    assert.match(shortfalls(byWorkspace(withoutInfra, ROOT)).join("\n"), /^infra: no files measured/m);
  });

  it("prints one row per workspace with figures and floors", () => {
    const table = formatTable(byWorkspace(summary, ROOT)).split("\n");
    assert.equal(table.length, 1 + Object.keys(FLOORS).length);
    assert.match(table.find((row) => row.startsWith("service")) ?? "", /98\.00% \(196\/200, floor 95\.5%\)/);
  });

  it("keeps every floor at 80% of lines or more, and measures exactly the gated workspaces", () => {
    for (const [workspace, floor] of Object.entries(FLOORS)) assert.ok(floor.lines >= 80, workspace);
    const c8rc = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, ".c8rc.json"), "utf8")) as { include: string[]; all: boolean };
    assert.deepEqual(c8rc.include.map((glob) => glob.split("/")[0]).sort(), Object.keys(FLOORS).sort());
    assert.equal(c8rc.all, true, "files no test loads must count as uncovered");
  });

  it("runs in .ci/run in place of the plain test run, so the suite runs once", () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    assert.match(scripts.coverage, /^c8 npm test && ts-node scripts\/coverage\.ts$/);
    const ci = fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8").split("\n").map((line) => line.trim());
    assert.ok(ci.some((line) => /^npm run coverage\b/.test(line)), ".ci/run does not run npm run coverage");
    assert.ok(!ci.some((line) => /^npm (test|run test)(\s|$)/.test(line)), ".ci/run would run the suite twice");
  });
});
