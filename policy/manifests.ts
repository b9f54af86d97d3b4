// Plain Kubernetes YAML as the resources a Pulumi program would have registered, so the pack can check
// manifests that did not come from Pulumi: apiVersion and kind become the Pulumi type token.
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { KubernetesObject, typeTokenFor } from "./lib/k8s";
import type { StackResource } from "./runner";

export const MANIFEST_STACK = "manifests";

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

interface Located {
  object: KubernetesObject;
  where: string;
}

function objectsIn(document: unknown, where: string): Located[] {
  if (document === null || document === undefined) {
    return [];
  }
  const object = document as KubernetesObject;
  if (typeof document !== "object" || typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
    throw new Error(`${where}: not a Kubernetes object (apiVersion and kind are required)`);
  }
  if (object.kind.endsWith("List") && Array.isArray(object.items)) {
    return (object.items as unknown[]).flatMap((item, index) => objectsIn(item, `${where} items[${index}]`));
  }
  return [{ object, where }];
}

function resourceFor(object: KubernetesObject, project: string, source: string): StackResource {
  const type = typeTokenFor(object.apiVersion as string, object.kind as string);
  const name = object.metadata?.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : String(object.metadata?.name ?? "");
  return {
    type,
    name,
    urn: `urn:pulumi:${MANIFEST_STACK}::${project}::${type}::${name}`,
    props: object as Record<string, unknown>,
    source,
  };
}

/** Every object in a YAML text (multi-document, `kind: List` flattened). `file` names it in errors and reports. */
export function parseManifests(text: string, file: string): StackResource[] {
  const project = path.basename(file);
  return parseAllDocuments(text).flatMap((document, index) => {
    const where = `${file}#${index + 1}`;
    if (document.errors.length > 0) {
      throw new Error(`${where}: ${document.errors[0].message}`);
    }
    return objectsIn(withoutNulls(document.toJS()), where).map((located) => resourceFor(located.object, project, located.where));
  });
}

export function loadManifests(files: string[]): StackResource[] {
  return files.flatMap((file) => parseManifests(fs.readFileSync(file, "utf8"), file));
}
