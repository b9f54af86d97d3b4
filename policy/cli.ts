// `npm run policy -- check [--config <stack|file>] <manifest.yaml>...`: runs the pack over plain Kubernetes
// YAML and prints each violation with how to fix it. Exit status: 0 clean or advisory only, 1 when a
// mandatory policy is violated, 2 on a usage, manifest or config error.
import { loadManifests, MANIFEST_STACK } from "./manifests";
import { formatReport, hasMandatoryViolations, loadPolicyConfig, runPolicies } from "./runner";
import type { PolicyPackConfig } from "@pulumi/policy";

const USAGE = `usage: npm run policy -- check [--config <stack|file.json>] <manifest.yaml>...

  Checks Kubernetes manifests (multi-document YAML) against the policy pack.
  --config  a stack (dev, test, staging, prod: policy/config/<stack>.json) or a --policy-pack-config file;
            without it every policy is mandatory.`;

interface CheckArgs {
  config?: string;
  files: string[];
}

function parseArgs(argv: string[]): CheckArgs | undefined {
  const [command, ...rest] = argv;
  if (command !== "check") {
    return undefined;
  }
  const args: CheckArgs = { files: [] };
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--config") {
      args.config = rest[++i];
      if (args.config === undefined) {
        return undefined;
      }
    } else {
      args.files.push(rest[i]);
    }
  }
  return args.files.length > 0 ? args : undefined;
}

async function check(args: CheckArgs): Promise<number> {
  const config: PolicyPackConfig = args.config ? loadPolicyConfig(args.config) : {};
  const report = await runPolicies(loadManifests(args.files), config, { stack: args.config ?? MANIFEST_STACK });
  console.log(formatReport(report));
  return hasMandatoryViolations(report) ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (!args) {
    console.error(USAGE);
    return 2;
  }
  try {
    return await check(args);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
