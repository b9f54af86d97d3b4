/**
 * What `pulumi preview --diff` would do to go from one render of a stack (the base) to another (the working tree):
 * resources matched by URN, each diffed field by field, then the provider's rules (./rules.ts) decide between
 * update, replace and delete-before-replace, and the engine's rule for dependants of a resource deleted before its
 * replacement is applied until nothing more changes. A model of those rules: a real `pulumi preview` against the
 * live state remains the authority (it also sees drift, and fields the cluster defaults).
 */
import type { RenderedResource, RenderedStack } from "../offline/render";
import {
  CLUSTER_IDENTIFIER,
  deletesBeforeReplace,
  forceNewFields,
  forcesReplacement,
  isDestructiveKind,
  isWithin,
  KUBERNETES_PROVIDER,
  kubernetesType,
  PROVIDER_CLUSTER_INPUTS,
  REPLACE_UNREADY_ANNOTATION,
  type ProviderOptions,
} from "./rules";

export type Operation = "create" | "update" | "replace" | "delete";

export interface PlannedChange {
  op: Operation;
  type: string;
  name: string;
  urn: string;
  /** Changed input paths (`.data.LOG_LEVEL`); for a replacement caused by a dependency, the inputs marked unknown. */
  changed: string[];
  /** For a replacement: the paths that force it (changed, or unknown because of `cause`). */
  replaceReasons: string[];
  /** For a replacement forced by another resource: which, and how. */
  cause?: string;
  deleteBeforeReplace: boolean;
  /** `protect` is set: `pulumi up` refuses to replace or delete it, and stops. */
  protect: boolean;
  /** `retainOnDelete` is set: a delete only forgets it, the object stays in the cluster. */
  retainOnDelete: boolean;
  /** A Namespace, StatefulSet, PVC, Deployment, Service, Job or database object that would be replaced or deleted. */
  destructive: boolean;
  /** For a destructive change: the reason a reviewer gave when approving it (./approvals.ts). */
  approved?: string;
}

export interface Plan {
  stack: string;
  changes: PlannedChange[];
  counts: Record<Operation | "same", number>;
  /** Notes about the model's limits for this pair of renders (printed under the summary). */
  notes: string[];
}

const UNKNOWN = "<unknown>";

type Json = unknown;

function pathJoin(parent: string, key: string | number): string {
  return typeof key === "number" ? `${parent}[${key}]` : `${parent}.${key}`;
}

function isObject(value: Json): value is Record<string, Json> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Leaf paths where `before` and `after` differ; a value that appears, goes or changes shape is one path. */
export function diffPaths(before: Json, after: Json, at = ""): string[] {
  if (isObject(before) && isObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].sort().flatMap((key) => diffPaths(before[key], after[key], pathJoin(at, key)));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((value, i) => diffPaths(value, after[i], pathJoin(at, i)));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [at === "" ? "." : at];
}

/**
 * `ignoreChanges` paths (`spec.replicas`, `metadata.annotations["a.b/c"]`): the engine diffs the old value there
 * instead of the program's, so nothing under them counts as changed.
 */
function withoutIgnored(changed: string[], ignoreChanges: string[]): string[] {
  const ignored = ignoreChanges.map((p) => wildcard(`.${p.replace(/\["([^"]*)"\]/g, ".$1")}`));
  return changed.filter((path) => !ignored.some((field) => isWithin(wildcard(path), field)));
}

/** `.spec.containers[2].env` → `.spec.containers[*].env`, the form the provider's tables use. */
function wildcard(path: string): string {
  return path.replace(/\[\d+\]/g, "[*]");
}

/**
 * Generated values differ between two renders (the mock has no state); Pulumi keeps them while the random
 * resource's inputs stay the same. So each unchanged random resource's base value is mapped onto the working
 * tree's, wherever it was used (a password inside a URL too). A base render that cannot say which resource made
 * which value (older code) gets every generated value masked alike, and a note that rotations cannot be seen.
 */
function alignGeneratedValues(base: RenderedStack, head: RenderedStack, notes: string[]): (value: Json) => Json {
  const pairs: [string, string][] = [];
  if (base.generated === undefined) {
    notes.push("the base's renderer does not record generated values per resource: secret rotations are not shown");
    for (const value of [...base.generatedSecrets, ...head.generatedSecrets]) pairs.push([value, "<generated>"]);
  } else {
    const headByUrn = new Map(head.resources.map((r) => [r.urn, r]));
    for (const resource of base.resources) {
      const after = headByUrn.get(resource.urn);
      const from = base.generated[resource.urn];
      const to = head.generated[resource.urn];
      if (after !== undefined && from !== undefined && to !== undefined && diffPaths(resource.inputs, after.inputs).length === 0) {
        pairs.push([from, to]);
      }
    }
  }
  const replace = (value: Json): Json => {
    if (typeof value === "string") return pairs.reduce((text, [from, to]) => text.split(from).join(to), value);
    if (Array.isArray(value)) return value.map(replace);
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)]));
    return value;
  };
  return replace;
}

function providerOptions(stack: RenderedStack): ProviderOptions {
  const provider = stack.resources.find((r) => r.type === KUBERNETES_PROVIDER);
  const flag = (key: string) => provider?.inputs[key] === true || provider?.inputs[key] === "true";
  return { enableConfigMapMutable: flag("enableConfigMapMutable"), enableSecretMutable: flag("enableSecretMutable") };
}

/** DiffConfig: a changed cluster replaces the provider, unless an unchanged `clusterIdentifier` vouches for it. */
function providerReplaceReasons(before: Record<string, Json>, after: Record<string, Json>, changed: string[]): string[] {
  const identifierBefore = before[CLUSTER_IDENTIFIER];
  const identifierAfter = after[CLUSTER_IDENTIFIER];
  if (identifierBefore !== undefined && identifierAfter !== undefined && identifierBefore !== identifierAfter) {
    return [`.${CLUSTER_IDENTIFIER}`];
  }
  if (identifierAfter !== undefined && identifierBefore === identifierAfter) return [];
  return changed.filter((path) => PROVIDER_CLUSTER_INPUTS.some((key) => forcesReplacement(path, `.${key}`)));
}

function replaceReasons(resource: RenderedResource, before: Record<string, Json>, changed: string[], options: ProviderOptions): string[] {
  if (resource.type === KUBERNETES_PROVIDER) return providerReplaceReasons(before, resource.inputs, changed);
  const fields = forceNewFields(resource.type, resource.inputs, options);
  return changed.filter((path) => fields.some((field) => forcesReplacement(wildcard(path), field)));
}

function change(op: Operation, resource: RenderedResource, changed: string[] = [], reasons: string[] = [], dbr = false, cause?: string): PlannedChange {
  return {
    ...(cause === undefined ? {} : { cause }),
    op,
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    changed,
    replaceReasons: reasons,
    // The resource option forces delete-before-replace whatever the provider says.
    deleteBeforeReplace: op === "replace" && (dbr || resource.options?.deleteBeforeReplace === true),
    protect: resource.options?.protect === true,
    retainOnDelete: resource.options?.retainOnDelete === true,
    destructive: (op === "replace" || op === "delete") && isDestructiveKind(resource.type),
  };
}

function providerUrn(reference: string | undefined): string | undefined {
  return reference?.split("::").slice(0, -1).join("::");
}

/** The plan from `base` to `head`, two renders of the same stack. */
export function plan(base: RenderedStack, head: RenderedStack): Plan {
  const notes: string[] = [];
  const align = alignGeneratedValues(base, head, notes);
  const before = new Map(base.resources.map((r) => [r.urn, { ...r, inputs: align(r.inputs) as Record<string, Json> }]));
  // Masked values (a base without the per-resource record) must read the same on both sides.
  const after = new Map(head.resources.map((r) => [r.urn, base.generated === undefined ? { ...r, inputs: align(r.inputs) as Record<string, Json> } : r]));
  const options = providerOptions(head);
  const changes = new Map<string, PlannedChange>();

  for (const resource of after.values()) {
    const old = before.get(resource.urn);
    if (old === undefined) {
      changes.set(resource.urn, change("create", resource));
      continue;
    }
    if (!resource.custom) continue;
    const changed = withoutIgnored(diffPaths(old.inputs, resource.inputs), resource.options?.ignoreChanges ?? []);
    if (changed.length === 0) continue;
    const reasons = replaceReasons(resource, old.inputs, changed, options);
    changes.set(
      resource.urn,
      reasons.length === 0
        ? change("update", resource, changed)
        : change("replace", resource, changed, reasons, deletesBeforeReplace(resource.type, old.inputs, resource.inputs)),
    );
  }

  // A replaced provider takes every resource it manages with it.
  for (const resource of after.values()) {
    const provider = providerUrn(resource.provider);
    if (provider === undefined || changes.get(provider)?.op !== "replace" || changes.get(resource.urn)?.op === "create") continue;
    const old = before.get(resource.urn);
    const current = changes.get(resource.urn);
    changes.set(
      resource.urn,
      change(
        "replace",
        resource,
        current?.changed ?? [],
        [],
        old !== undefined && deletesBeforeReplace(resource.type, old.inputs, resource.inputs),
        `its provider ${after.get(provider)?.name} is replaced`,
      ),
    );
  }

  cascadeDeleteBeforeReplace(before, after, changes, options);

  for (const resource of base.resources) {
    if (!after.has(resource.urn)) changes.set(resource.urn, change("delete", resource));
  }

  const unready = head.resources.filter(
    (r) => kubernetesType(r.type)?.kind === "Job" && !changes.has(r.urn) && annotationOf(r, REPLACE_UNREADY_ANNOTATION) === "true",
  );
  if (unready.length > 0) {
    notes.push(
      `${unready.map((r) => r.name).join(", ")}: ${REPLACE_UNREADY_ANNOTATION} replaces ${unready.length === 1 ? "it" : "each"} ` +
        "if its live run has not succeeded, which only a real preview can see",
    );
  }

  const list = [...changes.values()];
  const counts = { create: 0, update: 0, replace: 0, delete: 0, same: 0 };
  for (const c of list) counts[c.op] += 1;
  counts.same = head.resources.length - counts.create - counts.update - counts.replace;
  return { stack: head.stack, changes: list, counts, notes };
}

/**
 * calculateDependentReplacements: for a resource deleted before its replacement, each dependant's inputs built from
 * its outputs become unknown (the engine reads the old state: the base's inputs and dependency record); a dependant
 * whose force-new fields are among them is replaced, deleted first, and its own dependants are examined in turn.
 */
function cascadeDeleteBeforeReplace(
  before: Map<string, RenderedResource>,
  after: Map<string, RenderedResource>,
  changes: Map<string, PlannedChange>,
  options: ProviderOptions,
): void {
  const queue = [...changes.values()].filter((c) => c.op === "replace" && c.deleteBeforeReplace).map((c) => c.urn);
  while (queue.length > 0) {
    const root = queue.shift() as string;
    const rootName = after.get(root)?.name ?? root;
    for (const [urn, old] of before) {
      const current = after.get(urn);
      if (current === undefined || !current.custom || changes.get(urn)?.op === "replace") continue;
      const unknown = Object.entries(old.propertyDependencies ?? current.propertyDependencies ?? {})
        .filter(([, urns]) => urns.includes(root))
        .map(([key]) => `.${key}`);
      if (unknown.length === 0) continue;
      // As the engine does: the dependant's old inputs, with those built from the root made unknown.
      const probe = { ...old, inputs: { ...old.inputs, ...Object.fromEntries(unknown.map((k) => [k.slice(1), UNKNOWN])) } };
      const reasons = replaceReasons(probe, old.inputs, unknown, options);
      if (reasons.length === 0) continue;
      const previous = changes.get(urn)?.changed ?? [];
      // The engine deletes such a dependant before the root goes, and creates it again once the root is back.
      const cause = `unknown while ${rootName} is deleted before its replacement`;
      changes.set(urn, change("replace", current, [...new Set([...previous, ...unknown])], reasons, true, cause));
      queue.push(urn);
    }
  }
}

function annotationOf(resource: RenderedResource, key: string): unknown {
  const metadata = resource.inputs.metadata as { annotations?: Record<string, unknown> } | undefined;
  return metadata?.annotations?.[key];
}
