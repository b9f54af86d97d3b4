// The README's policy table against the pack and the stack configs: every policy listed once, its enforcement in
// each stack, and its counterparts in Polaris, kube-linter and kube-score as its description names them.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { policies } from "../../policy/pack";
import { loadPolicyConfig, resolvePolicyConfig } from "../../policy/runner";
import { REPO_ROOT } from "../support/processes";

const STACKS = ["dev", "test", "staging", "prod"];
const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

/** The rows of the table whose header starts with `| policy | dev |`, as lists of cells. */
function tableRows(): string[][] {
  const lines = readme.split("\n");
  const header = lines.findIndex((line) => line.startsWith("| policy | dev | test | staging | prod |"));
  assert.ok(header >= 0, "the README has no policy table");
  const rows: string[][] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith("|")) {
      break;
    }
    rows.push(line.slice(1, -1).split(" | ").map((cell) => cell.trim()));
  }
  return rows;
}

/** What a policy's description says its counterparts are, as the table writes them. */
function counterparts(description: string): string {
  const match = /Equivalent checks: Polaris: (.*); kube-linter: (.*); kube-score: (.*)\.$/.exec(description);
  assert.ok(match, `no counterparts in: ${description}`);
  return match.slice(1).map((ids) => (ids === "none" ? "—" : ids)).join(" / ");
}

describe("the README's policy table", () => {
  const rows = tableRows();
  const resolved = STACKS.map((stack) => resolvePolicyConfig(loadPolicyConfig(stack)));

  it("lists every policy of the pack once", () => {
    assert.deepStrictEqual(rows.map((row) => row[0]), policies.map((policy) => `\`${policy.name}\``));
  });

  it("gives each policy's enforcement per stack and its Polaris / kube-linter / kube-score counterparts", () => {
    for (const policy of policies) {
      const row = rows.find((candidate) => candidate[0] === `\`${policy.name}\``) ?? [];
      const levels = resolved.map((config) => {
        const entry = config.get(policy.name);
        const productionOnly = policy.configSchema?.properties.production !== undefined && entry?.properties.production !== true;
        return productionOnly ? "—" : entry?.enforcementLevel;
      });
      assert.deepStrictEqual(row.slice(1), [...levels, counterparts(policy.description)], policy.name);
    }
  });

  it("runs the manifest-mode examples on folders that exist", () => {
    // The commands themselves, not the README test's markers (HTML comments) that name them.
    const commands = readme.replace(/<!--[\s\S]*?-->/g, "");
    const folders = [...commands.matchAll(/npm run policy -- check (?:--\S+ (?:\S+ )?)*(\S+)/g)].map((match) => match[1]);
    assert.ok(folders.length >= 3);
    for (const folder of folders) {
      assert.ok(fs.statSync(path.join(REPO_ROOT, folder)).isDirectory(), folder);
    }
  });
});
