// Reading custom resources, which no schema here checks (CRD validation is `npm run validate`'s job): any field may
// have any type, or be unknown during preview, so these helpers skip what does not have the expected shape instead
// of throwing, and name every value by its path in the object for messages.
import type { KubernetesObject } from "./k8s";
import { isUnknown } from "./schema";

export type Fields = Record<string, unknown>;

/** The value as an object; undefined for a list, a scalar, null or a value unknown during preview. */
export function fieldsOf(value: unknown): Fields | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Fields) : undefined;
}

export interface Located<T> {
  value: T;
  /** Where the value is, e.g. `spec.endpoints[0].tlsConfig.caFile`. */
  path: string;
}

/** The objects of a list field, with their paths (`spec.groups[2]`). */
export function objectsAt(value: unknown, path: string): Array<Located<Fields>> {
  return (Array.isArray(value) ? value : []).flatMap((item, index) => {
    const fields = fieldsOf(item);
    return fields ? [{ value: fields, path: `${path}[${index}]` }] : [];
  });
}

/** The strings of a list field, e.g. a namespaceSelector's matchNames. */
export function stringsIn(value: unknown): string[] {
  return (Array.isArray(value) ? value : []).filter((item): item is string => typeof item === "string");
}

/** A string that is known: undefined for anything else, and for a value unknown during preview. */
export function knownString(value: unknown): string | undefined {
  return typeof value === "string" && !isUnknown(value) ? value : undefined;
}

/** The value at a dotted path below an object (`httpConfig.basicAuth.password`), or undefined. */
export function valueAt(fields: Fields, dotted: string): unknown {
  return dotted.split(".").reduce<unknown>((current, key) => fieldsOf(current)?.[key], fields);
}

/** Every known string below a value whose own key passes `test`, at any depth, lists included. */
export function stringsWhere(value: unknown, path: string, test: (key: string) => boolean): Array<Located<string>> {
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => stringsWhere(item, `${path}[${index}]`, test));
  }
  return Object.entries(fieldsOf(value) ?? {}).flatMap(([key, child]) => {
    const childPath = `${path}.${key}`;
    const text = knownString(child);
    return text !== undefined ? (test(key) ? [{ value: text, path: childPath }] : []) : stringsWhere(child, childPath, test);
  });
}

/**
 * The fields that name a file (`bearerTokenFile`, `tlsConfig.caFile`, a receiver's `tokenFile`, …), which the
 * Prometheus Operator passes on for Prometheus or Alertmanager to read from its own pod's filesystem.
 */
export function fileFields(value: unknown, path: string): Array<Located<string>> {
  return stringsWhere(value, path, (key) => /File$/.test(key)).filter((field) => field.value !== "");
}

/** A namespaced object's namespace (`default` when unset), or undefined while it is unknown during preview. */
export function knownNamespaceOf(object: KubernetesObject): string | undefined {
  return object.metadata?.namespace === undefined ? "default" : knownString(object.metadata.namespace);
}
