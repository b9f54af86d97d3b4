// `npm run validate -- --crds <dir> <manifest dir or file>...`: validates every custom resource in rendered
// manifests (`npm run preview -- <stack> --out <dir>`) against the real CRD of its group, version and kind.
// Exit status, like the policy CLI: 0 all valid, 1 an invalid custom resource or one without a CRD in the folder,
// 2 a usage, manifest or CRD-folder error.
import { loadManifests } from "../policy/manifests";
import { loadCrdFolder } from "./crds";
import { CrdValidator, formatValidationReport, hasProblems } from "./validator";

const USAGE = `usage: npm run validate -- --crds <dir> <manifest dir or file>...

  Validates every custom resource in the manifests (multi-document YAML; folders are read recursively) against the
  openAPIV3Schema of its CRD in --crds: type errors, unknown fields, required fields, enums, patterns and bounds.
  CEL rules (x-kubernetes-validations) are reported as not evaluated.`;

class UsageError extends Error {}

function parseArgs(argv: string[]): { crds: string; paths: string[] } {
  let crds: string | undefined;
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === "--crds") {
      crds = argv[++i];
      if (crds === undefined) throw new UsageError("--crds needs a directory");
    } else if (argv[i] === "--help" || argv[i] === "-h") {
      throw new UsageError("");
    } else if (argv[i].startsWith("-")) {
      throw new UsageError(`unknown option ${argv[i]}`);
    } else {
      paths.push(argv[i]);
    }
  }
  if (crds === undefined) throw new UsageError("--crds <dir> is required");
  if (paths.length === 0) throw new UsageError("name at least one manifest file or directory");
  return { crds, paths };
}

function main(argv: string[]): number {
  let args: { crds: string; paths: string[] };
  try {
    args = parseArgs(argv);
  } catch (error) {
    console.error([(error as Error).message, USAGE].filter((line) => line !== "").join("\n"));
    return 2;
  }
  try {
    const validator = new CrdValidator(loadCrdFolder(args.crds));
    const manifests = loadManifests(args.paths);
    const unusable = [...manifests.unreadable, ...manifests.problems.map((problem) => `${problem.source}: ${problem.message}`)];
    if (unusable.length > 0) {
      console.error(unusable.join("\n"));
      return 2;
    }
    const documents = manifests.resources.map((r) => ({ source: r.source ?? r.name, object: r.props }));
    const report = validator.validate(documents);
    console.log(formatValidationReport(report));
    return hasProblems(report) ? 1 : 0;
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
