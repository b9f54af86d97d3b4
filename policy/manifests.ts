// Plain Kubernetes YAML as the resources a Pulumi program would have registered, so the pack can check
// manifests that did not come from Pulumi: apiVersion and kind become the Pulumi type token. A document that is
// not YAML or not a Kubernetes object becomes a problem naming its file, document and field; the other
// documents are still checked.
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { KubernetesObject, typeTokenFor } from "./lib/k8s";
import type { PolicyViolation, StackResource } from "./runner";

export const MANIFEST_STACK = "manifests";

/** A document the pack cannot check, with where it is: `deploy/api.yaml#2` (documents count from 1). */
export interface ManifestProblem {
  source: string;
  message: string;
}

export interface Manifests {
  resources: StackResource[];
  problems: ManifestProblem[];
  /** Paths that could not be read, with why: these make the run fail with exit status 2. */
  unreadable: string[];
}

/** YAML `null` (`field: ~`, `field:`) means an unset field to the API server; drop it so policies see it unset. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(withoutNulls);
  }
  if (value === null || typeof value !== "object") {
    return value;
  }
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, child]) => child !== null)
      .map(([key, child]) => [key, withoutNulls(child)]),
  );
}

function describeValue(value: unknown): string {
  return Array.isArray(value) ? "a list" : value === null ? "null" : `a ${typeof value}`;
}

/** Why a document is not a Kubernetes object, naming the field; undefined when it is one. */
function notAnObject(document: unknown): string | undefined {
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    return `the document is ${describeValue(document)}, not a Kubernetes object (a mapping with apiVersion and kind)`;
  }
  const object = document as KubernetesObject;
  for (const field of ["apiVersion", "kind"] as const) {
    if (object[field] === undefined) {
      return `${field} is missing; every Kubernetes object needs apiVersion and kind`;
    }
    if (typeof object[field] !== "string" || object[field] === "") {
      return `${field} must be a non-empty string, not ${describeValue(object[field])}`;
    }
  }
  return undefined;
}

function resourceFor(object: KubernetesObject, project: string, source: string): StackResource {
  const type = typeTokenFor(object.apiVersion as string, object.kind as string);
  const name = object.metadata?.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : String(object.metadata?.name ?? "(unnamed)");
  return {
    type,
    name,
    urn: `urn:pulumi:${MANIFEST_STACK}::${project}::${type}::${name}`,
    props: object as Record<string, unknown>,
    source,
  };
}

/** The objects of one document, `kind: List` flattened; each problem goes to `problems`. */
function objectsIn(document: unknown, source: string, project: string, problems: ManifestProblem[]): StackResource[] {
  if (document === null || document === undefined) {
    return [];
  }
  const problem = notAnObject(document);
  if (problem) {
    problems.push({ source, message: problem });
    return [];
  }
  const object = document as KubernetesObject;
  if (object.kind === "List" || (object.kind?.endsWith("List") && object.items !== undefined)) {
    if (!Array.isArray(object.items)) {
      problems.push({ source, message: `items must be a list of objects, not ${describeValue(object.items)}` });
      return [];
    }
    return object.items.flatMap((item, index) => objectsIn(item, `${source} items[${index}]`, project, problems));
  }
  return [resourceFor(object, project, source)];
}

/** Every object in a YAML text (multi-document, `kind: List` flattened). `file` names it in problems and reports. */
export function parseManifests(text: string, file: string): Pick<Manifests, "resources" | "problems"> {
  const project = path.basename(file);
  const problems: ManifestProblem[] = [];
  const resources = parseAllDocuments(text).flatMap((document, index) => {
    const source = `${file}#${index + 1}`;
    if (document.errors.length > 0) {
      problems.push(...document.errors.map((error) => ({ source, message: `YAML syntax error: ${error.message.split("\n")[0].replace(/:$/, "")}` })));
      return [];
    }
    try {
      return objectsIn(withoutNulls(document.toJS()), source, project, problems);
    } catch (error) {
      problems.push({ source, message: `YAML error: ${(error as Error).message.split("\n")[0]}` });
      return [];
    }
  });
  return { resources, problems };
}

const YAML_FILE = /\.ya?ml$/i;

/** The YAML files under a directory, depth first in name order; hidden directories and node_modules are skipped. */
function yamlFilesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const child = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        return entry.name.startsWith(".") || entry.name === "node_modules" ? [] : yamlFilesUnder(child);
      }
      return entry.isFile() && YAML_FILE.test(entry.name) ? [child] : [];
    });
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" ? "no such file or directory" : code === "EACCES" ? "permission denied" : (error as Error).message;
}

/** Reads the files and directories given (a directory stands for every YAML file under it). */
export function loadManifests(paths: string[]): Manifests {
  const result: Manifests = { resources: [], problems: [], unreadable: [] };
  for (const given of paths) {
    let files: string[];
    try {
      files = fs.statSync(given).isDirectory() ? yamlFilesUnder(given) : [given];
    } catch (error) {
      result.unreadable.push(`${given}: ${reason(error)}`);
      continue;
    }
    if (files.length === 0) {
      result.unreadable.push(`${given}: no .yaml or .yml files in this directory`);
    }
    for (const file of files) {
      try {
        const parsed = parseManifests(fs.readFileSync(file, "utf8"), file);
        result.resources.push(...parsed.resources);
        result.problems.push(...parsed.problems);
      } catch (error) {
        result.unreadable.push(`${file}: ${reason(error)}`);
      }
    }
  }
  return result;
}

/** Problems as the report shows them: mandatory whatever the config says, since nothing else can check them. */
export function problemViolations(problems: ManifestProblem[]): PolicyViolation[] {
  return problems.map((problem) => ({
    policyName: "manifest-syntax",
    description: "Every YAML document must parse and be a Kubernetes object with apiVersion and kind: fix the document the violation names.",
    message: problem.message,
    enforcementLevel: "mandatory",
    severity: "high",
    source: problem.source,
  }));
}
