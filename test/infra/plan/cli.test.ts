import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseApprovals } from "../../../infra/plan/approvals";
import { PlanError } from "../../../infra/plan/base";
import { REPO_ROOT } from "../../support/processes";
import { makeTempDir } from "../../support/tempDir";

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run plan -- <args>` in `cwd`, as npm would run it, without npm. */
function planCli(cwd: string, args: string[]): Promise<CliRun> {
  const argv = ["-r", require.resolve("ts-node/register"), path.join("scripts", "plan.ts"), ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { cwd, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr });
    });
  });
}

/** This working tree's files in `dir` (node_modules shared), optionally as a fresh clone's one commit. */
function copyCheckout(dir: string, asGitRepository: boolean): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8" }).split("\0");
  for (const file of files) {
    const source = path.join(REPO_ROOT, file);
    if (file === "" || !existsSync(source) || statSync(source).isDirectory()) continue;
    cpSync(source, path.join(dir, file));
  }
  for (const modules of ["node_modules", "service/node_modules", "policy/node_modules"]) {
    if (existsSync(path.join(REPO_ROOT, modules))) symlinkSync(path.join(REPO_ROOT, modules), path.join(dir, modules));
  }
  if (!asGitRepository) return;
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=plan-test", "-c", "user.email=plan-test@localhost", ...args], { cwd: dir, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "the working tree under test");
}

function editStack(dir: string, stack: string, from: RegExp, to: string): void {
  const file = path.join(dir, "stacks", `Pulumi.${stack}.yaml`);
  const text = readFileSync(file, "utf8");
  assert.match(text, from, `stacks/Pulumi.${stack}.yaml has ${from}`);
  writeFileSync(file, text.replace(from, to));
}

describe("infrastructure: npm run plan", function () {
  this.timeout(300_000);

  let clone: string;
  let loose: string;
  before(() => {
    clone = makeTempDir("fp-plan-clone-");
    loose = makeTempDir("fp-plan-loose-");
    copyCheckout(clone, true);
    copyCheckout(loose, false);
  });
  after(() => {
    rmSync(clone, { recursive: true, force: true });
    rmSync(loose, { recursive: true, force: true });
  });

  it("plans a log level change in prod as updates: the config object and the pods that roll", async () => {
    editStack(clone, "prod", /logLevel: info/, "logLevel: warn");
    const run = await planCli(clone, ["prod", "--base", "HEAD", "--fail-on-destructive"]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^Plan for stack prod: HEAD \([0-9a-f]{7}\) → working tree$/m);
    assert.match(run.stdout, /kubernetes:core\/v1:ConfigMap {2}api-config/);
    assert.match(run.stdout, /^~ {2}kubernetes:apps\/v1:Deployment {2}api-blue$/m);
    assert.doesNotMatch(run.stdout, /\[destructive\]/);
    editStack(clone, "prod", /logLevel: warn/, "logLevel: info");
  });

  it("plans a namespace rename as replacements, refuses it, and lets it through once the change approves each", async () => {
    editStack(clone, "dev", /namespace: football-prediction-dev\n/, "namespace: football-prediction-dev2\n");
    const refused = await planCli(clone, ["dev", "--base", "HEAD", "--fail-on-destructive", "--json"]);
    assert.equal(refused.code, 1, refused.stderr);
    const plan = JSON.parse(refused.stdout) as { changes: { op: string; type: string; name: string; destructive: boolean }[] };
    const destructive = plan.changes.filter((c) => c.destructive);
    assert.ok(destructive.some((c) => c.op === "replace" && c.type === "kubernetes:core/v1:Namespace"), refused.stdout);
    assert.ok(destructive.some((c) => c.op === "replace" && c.type === "kubernetes:apps/v1:StatefulSet"), refused.stdout);

    const approvals = destructive.map((c) => ({ stack: "dev", type: c.type, name: c.name, reason: "rename approved in review (test)" }));
    writeFileSync(path.join(clone, "stacks", "destructive-changes.yaml"), `approvals: ${JSON.stringify(approvals)}\n`);
    const approved = await planCli(clone, ["dev", "--base", "HEAD", "--fail-on-destructive"]);
    assert.equal(approved.code, 0, approved.stdout + approved.stderr);
    assert.match(approved.stdout, /^\+- kubernetes:core\/v1:Namespace {2}namespace .*\[destructive, approved\]$/m);
    assert.match(approved.stdout, /^Approved: /m);
  });

  it("says so when the checkout is not a git repository or the base does not exist, and on usage errors", async () => {
    const run = await planCli(loose, ["prod", "--base", "HEAD"]);
    assert.equal(run.code, 3);
    assert.match(run.stderr, /is not a git repository, and the plan needs its history for the base/);
    const unknownRef = await planCli(clone, ["prod", "--base", "no-such-ref"]);
    assert.equal(unknownRef.code, 3);
    assert.match(unknownRef.stderr, /^--base no-such-ref: no such commit/m);
    const usage = await planCli(loose, ["nowhere"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown stack nowhere/);
  });

  it("rejects an approvals file it cannot read, naming the file, the line and the problem", () => {
    const text = "approvals:\n  - stack: prod\n    type: kubernetes:core/v1:Namespace\n    name: namespace\n    reason: short\n";
    assert.throws(() => parseApprovals(text, "stacks/destructive-changes.yaml"), (error: unknown) => {
      assert.ok(error instanceof PlanError);
      assert.equal(error.message, "stacks/destructive-changes.yaml:5: approvals.0.reason: must say why the loss is acceptable (at least 10 characters)");
      return true;
    });
    assert.throws(() => parseApprovals("approvals: [\n", "f.yaml"), (error: unknown) => error instanceof PlanError && /^f\.yaml:\d+: /.test(error.message));
    assert.deepEqual(parseApprovals("approvals: []\n", "f.yaml"), []);
  });
});
