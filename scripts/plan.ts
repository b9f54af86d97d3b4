/**
 * What a change would do to a stack, offline: `pulumi preview --diff`'s verdicts (create, update, replace,
 * delete-before-replace, delete) from two renders, the base's and the working tree's, judged by the provider's own
 * rules (infra/plan/rules.ts). A model: a real `pulumi preview` against the live stack remains the authority.
 *
 *   npm run plan -- <stack> [--base <git-ref>] [--json] [--fail-on-destructive]
 *       --base                 what to compare with (default: the merge base with main)
 *       --json                 the plan as JSON on stdout, and nothing else
 *       --fail-on-destructive  exit 1 when a Namespace, StatefulSet, PVC, Deployment, Service, Job or database
 *                              object would be replaced or deleted, unless this change adds an approval of it to
 *                              stacks/destructive-changes.yaml (the pull-request gate)
 */
import { StackConfigError } from "../infra/config";
import { STACKS } from "../infra/offline/stackConfig";
import { renderStack } from "../infra/offline/render";
import { addedApprovals, approvalFor } from "../infra/plan/approvals";
import { PlanError, renderAtBase, resolveBase } from "../infra/plan/base";
import { destructiveChanges, formatPlan, planJson } from "../infra/plan/format";
import { plan } from "../infra/plan/plan";

const USAGE = `usage: npm run plan -- <stack> [--base <git-ref>] [--json] [--fail-on-destructive]
stacks: ${STACKS.join(", ")}; the base defaults to the merge base with main
exit status: 0 planned, 1 an unapproved destructive change with --fail-on-destructive, 2 usage, 3 could not plan
  (not a git repository, unknown base, invalid config, a render failed)`;

class UsageError extends Error {}

interface Options {
  stack: string;
  base?: string;
  json: boolean;
  failOnDestructive: boolean;
}

function parseArgs(argv: string[]): Options {
  const stacks: string[] = [];
  const options: Omit<Options, "stack"> = { json: false, failOnDestructive: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--base") {
      options.base = argv[++i];
      if (options.base === undefined || options.base.startsWith("-")) throw new UsageError("--base needs a git ref, e.g. --base origin/main");
    } else if (arg === "--json") {
      options.json = true;
    } else if (arg === "--fail-on-destructive") {
      options.failOnDestructive = true;
    } else if (arg === "--help" || arg === "-h") {
      throw new UsageError("");
    } else if (arg.startsWith("-")) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      stacks.push(arg);
    }
  }
  if (stacks.length !== 1) throw new UsageError("name one stack");
  if (!(STACKS as readonly string[]).includes(stacks[0])) throw new UsageError(`unknown stack ${stacks[0]}`);
  return { ...options, stack: stacks[0] };
}

async function main(): Promise<number> {
  try {
    const options = parseArgs(process.argv.slice(2));
    const base = resolveBase(options.base);
    const before = await renderAtBase(base, options.stack);
    // The working tree runs against the base as deployed: the release the base recorded is what it keeps.
    const after = await renderStack(options.stack, {}, { previousOutputs: before.outputs });
    const result = plan(before, after);
    if (options.failOnDestructive) {
      const approvals = addedApprovals(base.commit);
      for (const change of result.changes.filter((c) => c.destructive)) {
        change.approved = approvalFor(change, options.stack, approvals)?.reason;
      }
    }
    const heading = { base: `${base.label} (${base.commit.slice(0, 7)})` };
    console.log(options.json ? JSON.stringify(planJson(result, heading), null, 2) : formatPlan(result, heading));
    return options.failOnDestructive && destructiveChanges(result).length > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error([error.message, USAGE].filter((line) => line !== "").join("\n"));
      return 2;
    }
    if (error instanceof PlanError || error instanceof StackConfigError) {
      console.error(error.message);
      return 3;
    }
    throw error;
  }
}

main().then((code) => process.exit(code));
