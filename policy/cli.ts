// `npm run policy -- check [--config <stack|file>] [--strict-kinds] <file|directory>...`: runs the pack over plain
// Kubernetes YAML and prints each violation with how to fix it, naming the file and document. Exit status: 0
// clean or advisory only, 1 when a mandatory policy is violated (a document that does not parse counts), 2 on a
// usage or config error or a path that cannot be read.
import type { PolicyPackConfig } from "@pulumi/policy";
import { loadManifests, MANIFEST_STACK, problemViolations } from "./manifests";
import { formatReport, hasMandatoryViolations, loadPolicyConfig, runPolicies } from "./runner";

const USAGE = `usage: npm run policy -- check [--config <stack|file.json>] [--strict-kinds] <file|directory>...

  Checks Kubernetes manifests (multi-document YAML; a directory stands for every .yaml and .yml file under it)
  against the policy pack.
  --config        a stack (dev, test, staging, prod: policy/config/<stack>.json) or a --policy-pack-config file;
                  without it every policy is mandatory except kubernetes-known-kind, which warns.
  --strict-kinds  make kubernetes-known-kind mandatory: an unknown apiVersion or kind fails the check.

  Exit status: 0 no mandatory violation, 1 mandatory violations, 2 usage, config or unreadable input.`;

const KNOWN_KIND_POLICY = "kubernetes-known-kind";

interface CheckArgs {
  config?: string;
  strictKinds: boolean;
  paths: string[];
}

function parseArgs(argv: string[]): CheckArgs | undefined {
  const [command, ...rest] = argv;
  if (command !== "check") {
    return undefined;
  }
  const args: CheckArgs = { strictKinds: false, paths: [] };
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--config") {
      args.config = rest[++i];
      if (args.config === undefined) {
        return undefined;
      }
    } else if (rest[i] === "--strict-kinds") {
      args.strictKinds = true;
    } else if (rest[i].startsWith("--")) {
      return undefined;
    } else {
      args.paths.push(rest[i]);
    }
  }
  return args.paths.length > 0 ? args : undefined;
}

/** The config with kubernetes-known-kind made mandatory, keeping the properties the config gives it. */
function withStrictKinds(config: PolicyPackConfig): PolicyPackConfig {
  const entry = config[KNOWN_KIND_POLICY];
  return { ...config, [KNOWN_KIND_POLICY]: typeof entry === "object" ? { ...entry, enforcementLevel: "mandatory" } : "mandatory" };
}

/** Where the command writes: the report to `out`, usage and input errors to `err`. */
export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

async function check(args: CheckArgs, output: Output): Promise<number> {
  const loaded: PolicyPackConfig = args.config ? loadPolicyConfig(args.config) : {};
  const config = args.strictKinds ? withStrictKinds(loaded) : loaded;
  const manifests = loadManifests(args.paths);
  const report = await runPolicies(manifests.resources, config, { stack: args.config ?? MANIFEST_STACK });
  report.violations.unshift(...problemViolations(manifests.problems));
  output.out(formatReport(report));
  for (const unreadable of manifests.unreadable) {
    output.err(`cannot read ${unreadable}`);
  }
  return manifests.unreadable.length > 0 ? 2 : hasMandatoryViolations(report) ? 1 : 0;
}

/** Runs the command line (without `node cli.ts`) and returns the exit status. */
export async function runCli(argv: string[], output: Output = { out: console.log, err: console.error }): Promise<number> {
  const args = parseArgs(argv);
  if (!args) {
    output.err(USAGE);
    return 2;
  }
  try {
    return await check(args, output);
  } catch (error) {
    output.err((error as Error).message);
    return 2;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
