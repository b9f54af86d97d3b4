/**
 * Reads the project's config the way the Pulumi CLI does for `pulumi up --stack <name>`: Pulumi.yaml's
 * project-level defaults, overlaid by stacks/Pulumi.<stack>.yaml, each value rendered as the text
 * `pulumi.Config.get` returns (structured values as JSON).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { OPERATOR_SECRET_KEYS, PROJECT } from "../config";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const STACKS = ["dev", "test", "staging", "prod"] as const;

/** Where a Pulumi project's files are: its name, the folder of its Pulumi.yaml, and its stackConfigDir. */
export interface ProjectFiles {
  name: string;
  dir: string;
  stackConfigDir: string;
  /**
   * Secret keys an operator sets with `--secret` and never commits: offline, where nobody sets them, each stands in
   * as its `offlineSecretValue`, so a stack file that needs one still renders; a stack file or override wins.
   */
  operatorSecrets?: readonly string[];
}

/** This repository's environment project (Pulumi.yaml at the root, stacks/); the default of every function here. */
export const ENVIRONMENT_PROJECT: ProjectFiles = {
  name: PROJECT,
  dir: REPO_ROOT,
  stackConfigDir: "stacks",
  operatorSecrets: OPERATOR_SECRET_KEYS,
};

/** A config value as written in YAML; `{ secure: … }` is an encrypted value. */
type YamlValue = unknown;

export interface StackConfigValues {
  /** Full key (`football-prediction:image`) → config text. */
  values: Record<string, string>;
  /** Full keys whose value was `secure:` in the stack file. */
  secretKeys: string[];
}

/**
 * Offline runs have no secrets provider to decrypt `secure:` values, so each is replaced by this recognisable
 * stand-in; the program still receives it as a secret.
 */
export function offlineSecretValue(key: string): string {
  return `offline-secret-for-${key}`;
}

function fullKey(key: string, project: string = PROJECT): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

function readYaml(file: string): Record<string, unknown> {
  const parsed: unknown = parse(readFileSync(file, "utf8"));
  return parsed !== null && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
}

/** Pulumi.yaml `config:` entries: a bare value, or a declaration whose `default`/`value` applies to every stack. */
export function projectDefaults(files: ProjectFiles = ENVIRONMENT_PROJECT): Record<string, YamlValue> {
  const project = readYaml(path.join(files.dir, "Pulumi.yaml"));
  const declarations = (project.config ?? {}) as Record<string, unknown>;
  const defaults: Record<string, YamlValue> = {};
  for (const [key, declaration] of Object.entries(declarations)) {
    if (declaration !== null && typeof declaration === "object" && !Array.isArray(declaration)) {
      const d = declaration as Record<string, unknown>;
      const value = d.value ?? d.default;
      if (value !== undefined) {
        defaults[fullKey(key, files.name)] = value;
      }
    } else {
      defaults[fullKey(key, files.name)] = declaration;
    }
  }
  return defaults;
}

export function stackFile(stack: string, files: ProjectFiles = ENVIRONMENT_PROJECT): string {
  return path.join(files.dir, files.stackConfigDir, `Pulumi.${stack}.yaml`);
}

export function stackValues(stack: string, files: ProjectFiles = ENVIRONMENT_PROJECT): Record<string, YamlValue> {
  const file = readYaml(stackFile(stack, files));
  const config = (file.config ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [fullKey(key, files.name), value]));
}

function isSecure(value: YamlValue): value is { secure: string } {
  return value !== null && typeof value === "object" && "secure" in value && Object.keys(value).length === 1;
}

/**
 * Applies `overrides` by path, the way `pulumi config set --path` does: `"image.tag": "latest"` changes one field
 * of the `image` object, and `undefined` removes a key or field.
 */
export function applyOverrides(config: Record<string, YamlValue>, overrides: Record<string, unknown>, project: string = PROJECT): void {
  for (const [keyPath, value] of Object.entries(overrides)) {
    const [head, ...rest] = keyPath.replace(/^[^:]+:/, "").split(".");
    const key = fullKey(head, project);
    if (rest.length === 0) {
      if (value === undefined) {
        delete config[key];
      } else {
        config[key] = value;
      }
      continue;
    }
    const root = structuredClone((config[key] ?? {}) as Record<string, unknown>);
    let node = root;
    for (const part of rest.slice(0, -1)) {
      node[part] = structuredClone((node[part] ?? {}) as Record<string, unknown>);
      node = node[part] as Record<string, unknown>;
    }
    const leaf = rest[rest.length - 1];
    if (value === undefined) {
      delete node[leaf];
    } else {
      node[leaf] = value;
    }
    config[key] = root;
  }
}

/** The config a stack's program sees, with `overrides` (keys relative to the project namespace) applied last. */
export function loadStackConfig(
  stack: string,
  overrides: Record<string, unknown> = {},
  files: ProjectFiles = ENVIRONMENT_PROJECT,
): StackConfigValues {
  const standIns = Object.fromEntries((files.operatorSecrets ?? []).map((key) => [fullKey(key, files.name), { secure: "offline" }]));
  const merged: Record<string, YamlValue> = { ...projectDefaults(files), ...standIns, ...stackValues(stack, files) };
  applyOverrides(merged, overrides, files.name);
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(merged)) {
    if (isSecure(value)) {
      values[key] = offlineSecretValue(key);
      secretKeys.push(key);
    } else {
      values[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { values, secretKeys };
}
