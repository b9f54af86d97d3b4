/**
 * Offline preview of the Pulumi program: no Pulumi CLI, no cluster, no network.
 *
 *   npm run preview -- <stack> [<stack>…] [--out <dir>] [--set <key>=<value>…]
 *       resource tree, outputs and counts per stack, then the policy pack's report with the stack's policy config;
 *       exits 1 when a mandatory policy is violated. --out writes the manifests (one dir, or <dir>/<stack> for
 *       several); --set changes a config value first, like `pulumi config set --path` (the value is read as YAML)
 *   npm run preview -- --diff <stack> <stack>              the settings that differ between two stacks
 *   npm run preview -- platform:<stack>...                  the platform project's cluster stacks, the same way
 *       (its policy config is policy/config/platform-<stack>.json); environment and platform stacks mix freely
 */
import path from "node:path";
import { parse } from "yaml";
import { StackConfigError } from "../infra/config";
import { writeManifests } from "../infra/offline/manifests";
import { checkPolicies, policyResources } from "../infra/offline/policy";
import { renderStack, type RenderedStack } from "../infra/offline/render";
import { STACKS } from "../infra/offline/stackConfig";
import { diffReport, previewReport } from "../infra/offline/summary";
import { PlatformConfigError } from "../platform/config";
import { checkPlatformPolicies, PLATFORM_PREFIX, PLATFORM_STACKS, renderPlatformStack } from "../platform/offline";
import { formatReport, hasMandatoryViolations, PolicyConfigError, type PolicyReport } from "../policy/runner";

const USAGE = `usage: npm run preview -- <stack>|platform:<stack>... [--out <dir>] [--set <key>=<value>]...
       npm run preview -- --diff <stack> <stack>
stacks: ${STACKS.join(", ")}; platform stacks: ${PLATFORM_STACKS.map((s) => PLATFORM_PREFIX + s).join(", ")}
exit status: 0 clean, 1 a mandatory policy violated or invalid config, 2 usage`;

class UsageError extends Error {}

interface Options {
  stacks: string[];
  out?: string;
  diff: boolean;
  /** Config changes by path, e.g. `{ "image.tag": "0.2.0" }`. */
  overrides: Record<string, unknown>;
}

function parseOverride(assignment: string | undefined, into: Record<string, unknown>): void {
  const match = /^([^=]+)=(.*)$/s.exec(assignment ?? "");
  if (match === null) throw new UsageError("--set needs <key>=<value>, e.g. --set api.maxReplicas=12");
  into[match[1]] = parse(match[2]);
}

function parseArgs(argv: string[]): Options {
  const options: Options = { stacks: [], diff: false, overrides: {} };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--out") {
      options.out = argv[++i];
      if (options.out === undefined) throw new UsageError("--out needs a directory");
    } else if (arg === "--set") {
      parseOverride(argv[++i], options.overrides);
    } else if (arg === "--diff") {
      options.diff = true;
    } else if (arg === "--help" || arg === "-h") {
      throw new UsageError("");
    } else if (arg.startsWith("-")) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      options.stacks.push(arg);
    }
  }
  const known = [...STACKS, ...PLATFORM_STACKS.map((s) => PLATFORM_PREFIX + s)] as readonly string[];
  const unknown = options.stacks.filter((s) => !known.includes(s));
  if (unknown.length > 0) throw new UsageError(`unknown stack ${unknown.join(", ")}`);
  if (options.diff && options.stacks.length !== 2) throw new UsageError("--diff compares exactly two stacks");
  if (options.diff && options.stacks.some((s) => s.startsWith(PLATFORM_PREFIX))) throw new UsageError("--diff compares environment stacks");
  if (options.diff && Object.keys(options.overrides).length > 0) throw new UsageError("--diff compares the stack files as they are; drop --set");
  if (options.stacks.length === 0) throw new UsageError("name at least one stack");
  return options;
}

/** Renders an environment or platform (`platform:<stack>`) stack and runs the policy pack with its policy config. */
async function renderAndCheck(stack: string, overrides: Record<string, unknown>): Promise<{ rendered: RenderedStack; report: PolicyReport }> {
  if (stack.startsWith(PLATFORM_PREFIX)) {
    const rendered = await renderPlatformStack(stack.slice(PLATFORM_PREFIX.length), overrides);
    return { rendered, report: await checkPlatformPolicies(rendered) };
  }
  const rendered = await renderStack(stack, overrides);
  return { rendered, report: await checkPolicies(stack, policyResources(rendered)) };
}

/** Previews each stack in turn; resolves to whether every one passed its mandatory policies. */
async function preview(options: Options): Promise<boolean> {
  const started = Date.now();
  let passed = true;
  for (const stack of options.stacks) {
    const stackStarted = Date.now();
    const { rendered, report } = await renderAndCheck(stack, options.overrides);
    console.log(previewReport(rendered, Date.now() - stackStarted));
    console.log(`\n${formatReport(report)}`);
    passed &&= !hasMandatoryViolations(report);
    if (options.out !== undefined) {
      const dir = options.stacks.length === 1 ? options.out : path.join(options.out, stack.replace(PLATFORM_PREFIX, "platform-"));
      const files = writeManifests(rendered, dir);
      console.log(`\nManifests (secrets redacted): ${files.length} files in ${dir}`);
      files.forEach((file) => console.log(`    ${path.relative(dir, file)}`));
    }
    console.log("");
  }
  if (options.stacks.length > 1) {
    console.log(`${options.stacks.length} stacks rendered in ${Date.now() - started} ms`);
  }
  return passed;
}

async function main(): Promise<number> {
  try {
    const options = parseArgs(process.argv.slice(2));
    if (options.diff) {
      console.log(diffReport(options.stacks[0], options.stacks[1]));
      return 0;
    }
    return (await preview(options)) ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error([error.message, USAGE].filter((line) => line !== "").join("\n"));
      return 2;
    }
    if (error instanceof StackConfigError || error instanceof PlatformConfigError || error instanceof PolicyConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

main().then((code) => process.exit(code));
