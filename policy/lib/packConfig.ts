// The `--policy-pack-config` of a stack, reconciled with the pack's policies and validated the way the Pulumi
// engine does it: enforcement levels from `all` and each policy's entry, properties over the schema defaults.
import * as fs from "fs";
import * as path from "path";
import type { EnforcementLevel, Policies, PolicyPackConfig, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { validateJsonSchema } from "./jsonSchema";
import { packEnforcementLevel, packName, policies as packPolicies } from "../pack";
import packageJson from "../package.json";

export interface ResolvedPolicyConfig {
  enforcementLevel: EnforcementLevel;
  properties: Record<string, unknown>;
}

const ENFORCEMENT_LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** Policy config the engine rejects: a malformed config file, an unknown enforcement level, or values the schemas refuse. */
export class PolicyConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`validating policy config: ${packName} ${packageJson.version}\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
    this.name = "PolicyConfigError";
  }
}

function isEnforcementLevel(value: unknown): value is EnforcementLevel {
  return typeof value === "string" && (ENFORCEMENT_LEVELS as string[]).includes(value);
}

/** Splits each entry into its enforcement level and properties, rejecting what `--policy-pack-config` rejects. */
function parseConfig(config: PolicyPackConfig): Map<string, { enforcementLevel?: EnforcementLevel; properties: Record<string, unknown> }> {
  const parsed = new Map<string, { enforcementLevel?: EnforcementLevel; properties: Record<string, unknown> }>();
  const problems: string[] = [];
  for (const [policy, value] of Object.entries(config)) {
    if (typeof value === "string") {
      if (isEnforcementLevel(value)) {
        parsed.set(policy, { enforcementLevel: value, properties: {} });
      } else {
        problems.push(`parsing enforcement level for "${policy}": "${value}" is not a valid enforcement level`);
      }
    } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const { enforcementLevel, ...properties } = value as Record<string, unknown>;
      if (enforcementLevel !== undefined && !isEnforcementLevel(enforcementLevel)) {
        problems.push(`parsing enforcement level for "${policy}": ${JSON.stringify(enforcementLevel)} is not a valid enforcement level`);
      } else {
        parsed.set(policy, { enforcementLevel, properties });
      }
    } else {
      problems.push(`parsing "${policy}": ${JSON.stringify(value)} is not a valid value; must be a string or object`);
    }
  }
  if (problems.length > 0) {
    throw new PolicyConfigError(problems);
  }
  return parsed;
}

function schemaDefaults(policy: ResourceValidationPolicy | StackValidationPolicy): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
    if (typeof schema === "object" && schema.default !== undefined) {
      defaults[key] = structuredClone(schema.default);
    }
  }
  return defaults;
}

/**
 * Reconciles config with the policies like the engine: schema defaults, then `all`'s enforcement level, then
 * each policy's entry; then validates every policy's properties against its configSchema.
 */
export function resolvePolicyConfig(
  config: PolicyPackConfig,
  policies: Policies = packPolicies,
  enforcementLevel: EnforcementLevel = packEnforcementLevel,
): Map<string, ResolvedPolicyConfig> {
  const parsed = parseConfig(config);
  const all = parsed.get("all")?.enforcementLevel;
  const resolved = new Map<string, ResolvedPolicyConfig>();
  const problems: string[] = [];
  for (const policy of policies) {
    const given = parsed.get(policy.name);
    const properties = { ...schemaDefaults(policy), ...given?.properties };
    resolved.set(policy.name, {
      enforcementLevel: given?.enforcementLevel ?? all ?? policy.enforcementLevel ?? enforcementLevel,
      properties,
    });
    if (policy.configSchema) {
      const schema = { type: "object" as const, properties: policy.configSchema.properties, required: policy.configSchema.required };
      problems.push(...validateJsonSchema(schema, properties).map((error) => `${policy.name}: ${error}`));
    }
  }
  if (problems.length > 0) {
    throw new PolicyConfigError(problems);
  }
  return resolved;
}

/** Reads a `--policy-pack-config` file: a stack name (`prod` → policy/config/prod.json) or a path. */
export function loadPolicyConfig(stackOrPath: string): PolicyPackConfig {
  const file = /[/\\]|\.json$/.test(stackOrPath) ? path.resolve(stackOrPath) : path.join(__dirname, "..", "config", `${stackOrPath}.json`);
  if (!fs.existsSync(file)) {
    throw new PolicyConfigError([`no policy config for "${stackOrPath}" (looked for ${file})`]);
  }
  const text = fs.readFileSync(file, "utf8");
  if (text.trim() === "") {
    return {};
  }
  try {
    return JSON.parse(text) as PolicyPackConfig;
  } catch (error) {
    throw new PolicyConfigError([`parsing ${file}: ${(error as Error).message}`]);
  }
}
