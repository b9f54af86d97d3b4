/**
 * Turns a rendered stack into the Kubernetes manifests `pulumi up` would apply, for reading and for schema checks.
 * Every value that was a Pulumi secret is replaced by a marker; Secret keys stay visible, their values do not.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import type { RenderedResource, RenderedStack } from "./render";

export const REDACTED = "<secret: redacted>";

export interface Manifest {
  /** The resource it was rendered from. */
  resource: RenderedResource;
  /** Logical name of the component that owns it (the file it is written to). */
  component: string;
  object: Record<string, unknown>;
}

/**
 * Objects the stack creates. Patch resources (`…Patch` types, e.g. the claims' size) are left out: they change a
 * few fields of an object that exists already, and are no manifest of their own.
 */
function isKubernetesObject(resource: RenderedResource): boolean {
  return (
    resource.custom &&
    resource.type.startsWith("kubernetes:") &&
    !resource.type.endsWith("Patch") &&
    typeof resource.inputs.kind === "string"
  );
}

function redactAll(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(redactAll);
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactAll(v)]));
  }
  return REDACTED;
}

/** Splits `a.b[2].c` into `["a", "b", 2, "c"]`. */
function pathParts(at: string): Array<string | number> {
  return [...at.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] === undefined ? m[1] : Number(m[2])));
}

function redactPath(root: Record<string, unknown>, at: string): void {
  const parts = pathParts(at);
  const last = parts.pop();
  let node: unknown = root;
  for (const part of parts) {
    node = (node as Record<string | number, unknown>)[part];
  }
  if (last !== undefined && node !== null && typeof node === "object") {
    const container = node as Record<string | number, unknown>;
    container[last] = redactAll(container[last]);
  }
}

/** The Kubernetes object of a resource, secrets redacted; key order as the API server prints it. */
export function manifestObject(resource: RenderedResource): Record<string, unknown> {
  const object = structuredClone(resource.inputs);
  for (const at of resource.secretPaths) {
    redactPath(object, at);
  }
  const { apiVersion, kind, metadata, ...rest } = object;
  return { apiVersion, kind, metadata, ...rest };
}

/** The component a resource belongs to: the nearest ancestor that is a component of the program. */
function componentOf(resource: RenderedResource, byUrn: Map<string, RenderedResource>): string {
  let current = resource;
  for (;;) {
    const parent = current.parent === undefined ? undefined : byUrn.get(current.parent);
    if (parent === undefined || parent.type === "pulumi:pulumi:Stack") {
      return current === resource ? "stack" : current.name;
    }
    current = parent;
  }
}

export function manifests(rendered: RenderedStack): Manifest[] {
  const byUrn = new Map(rendered.resources.map((r) => [r.urn, r]));
  return rendered.resources
    .filter(isKubernetesObject)
    .map((resource) => ({ resource, component: componentOf(resource, byUrn), object: manifestObject(resource) }));
}

/**
 * Writes one multi-document YAML file per component (`NN-<component>.yaml`, in program order) into `dir`,
 * replacing what a previous run left there.
 */
export function writeManifests(rendered: RenderedStack, dir: string): string[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const byComponent = new Map<string, Manifest[]>();
  for (const manifest of manifests(rendered)) {
    byComponent.set(manifest.component, [...(byComponent.get(manifest.component) ?? []), manifest]);
  }
  // Program order: the order the top-level components registered in.
  const order = rendered.resources.filter((r) => !r.custom).map((r) => r.name);
  const components = [...byComponent.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const written: string[] = [];
  components.forEach((component, index) => {
    const items = byComponent.get(component) ?? [];
    const file = path.join(dir, `${String(index + 1).padStart(2, "0")}-${component}.yaml`);
    const header = `# ${rendered.stack}: ${component} (${items.length} objects), rendered offline; secrets redacted.\n`;
    const documents = items.map((m) => stringify(m.object, { lineWidth: 0 }));
    writeFileSync(file, header + documents.join("---\n"));
    written.push(file);
  });
  return written;
}
