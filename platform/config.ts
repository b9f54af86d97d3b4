/**
 * The platform project's one config loader: per-cluster differences live in platform/stacks/Pulumi.<stack>.yaml
 * (defaults in platform/Pulumi.yaml) and are validated here, so a bad value fails before anything registers, with
 * the stack and the config key named. Components receive the typed `PlatformSettings` and never read config.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { PLATFORM_PROJECT } from "./outputs";

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label (lower-case letters, digits and -, at most 63)");

const hostName = z
  .string()
  .regex(/^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a fully qualified host name");

const cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be an IPv4 CIDR such as 10.0.0.0/8");
const port = z.number().int().min(1).max(65535);
const replicas = z.number().int().min(1).max(5);

/** The environments (stacks of the football-prediction project) a cluster may host. */
export const ENVIRONMENTS = ["dev", "test", "staging", "prod"] as const;

const schema = z.strictObject({
  cluster: z.strictObject({
    /** A short name for the cluster: the `cluster` field of every shipped log line and the stack outputs. */
    name: dnsLabel,
    /** The environment stacks that run on this cluster and read this stack's outputs. */
    environments: z.array(z.enum(ENVIRONMENTS)).min(1),
    /** Where the cluster DNS runs, for the NetworkPolicies of this project and of the environments. */
    dnsNamespace: dnsLabel,
    dnsPodLabels: z.record(z.string(), z.string()),
    /** The API server's addresses and ports as pods see them (operators, webhooks and Fluent Bit call it). */
    apiServerCidrs: z.array(cidr).min(1),
    apiServerPorts: z.array(port).min(1),
  }),
  /** StorageClass names of this cluster, by purpose; they must exist (kind ships `standard`). */
  storageClasses: z.strictObject({ default: dnsLabel, database: dnsLabel, wal: dnsLabel }),
  certManager: z.strictObject({
    replicas,
    /** Unset: no ACME issuers (a cluster Let's Encrypt cannot reach, such as kind); self-signed only. */
    acme: z
      .strictObject({
        email: z.email(),
        /** Ingress class the HTTP-01 solver's temporary Ingress uses. */
        solverIngressClass: dnsLabel,
      })
      .optional(),
  }),
  cloudnativePg: z.strictObject({ replicas }),
  logPipeline: z.discriminatedUnion("enabled", [
    z.strictObject({ enabled: z.literal(false) }),
    z.strictObject({
      enabled: z.literal(true),
      elasticsearch: z.strictObject({
        host: hostName,
        port,
        tls: z.boolean(),
        /** Where the Elasticsearch addresses are: Fluent Bit's egress is opened to these on `port`. */
        cidrs: z.array(cidr).min(1),
      }),
    }),
  ]),
});

export type PlatformSettings = z.infer<typeof schema>;
export type LogPipelineSettings = Extract<PlatformSettings["logPipeline"], { enabled: true }>;
export type ClusterSettings = PlatformSettings["cluster"];

/** Thrown for any invalid platform stack config; the message names the stack and each offending key. */
export class PlatformConfigError extends Error {
  override name = "PlatformConfigError";
}

export const platformConfigKeys: readonly string[] = Object.keys(schema.shape);

function keyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc === "" ? String(part) : `${acc}.${String(part)}`),
    "",
  );
}

function decode(text: string | undefined): unknown {
  if (text === undefined) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Validates one platform stack's config. `read` returns a key's raw config text (what `pulumi.Config.get` returns;
 * structured values arrive as JSON), so the program and the offline tools share this validation.
 */
export function parsePlatformSettings(stack: string, read: (key: string) => string | undefined): PlatformSettings {
  const raw = Object.fromEntries(platformConfigKeys.map((key) => [key, decode(read(key))]));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new PlatformConfigError(
      parsed.error.issues
        .map((issue) => `stack "${stack}": config key "${PLATFORM_PROJECT}:${keyPath(issue.path)}" ${issue.message}`)
        .join("\n"),
    );
  }
  return parsed.data;
}

export function loadPlatformSettings(): PlatformSettings {
  const config = new pulumi.Config(PLATFORM_PROJECT);
  return parsePlatformSettings(pulumi.getStack(), (key) => config.get(key));
}

/** The provider's target: a kubeconfig (path or contents, secret) and context; unset means the ambient kubeconfig. */
export function loadKubeconfig(): { kubeconfig: pulumi.Output<string | undefined>; context: string | undefined } {
  const config = new pulumi.Config(PLATFORM_PROJECT);
  const nonEmpty = (value: string | undefined) => (value === undefined || value === "" ? undefined : value);
  return {
    kubeconfig: pulumi.output(config.getSecret("kubeconfig")).apply(nonEmpty),
    context: nonEmpty(config.get("kubeContext")),
  };
}
