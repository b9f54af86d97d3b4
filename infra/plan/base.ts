/**
 * Renders a stack as a git ref had it: the ref's files are exported to a scratch directory (`git archive`), which
 * borrows this checkout's node_modules, and a child process runs that tree's own program and stack files through
 * that tree's own offline renderer (Pulumi's mocks and config are process-wide, and the two trees' modules must not
 * mix). The child writes the render as JSON to a file, away from whatever the program logs.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RenderedStack } from "../offline/render";
import { REPO_ROOT } from "../offline/stackConfig";

/** A problem with the base the user can fix (no git, unknown ref, a base whose program fails). */
export class PlanError extends Error {}

/** How long a base render may take before the plan gives up on it. */
const RENDER_TIMEOUT_MS = 180_000;

function git(args: string[], cwd: string): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

function gitOrFail(args: string[], problem: string, cwd: string): string {
  try {
    return git(args, cwd);
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    throw new PlanError(`${problem}${stderr === "" ? "" : `: ${stderr.split("\n")[0]}`}`);
  }
}

export interface BaseRef {
  /** As the user named it (or the default's description). */
  label: string;
  commit: string;
}

/**
 * `ref`, or the merge base with main (the local branch, else origin's) when none is given, in the checkout at
 * `root` (this one unless a test points elsewhere).
 */
export function resolveBase(ref: string | undefined, root = REPO_ROOT): BaseRef {
  gitOrFail(["rev-parse", "--show-toplevel"], `${root} is not a git repository, and the plan needs its history for the base (work in a clone)`, root);
  if (ref !== undefined) {
    const commit = gitOrFail(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], `--base ${ref}: no such commit`, root);
    return { label: ref, commit };
  }
  for (const main of ["main", "origin/main"]) {
    try {
      return { label: `merge base with ${main}`, commit: git(["merge-base", "HEAD", main], root) };
    } catch {
      // Not there: try the next name main goes by.
    }
  }
  throw new PlanError("no main branch to find the merge base with (neither main nor origin/main): pass --base <git-ref>");
}

/** The files of the project at `checkout` as of `commit`, in `dir`, which the caller removes; returns their root. */
function exportTree(commit: string, dir: string, checkout: string): string {
  const prefix = git(["rev-parse", "--show-prefix"], checkout);
  const toplevel = git(["rev-parse", "--show-toplevel"], checkout);
  execFileSync("sh", ["-c", 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', "sh", toplevel, commit, dir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const root = path.join(dir, prefix);
  for (const modules of ["node_modules", "service/node_modules", "policy/node_modules"]) {
    const source = path.join(checkout, modules);
    const link = path.join(root, modules);
    if (existsSync(source) && existsSync(path.dirname(link))) {
      // A checkout may have committed its own link (git ignores `node_modules/` directories, not links).
      rmSync(link, { force: true });
      symlinkSync(source, link, "dir");
    }
  }
  return root;
}

function emptyRender(stack: string): RenderedStack {
  return { stack, project: "", configFile: "", resources: [], outputs: {}, secretOutputs: [], secretValues: [], generatedSecrets: [], generated: {}, warnings: [] };
}

function runChild(root: string, stack: string, out: string): Promise<void> {
  const argv = ["-r", require.resolve("ts-node/register"), path.join(__dirname, "renderTree.ts"), root, stack, out];
  const env = { ...process.env, TS_NODE_PROJECT: path.join(root, "tsconfig.json"), TS_NODE_TRANSPILE_ONLY: "true" };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, argv, { cwd: root, env, timeout: RENDER_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error === null) {
        resolve();
      } else {
        const reason = stderr.trim() === "" ? error.message : stderr.trim();
        reject(new PlanError(`rendering stack ${stack} at the base failed: ${reason}`));
      }
    });
  });
}

/**
 * The stack rendered from the files of `base.commit` in the checkout at `checkout` (this one unless a test points
 * elsewhere); a stack the base does not have renders as empty.
 */
export async function renderAtBase(base: BaseRef, stack: string, checkout = REPO_ROOT): Promise<RenderedStack> {
  const dir = mkdtempSync(path.join(tmpdir(), "fp-plan-base-"));
  try {
    const root = exportTree(base.commit, dir, checkout);
    if (!existsSync(path.join(root, "stacks", `Pulumi.${stack}.yaml`))) return emptyRender(stack);
    const out = path.join(dir, "render.json");
    await runChild(root, stack, out);
    return JSON.parse(readFileSync(out, "utf8")) as RenderedStack;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
