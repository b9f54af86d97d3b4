import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { addedApprovals, approvalFor, APPROVALS_FILE, parseApprovals, type Approval } from "../../../infra/plan/approvals";
import { PlanError } from "../../../infra/plan/base";
import type { PlannedChange } from "../../../infra/plan/plan";
import { TempDir } from "../../support/tempDir";

const NAMESPACE: Approval = { stack: "dev", type: "kubernetes:core/v1:Namespace", name: "namespace", reason: "rename approved in review" };
const CLUSTER: Approval = { stack: "dev", type: "kubernetes:postgresql.cnpg.io/v1:Cluster", name: "postgres", reason: "rebuilt from the backup, approved" };

function yamlOf(approvals: Approval[]): string {
  return `approvals:\n${approvals.map((a) => `  - stack: ${a.stack}\n    type: ${a.type}\n    name: ${a.name}\n    reason: ${a.reason}\n`).join("")}`;
}

function planError(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => error instanceof PlanError && pattern.test(error.message);
}

describe("infrastructure: the plan's approvals of destructive changes", () => {
  describe("parsing", () => {
    it("reads the entries, and an empty or entry-less file as none", () => {
      assert.deepEqual(parseApprovals(yamlOf([NAMESPACE, CLUSTER]), "f.yaml"), [NAMESPACE, CLUSTER]);
      assert.deepEqual(parseApprovals("", "f.yaml"), []);
      assert.deepEqual(parseApprovals("approvals:\n", "f.yaml"), []);
    });

    it("names the file and line of a YAML syntax error", () => {
      assert.throws(() => parseApprovals("approvals:\n  - stack: dev\n    name: [x\n", "f.yaml"), planError(/^f\.yaml:[34]: /));
    });

    it("names the file, line and field of an entry the schema refuses", () => {
      const missing = "approvals:\n  - stack: dev\n    type: kubernetes:core/v1:Namespace\n    reason: rename approved in review\n";
      assert.throws(() => parseApprovals(missing, "f.yaml"), planError(/^f\.yaml:2: approvals\.0\.name: /));
      const unknown = `${yamlOf([NAMESPACE])}    approver: someone\n`;
      assert.throws(() => parseApprovals(unknown, "f.yaml"), planError(/^f\.yaml:2: approvals\.0: .*approver/));
      assert.throws(() => parseApprovals("approvals: yes\n", "f.yaml"), planError(/^f\.yaml:1: approvals: /));
      assert.throws(() => parseApprovals("- a\n", "f.yaml"), planError(/^f\.yaml:1: the file: /));
    });
  });

  describe("which entries count", () => {
    let repo: TempDir;
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", ...args], { cwd: repo.path, encoding: "utf8" }).trim();
    const writeFile = (text: string) => writeFileSync(path.join(repo.path, APPROVALS_FILE), text);
    const commit = (message: string) => {
      git("add", "-A");
      git("commit", "-q", "--allow-empty", "-m", message);
      return git("rev-parse", "HEAD");
    };

    beforeEach(() => {
      repo = new TempDir("fp-plan-approvals-");
      mkdirSync(path.join(repo.path, "stacks"));
      git("init", "-q", "-b", "main");
    });
    afterEach(() => repo.remove());

    it("counts only entries the change adds to the base's file", () => {
      writeFile(yamlOf([NAMESPACE]));
      const base = commit("a past approval");
      writeFile(yamlOf([NAMESPACE, CLUSTER]));
      assert.deepEqual(addedApprovals(base, repo.path), [CLUSTER]);
      writeFile(yamlOf([NAMESPACE]));
      assert.deepEqual(addedApprovals(base, repo.path), []);
    });

    it("counts every entry when the base has no file or one that does not parse, and none without a file", () => {
      const empty = commit("no approvals yet");
      assert.deepEqual(addedApprovals(empty, repo.path), []);
      writeFile(yamlOf([NAMESPACE]));
      assert.deepEqual(addedApprovals(empty, repo.path), [NAMESPACE]);
      writeFile("approvals: [\n");
      const broken = commit("a broken file");
      writeFile(yamlOf([NAMESPACE]));
      assert.deepEqual(addedApprovals(broken, repo.path), [NAMESPACE]);
    });

    it("refuses a working tree's file that does not parse, naming it", () => {
      const base = commit("no approvals yet");
      writeFile("approvals:\n  - stack: dev\n");
      assert.throws(() => addedApprovals(base, repo.path), planError(/^stacks\/destructive-changes\.yaml:2: approvals\.0\.type: /));
    });
  });

  it("matches a change by stack, type and name, all three", () => {
    const change = { type: NAMESPACE.type, name: NAMESPACE.name } as PlannedChange;
    assert.equal(approvalFor(change, "dev", [CLUSTER, NAMESPACE]), NAMESPACE);
    assert.equal(approvalFor(change, "prod", [CLUSTER, NAMESPACE]), undefined);
    assert.equal(approvalFor({ ...change, name: "other" }, "dev", [NAMESPACE]), undefined);
    assert.equal(approvalFor({ ...change, type: "kubernetes:core/v1:ConfigMap" }, "dev", [NAMESPACE]), undefined);
  });
});
