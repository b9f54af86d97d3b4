/**
 * The platform project's one config loader: per-cluster differences live in platform/stacks/Pulumi.<stack>.yaml
 * (defaults in platform/Pulumi.yaml) and are validated here, so a bad value fails before anything registers, with
 * the stack and the config key named. Components receive the typed `PlatformSettings` and never read config.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
// The environment project's field types (DNS labels, host names, CIDRs, ports): one definition of each.
import { cidr, describeIssue, dnsLabel, hostName, parseConfigText, port } from "../infra/config";
import { PLATFORM_PROJECT } from "./outputs";

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
      .strictObject({ email: z.email() })
      .optional(),
  }),
  cloudnativePg: z.strictObject({ replicas }),
  /** Envoy Gateway: controller replicas, and the Envoy proxy replicas of every environment's Gateway. */
  envoyGateway: z.strictObject({ replicas, proxyReplicas: replicas }),
  /**
   * The cluster's monitoring (kube-prometheus-stack): Prometheus replicas (two scrape the same targets, so one can be
   * drained), how many days it keeps and the GiB of its volume (the size cap is set below it), and Alertmanager
   * replicas (they gossip silences and notifications, so three survive a node loss with a majority).
   */
  monitoring: z.strictObject({
    prometheus: z.strictObject({
      replicas,
      retentionDays: z.number().int().min(1).max(400),
      storageGi: z.number().int().min(2).max(2000),
    }),
    alertmanager: z.strictObject({ replicas }),
  }),
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
export type MonitoringSettings = PlatformSettings["monitoring"];

/** Thrown for any invalid platform stack config; the message names the stack and each offending key. */
export class PlatformConfigError extends Error {
  override name = "PlatformConfigError";
}

export const platformConfigKeys: readonly string[] = Object.keys(schema.shape);

/** The schema itself, for tools that check a key path or value on its own (the README test's config keys). */
export { schema as platformSettingsSchema };

/**
 * Validates one platform stack's config. `read` returns a key's raw config text (what `pulumi.Config.get` returns;
 * structured values arrive as JSON), so the program and the offline tools share this validation.
 */
export function parsePlatformSettings(stack: string, read: (key: string) => string | undefined): PlatformSettings {
  const raw = Object.fromEntries(platformConfigKeys.map((key) => [key, parseConfigText(read(key))]));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new PlatformConfigError(parsed.error.issues.map((issue) => describeIssue(stack, raw, issue, PLATFORM_PROJECT)).join("\n"));
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
