/**
 * Offline preview of the Pulumi program: no Pulumi CLI, no cluster, no network.
 *
 *   npm run preview -- <stack> [<stack>…] [--out <dir>]   resource tree, outputs and counts per stack; --out writes
 *                                                         the manifests (one dir, or <dir>/<stack> for several)
 *   npm run preview -- --diff <stack> <stack>              the settings that differ between two stacks
 */
import path from "node:path";
import { StackConfigError } from "../infra/config";
import { writeManifests } from "../infra/offline/manifests";
import { renderStack } from "../infra/offline/render";
import { STACKS } from "../infra/offline/stackConfig";
import { diffReport, previewReport } from "../infra/offline/summary";

const USAGE = `usage: npm run preview -- <stack>... [--out <dir>]
       npm run preview -- --diff <stack> <stack>
stacks: ${STACKS.join(", ")}`;

class UsageError extends Error {}

interface Options {
  stacks: string[];
  out?: string;
  diff: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { stacks: [], diff: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--out") {
      options.out = argv[++i];
      if (options.out === undefined) throw new UsageError("--out needs a directory");
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
  const unknown = options.stacks.filter((s) => !(STACKS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new UsageError(`unknown stack ${unknown.join(", ")}`);
  if (options.diff && options.stacks.length !== 2) throw new UsageError("--diff compares exactly two stacks");
  if (options.stacks.length === 0) throw new UsageError("name at least one stack");
  return options;
}

async function preview(options: Options): Promise<void> {
  const started = Date.now();
  for (const stack of options.stacks) {
    const stackStarted = Date.now();
    const rendered = await renderStack(stack);
    console.log(previewReport(rendered, Date.now() - stackStarted));
    if (options.out !== undefined) {
      const dir = options.stacks.length === 1 ? options.out : path.join(options.out, stack);
      const files = writeManifests(rendered, dir);
      console.log(`\nManifests (secrets redacted): ${files.length} files in ${dir}`);
      files.forEach((file) => console.log(`    ${path.relative(dir, file)}`));
    }
    console.log("");
  }
  if (options.stacks.length > 1) {
    console.log(`${options.stacks.length} stacks rendered in ${Date.now() - started} ms`);
  }
}

async function main(): Promise<number> {
  try {
    const options = parseArgs(process.argv.slice(2));
    if (options.diff) {
      console.log(diffReport(options.stacks[0], options.stacks[1]));
    } else {
      await preview(options);
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error([error.message, USAGE].filter((line) => line !== "").join("\n"));
      return 2;
    }
    if (error instanceof StackConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

main().then((code) => process.exit(code));
