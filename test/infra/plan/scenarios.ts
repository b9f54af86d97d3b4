/**
 * The day-2 changes people make to a running stack, each as a change to a copy of the stack's config (or, for the
 * pinned third-party images and the selector labels, to the one table that holds them), and what the plan of each
 * may and must show. test/infra/plan/scenarios.test.ts renders and checks them for every stack.
 */
import { ROTATABLE_SECRETS } from "../../../infra/config";
import { images } from "../../../infra/images";
import { workloads } from "../../../infra/labels";
import { loadStackConfig } from "../../../infra/offline/stackConfig";

/** A stack's effective config value at a path (`database.poolMax`), as the program reads it. */
export function configValue(stack: string, keyPath: string): unknown {
  const [head, ...rest] = keyPath.split(".");
  const text = loadStackConfig(stack).values[`football-prediction:${head}`];
  let value: unknown = text === undefined ? undefined : parseMaybeJson(text);
  for (const part of rest) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

function parseMaybeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `20Gi` → `40Gi`. */
function doubled(size: unknown): string {
  const match = /^(\d+)(Mi|Gi|Ti)$/.exec(String(size));
  if (match === null) throw new Error(`not a storage size: ${String(size)}`);
  return `${Number(match[1]) * 2}${match[2]}`;
}

/** A change to code-held facts for one render: set, and a function that puts the old value back. */
export interface CodePatch {
  apply(): () => void;
}

/** The tables are `as const` for the program's sake; a scenario swaps one entry for the length of a render. */
function patch<T extends object>(target: T, key: keyof T, value: unknown): CodePatch {
  const table = target as Record<keyof T, unknown>;
  return {
    apply() {
      const previous = table[key];
      table[key] = value;
      return () => {
        table[key] = previous;
      };
    },
  };
}

/** `17.6-alpine3.22` → `17.7-alpine3.22`: the next minor (patch-level for PostgreSQL's two-part versions). */
function nextMinor(tag: string): string {
  return tag.replace(/^(\d+)\.(\d+)/, (_, major: string, minor: string) => `${major}.${Number(minor) + 1}`);
}

export interface Scenario {
  name: string;
  /** Config changes by path, like `pulumi config set --path`. */
  overrides: Record<string, unknown>;
  /** Code-held facts changed for this render only. */
  patches?: CodePatch[];
  /** The scenario this one follows (its plan is from that scenario's render, not the stack's). */
  after?: string;
  /**
   * The tag a release scenario brings into service. A Job that runs once per release is named after its release's
   * tag (`nameWithTag`): its replacement by that of the new tag is a new run for the new release, not the old Job
   * run again, and is the one Job replacement a release may plan.
   */
  releaseTag?: string;
}

/** The release a stack runs before any scenario: its file's `blueGreen` and `image.tag` (infra/release.ts). */
function initialRelease(stack: string): { active: string; tags: Record<string, string> } {
  const tag = String(configValue(stack, "image.tag"));
  const tags = (configValue(stack, "blueGreen.tags") ?? {}) as Record<string, string>;
  return { active: String(configValue(stack, "blueGreen.active")), tags: { blue: tags.blue ?? tag, green: tags.green ?? tag } };
}

const NEW_TAG = "0.2.0";
const ROTATION_MARK = "2026-12-01";

/**
 * New HPA bounds that stay within what the stack's Pooler accepts (config validation ties `database.pooler.maxClientConnections`
 * to the replica bounds): one fewer at each end where the bounds allow, else one more at the top.
 */
function hpaBounds(min: number, max: number): Record<string, number> {
  const newMin = min > 1 ? min - 1 : min;
  return { "api.minReplicas": newMin, "api.maxReplicas": max - 1 > newMin ? max - 1 : max + 1 };
}

/** Every routine change for `stack`, with values derived from the stack's own so each one really changes something. */
export function routineScenarios(stack: string): Scenario[] {
  const monitoring = configValue(stack, "monitoring.enabled") === true;
  const release = initialRelease(stack);
  const idle = release.active === "blue" ? "green" : "blue";
  // As the deploy workflow runs a release: the `release` key, both colours' tags and the active one.
  const staged = { ...release, tags: { ...release.tags, [idle]: NEW_TAG } };
  const number = (keyPath: string) => Number(configValue(stack, keyPath));
  const volumes: Record<string, unknown> = {
    "database.storageSize": doubled(configValue(stack, "database.storageSize")),
    "redis.storageSize": doubled(configValue(stack, "redis.storageSize")),
    "backups.storageSize": doubled(configValue(stack, "backups.storageSize")),
  };
  return [
    { name: "log level", overrides: { logLevel: configValue(stack, "logLevel") === "warn" ? "info" : "warn" } },
    { name: "rate limit", overrides: { "api.rateLimitPerMinute": number("api.rateLimitPerMinute") + 50 } },
    { name: "pool size", overrides: { "database.poolMax": number("database.poolMax") - 1 } },
    { name: "cache TTL", overrides: { "api.cacheTtlSeconds": number("api.cacheTtlSeconds") + 30 } },
    { name: "refit interval", overrides: { "worker.refitIntervalMinutes": number("worker.refitIntervalMinutes") + 30 } },
    { name: `image tag ${NEW_TAG} on the idle colour (${idle})`, overrides: { release: staged }, releaseTag: NEW_TAG },
    {
      name: `traffic switched to ${idle}`,
      overrides: { release: { ...staged, active: idle } },
      after: `image tag ${NEW_TAG} on the idle colour (${idle})`,
      releaseTag: NEW_TAG,
    },
    { name: "PostgreSQL minor image bump", overrides: {}, patches: [patch(images, "cnpgPostgres", { ...images.cnpgPostgres, tag: nextMinor(images.cnpgPostgres.tag) })] },
    { name: "Redis minor image bump", overrides: {}, patches: [patch(images, "redis", { ...images.redis, tag: nextMinor(images.redis.tag) })] },
    { name: "volume growth", overrides: volumes },
    ...ROTATABLE_SECRETS.map((secret) => ({ name: `rotation of ${secret}`, overrides: { [`secrets.rotation.${secret}`]: ROTATION_MARK } })),
    ...(monitoring ? [{ name: "alert threshold", overrides: { "monitoring.thresholds.errorRatio": 0.07 } }] : []),
    { name: "HPA bounds", overrides: hpaBounds(number("api.minReplicas"), number("api.maxReplicas")) },
    { name: "backup schedule", overrides: { "backups.schedule": "20 2 * * *" } },
  ];
}

/** Changes that really are destructive: the plan must show them as replacements. */
export function destructiveScenarios(stack: string): Scenario[] {
  return [
    { name: "namespace rename", overrides: { namespace: `${String(configValue(stack, "namespace"))}-renamed` } },
    { name: "selector change", overrides: {}, patches: [patch(workloads, "api", { ...workloads.api, component: "api-v2" })] },
  ];
}
