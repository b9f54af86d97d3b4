import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { renderStack } from "../../../infra/offline/render";
import { PlanError, renderAtBase, resolveBase } from "../../../infra/plan/base";
import { renderTree } from "../../../infra/plan/renderTree";
import { REPO_ROOT } from "../../support/processes";
import { TempDir } from "../../support/tempDir";

function git(...args: string[]): string {
  return execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();
}

/** What a plan compares: every resource by type and name. */
function inventory(render: { resources: { type: string; name: string }[] }): string[] {
  return render.resources.map((r) => `${r.type} ${r.name}`).sort();
}

describe("infrastructure: the plan's base", function () {
  this.timeout(240_000);

  it("resolves an explicit ref and HEAD to their commits, labelled as the user named them", () => {
    const head = git("rev-parse", "HEAD");
    assert.deepEqual(resolveBase("HEAD"), { label: "HEAD", commit: head });
    assert.deepEqual(resolveBase("HEAD~1"), { label: "HEAD~1", commit: git("rev-parse", "HEAD~1") });
  });

  it("defaults to the merge base with main", () => {
    assert.deepEqual(resolveBase(undefined), { label: "merge base with main", commit: git("merge-base", "HEAD", "main") });
  });

  it("refuses an unknown ref, naming it", () => {
    assert.throws(
      () => resolveBase("no-such-ref-for-the-plan"),
      (error: unknown) => error instanceof PlanError && error.message === "--base no-such-ref-for-the-plan: no such commit",
    );
  });

  it("says so when the checkout is not a git repository, and when no main branch gives a default", () => {
    const dir = new TempDir("fp-plan-nogit-");
    try {
      assert.throws(
        () => resolveBase("HEAD", dir.path),
        (error: unknown) => error instanceof PlanError && error.message.startsWith(`${dir.path} is not a git repository, and the plan needs its history`),
      );
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", "init", "-q", "-b", "trunk"], { cwd: dir.path });
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-q", "--allow-empty", "-m", "only"], { cwd: dir.path });
      assert.throws(
        () => resolveBase(undefined, dir.path),
        (error: unknown) => error instanceof PlanError && /neither main nor origin\/main\): pass --base <git-ref>$/.test(error.message),
      );
    } finally {
      dir.remove();
    }
  });

  it("renders a stack the base does not have as empty", async () => {
    const render = await renderAtBase(resolveBase("HEAD"), "no-such-stack");
    assert.equal(render.stack, "no-such-stack");
    assert.deepEqual(render.resources, []);
    assert.deepEqual(render.outputs, {});
  });

  it("renders HEAD's dev stack from HEAD's own files in a child process", async () => {
    const atHead = await renderAtBase(resolveBase("HEAD"), "dev");
    assert.equal(atHead.stack, "dev");
    assert.equal(atHead.configFile, path.join("stacks", "Pulumi.dev.yaml"));
    assert.ok(inventory(atHead).includes("kubernetes:core/v1:Namespace namespace"), "the environment's namespace is there");
  });

  it("reports a base whose program fails, with the program's message", async () => {
    const checkout = new TempDir("fp-plan-failing-base-");
    try {
      // A base whose renderer throws, as a program with a broken config would; the child still needs its tsconfig.
      for (const dir of ["stacks", path.join("infra", "offline")]) mkdirSync(path.join(checkout.path, dir), { recursive: true });
      for (const file of ["tsconfig.json", "tsconfig.base.json"]) copyFileSync(path.join(REPO_ROOT, file), path.join(checkout.path, file));
      checkout.write(path.join("stacks", "Pulumi.dev.yaml"), "config: {}\n");
      checkout.write(path.join("infra", "offline", "render.js"), 'exports.renderStack = async () => { throw new Error("dev: config key replicas is missing"); };\n');
      const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", ...args], { cwd: checkout.path, encoding: "utf8" }).trim();
      git("init", "-q", "-b", "main");
      git("add", "-A");
      git("commit", "-q", "-m", "a broken base");
      await assert.rejects(
        renderAtBase(resolveBase("HEAD", checkout.path), "dev", checkout.path),
        (error: unknown) => error instanceof PlanError && error.message === "rendering stack dev at the base failed: dev: config key replicas is missing",
      );
    } finally {
      checkout.remove();
    }
  });

  it("renders a tree's stack to a JSON file in-process, and fails on a stack the tree lacks", async () => {
    const dir = new TempDir("fp-plan-tree-");
    try {
      const out = path.join(dir.path, "render.json");
      await renderTree(REPO_ROOT, "test", out);
      const written = JSON.parse(readFileSync(out, "utf8")) as Awaited<ReturnType<typeof renderStack>>;
      assert.equal(written.stack, "test");
      assert.deepEqual(inventory(written), inventory(await renderStack("test")));
      await assert.rejects(renderTree(REPO_ROOT, "no-such-stack", path.join(dir.path, "none.json")), /no-such-stack/);
    } finally {
      dir.remove();
    }
  });
});
