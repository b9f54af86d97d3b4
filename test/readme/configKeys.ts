/**
 * Whether a Pulumi project accepts a config key (`pulumi config set [--path] <key> <value>`): a top-level key must be
 * declared in its Pulumi.yaml, and a `--path` below it must lead somewhere the project's settings schema (zod)
 * has a field; a concrete value must pass that field's schema.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { PROJECT, settingsSchema } from "../../infra/config";
import { platformSettingsSchema } from "../../platform/config";
import { PLATFORM_PROJECT } from "../../platform/outputs";

/** The settings schema of each Pulumi project in this repository, by project name. */
const SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  [PROJECT]: settingsSchema,
  [PLATFORM_PROJECT]: platformSettingsSchema,
};

export interface PulumiProject {
  name: string;
  dir: string;
  /** Stack files live in `<dir>/<stackConfigDir>/Pulumi.<stack>.yaml`. */
  stackConfigDir: string;
  declaredKeys: Set<string>;
}

/** The project a Pulumi command run in `cwd` uses: the nearest Pulumi.yaml at or above it, up to `root`. */
export function projectAt(cwd: string, root: string): PulumiProject | undefined {
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "Pulumi.yaml");
    if (existsSync(file)) {
      const yaml = parseYaml(readFileSync(file, "utf8")) as { name: string; stackConfigDir?: string; config?: Record<string, unknown> };
      return { name: yaml.name, dir, stackConfigDir: yaml.stackConfigDir ?? ".", declaredKeys: new Set(Object.keys(yaml.config ?? {})) };
    }
    if (dir === root || dir === path.dirname(dir)) return undefined;
  }
}

/** `backups.s3.cidrs[0]` → ["backups", "s3", "cidrs", 0], as `pulumi config set --path` reads it. */
export function keyPath(key: string): Array<string | number> {
  return [...key.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((match) => (match[2] !== undefined ? Number(match[2]) : match[1]));
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  element?: z.ZodType;
  items?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  getter?: () => z.ZodType;
}

const def = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schemas a value at `part` below `schema` must pass: none if no field by that name exists there. */
function children(schema: z.ZodType, part: string | number): z.ZodType[] {
  const d = def(schema);
  switch (d.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
    case "nonoptional":
      return children(d.innerType as z.ZodType, part);
    case "pipe":
      return children(d.in as z.ZodType, part);
    case "lazy":
      return children((d.getter as () => z.ZodType)(), part);
    case "union":
      return (d.options ?? []).flatMap((option) => children(option, part));
    case "intersection":
      return [...children(d.left as z.ZodType, part), ...children(d.right as z.ZodType, part)];
    case "object": {
      const field = typeof part === "string" ? d.shape?.[part] : undefined;
      return field !== undefined ? [field] : d.catchall !== undefined && def(d.catchall).type !== "never" ? [d.catchall] : [];
    }
    case "record":
      return typeof part === "string" ? [d.valueType as z.ZodType] : [];
    case "array":
      return typeof part === "number" ? [d.element as z.ZodType] : [];
    case "tuple":
      return typeof part === "number" && d.items?.[part] !== undefined ? [d.items[part]] : [];
    default:
      return [];
  }
}

/**
 * What is wrong with setting `key` (with `--path` or not) to `value` in `project`, or undefined when nothing is.
 * `value` undefined skips the value check (a placeholder, a variable, a secret).
 */
export function configKeyProblem(project: PulumiProject, key: string, usesPath: boolean, value?: unknown): string | undefined {
  const bare = key.startsWith(`${project.name}:`) ? key.slice(project.name.length + 1) : key;
  if (bare.includes(":")) return undefined; // another namespace (a provider's): not this project's to declare
  const parts = usesPath ? keyPath(bare) : [bare];
  const [top, ...below] = parts;
  if (typeof top !== "string" || !project.declaredKeys.has(top)) {
    return `config key "${top}" is not declared in ${path.basename(project.dir)}/Pulumi.yaml (project ${project.name})`;
  }
  const root = SCHEMAS[project.name];
  if (root === undefined) return below.length > 0 ? `no settings schema known for project ${project.name}` : undefined;
  let schemas = children(root, top);
  for (const [index, part] of below.entries()) {
    schemas = schemas.flatMap((schema) => children(schema, part));
    if (schemas.length === 0) return `config key path "${bare}" has no field "${parts.slice(0, index + 2).join(".")}" in project ${project.name}`;
  }
  if (value !== undefined && schemas.length > 0 && !schemas.some((schema) => schema.safeParse(value).success)) {
    const issue = schemas[0].safeParse(value).error?.issues[0]?.message ?? "invalid";
    return `config key "${bare}": the value ${JSON.stringify(value)} is refused (${issue})`;
  }
  return undefined;
}
