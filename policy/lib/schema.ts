// Kubernetes objects against the OpenAPI schemas of the built-in kinds that kubernetes-models ships, so a field
// of the wrong type (`containers: "oops"`) is reported with its path instead of tripping up the other policies.
// Custom resources have no schema here: deep CRD validation is `npm run validate`'s job.
import { createRequire } from "module";
import * as proxyModule from "@pulumi/policy/proxy";
import { parseTypeToken } from "./k8s";

interface Model {
  validate(): void;
}
type ModelClass = (new (data: Record<string, unknown>) => Model) & { apiVersion?: string; kind?: string };

interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

// @pulumi/policy ships proxy.js without public typings: the proxy hands out its target under this key, and
// values unknown during preview are these sentinel strings.
const proxy = proxyModule as unknown as Record<string, string>;
const PROXY_TARGET = proxy.getSpecialProxyTarget;
const UNKNOWN_SENTINELS = new Set(
  ["unknownBooleanValue", "unknownNumberValue", "unknownStringValue", "unknownArrayValue", "unknownAssetValue", "unknownArchiveValue", "unknownObjectValue"].map(
    (key) => proxy[key],
  ),
);

/** True for a value the engine does not know yet during preview (an output of a resource not created yet). */
export function isUnknown(value: unknown): boolean {
  return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}

const load = createRequire(__filename);
const models = new Map<string, ModelClass | undefined>();

const GROUP = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const VERSION = /^v[0-9]+((alpha|beta)[0-9]+)?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

/** The kubernetes-models class of a built-in kind (`apps/v1` + `Deployment`), or undefined when there is none. */
export function builtInModel(apiVersion: string, kind: string): ModelClass | undefined {
  const key = `${apiVersion}/${kind}`;
  if (!models.has(key)) {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/", 2) : ["", apiVersion];
    const wellFormed = (group === "" || GROUP.test(group)) && VERSION.test(version) && KIND.test(kind);
    let model: ModelClass | undefined;
    try {
      const module = wellFormed ? (load(`kubernetes-models/${key}`) as Record<string, ModelClass>) : {};
      const candidate = module[kind];
      // Only top-level kinds carry apiVersion and kind; `v1/Container` is a part of a Pod, not an object.
      model = candidate?.apiVersion === apiVersion && candidate.kind === kind ? candidate : undefined;
    } catch {
      model = undefined;
    }
    models.set(key, model);
  }
  return models.get(key);
}

/** The apiVersion of a type token: `kubernetes:apps/v1:Deployment` → `apps/v1`, the core group → `v1`. */
export function apiVersionOf(type: string): string | undefined {
  const token = parseTypeToken(type);
  return token && (token.group === "core" ? token.version : `${token.group}/${token.version}`);
}

/** A copy without the values unknown during preview; their paths are collected so errors about them are ignored. */
function known(value: unknown, path: string, unknown: string[]): unknown {
  if (isUnknown(value)) {
    unknown.push(path);
    return undefined;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => known(item, `${path}/${index}`, unknown));
  }
  if (value === null || typeof value !== "object") {
    return value;
  }
  return Object.fromEntries(
    Object.entries(value)
      .map(([key, child]) => [key, known(child, `${path}/${key}`, unknown)])
      .filter(([, child]) => child !== undefined),
  );
}

/** `/spec/containers/0/image` → `spec.containers[0].image`. */
function fieldPath(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === "" ? part : `${path}.${part}`), "");
}

function describe(error: SchemaError): string {
  if (error.keyword === "required") {
    const parent = fieldPath(error.instancePath);
    const field = String(error.params.missingProperty);
    return `${parent === "" ? field : `${parent}.${field}`} is required`;
  }
  const field = fieldPath(error.instancePath) || "the object";
  if (error.keyword === "enum") {
    return `${field} must be one of ${(error.params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(", ")}`;
  }
  return `${field} ${error.message ?? "is invalid"}`;
}

function errorPointer(error: SchemaError): string {
  return error.keyword === "required" ? `${error.instancePath}/${String(error.params.missingProperty)}` : error.instancePath;
}

/** Results per object: the stack policies ask about the same objects many times. */
const checked = new WeakMap<object, string[]>();

/**
 * What is wrong with an object of a built-in kind, one message per field (`spec.template.spec.containers must be
 * array`); an empty list when it is valid, undefined when the type has no schema here.
 */
export function schemaProblems(type: string, props: unknown): string[] | undefined {
  const token = parseTypeToken(type);
  const apiVersion = apiVersionOf(type);
  const Model = token && apiVersion ? builtInModel(apiVersion, token.kind) : undefined;
  if (!Model || props === null || typeof props !== "object") {
    return undefined;
  }
  const target = ((props as Record<string, unknown>)[PROXY_TARGET] ?? props) as object;
  const cached = checked.get(target);
  if (cached === undefined) {
    checked.set(target, validate(Model, target));
  }
  return checked.get(target);
}

function validate(Model: ModelClass, target: object): string[] {
  const unknown: string[] = [];
  const data = known(target, "", unknown) as Record<string, unknown>;
  try {
    new Model(data).validate();
    return [];
  } catch (error) {
    const errors = ((error as { errors?: SchemaError[] }).errors ?? []).filter(
      (item) => !unknown.some((path) => errorPointer(item) === path || errorPointer(item).startsWith(`${path}/`)),
    );
    return [...new Set(errors.map(describe))];
  }
}
