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
}

const NEW_TAG = "0.2.0";
const ROTATION_MARK = "2026-12-01";

/** Every routine change for `stack`, with values derived from the stack's own so each one really changes something. */
export function routineScenarios(stack: string): Scenario[] {
  const monitoring = configValue(stack, "monitoring.enabled") === true;
  const active = String(configValue(stack, "blueGreen.active"));
  const idle = active === "blue" ? "green" : "blue";
  const number = (keyPath: string) => Number(configValue(stack, keyPath));
  const volumes: Record<string, unknown> = {
    "database.storageSize": doubled(configValue(stack, "database.storageSize")),
    "redis.storageSize": doubled(configValue(stack, "redis.storageSize")),
    "backups.storageSize": doubled(configValue(stack, "backups.storageSize")),
    ...(monitoring ? { "monitoring.storageSize": doubled(configValue(stack, "monitoring.storageSize")) } : {}),
  };
  const rotatable = ROTATABLE_SECRETS.filter((secret) => monitoring || secret !== "grafanaAdminPassword");
  return [
    { name: "log level", overrides: { logLevel: configValue(stack, "logLevel") === "warn" ? "info" : "warn" } },
    { name: "rate limit", overrides: { "api.rateLimitPerMinute": number("api.rateLimitPerMinute") + 50 } },
    { name: "pool size", overrides: { "database.poolMax": number("database.poolMax") - 1 } },
    { name: "cache TTL", overrides: { "api.cacheTtlSeconds": number("api.cacheTtlSeconds") + 30 } },
    { name: "refit interval", overrides: { "worker.refitIntervalMinutes": number("worker.refitIntervalMinutes") + 30 } },
    { name: `image tag ${NEW_TAG} on the idle colour (${idle})`, overrides: { [`blueGreen.tags.${idle}`]: NEW_TAG } },
    {
      name: `traffic switched to ${idle}`,
      overrides: { [`blueGreen.tags.${idle}`]: NEW_TAG, "blueGreen.active": idle },
      after: `image tag ${NEW_TAG} on the idle colour (${idle})`,
    },
    { name: "PostgreSQL minor image bump", overrides: {}, patches: [patch(images, "postgres", { ...images.postgres, tag: nextMinor(images.postgres.tag) })] },
    { name: "Redis minor image bump", overrides: {}, patches: [patch(images, "redis", { ...images.redis, tag: nextMinor(images.redis.tag) })] },
    { name: "volume growth", overrides: volumes },
    ...rotatable.map((secret) => ({ name: `rotation of ${secret}`, overrides: { [`secrets.rotation.${secret}`]: ROTATION_MARK } })),
    ...(monitoring ? [{ name: "alert threshold", overrides: { "monitoring.thresholds.errorRatio": 0.07 } }] : []),
    { name: "HPA bounds", overrides: { "api.minReplicas": number("api.minReplicas") + 1, "api.maxReplicas": number("api.maxReplicas") + 2 } },
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
