/**
 * The contract between the platform project and the environment stacks: the names and types of the platform
 * stack's outputs. The platform program builds its outputs through `platformOutputs` (so it cannot export
 * something else), and an environment program reads them with `readPlatformOutputs`, which validates what the
 * StackReference returned and names the stack and output on a mismatch. Adding an output is compatible; renaming or
 * removing one breaks every environment stack, so do it in two steps (add, migrate readers, remove).
 *
 * Environment side, for example:
 *
 *   const platform = readPlatformOutputs(new pulumi.StackReference(`${org}/${PLATFORM_PROJECT}/nonprod`));
 *   platform.apply((p) => p.issuers.selfSigned);
 *
 * This module imports nothing of the platform program, so the environment program can import it freely.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** The platform project's name (platform/Pulumi.yaml): the middle part of its stacks' fully qualified names. */
export const PLATFORM_PROJECT = "football-prediction-platform";

/** Labels and annotations the cluster-wide log pipeline reads: an environment only sets these. */
export const LOG_PIPELINE = {
  /** Namespace label: `"true"` ships every container log of the namespace. */
  shipLabel: "logs.football-prediction.io/ship",
  /** Namespace label: the Elasticsearch index prefix of the namespace's logs (one index per day). */
  indexLabel: "logs.football-prediction.io/index",
  /** Pod annotation: `"true"` keeps one pod's logs out even in a shipped namespace (Fluent Bit's own key). */
  excludeAnnotation: "fluentbit.io/exclude",
} as const;

/**
 * The edge's contract: every environment renders one Gateway of this name in its own namespace (the ACME HTTP-01
 * solver's route attaches to it there), and Envoy Gateway runs that Gateway's Envoy pods in the controller's
 * namespace labelled with these keys, so NetworkPolicies can admit exactly one environment's proxies.
 */
export const GATEWAY = {
  name: "edge",
  /** Listener names: the HTTPS one the routes attach to, and the plain-HTTP one that only redirects. */
  httpsListener: "https",
  httpListener: "http",
  ownerNamespaceLabel: "gateway.envoyproxy.io/owning-gateway-namespace",
  ownerNameLabel: "gateway.envoyproxy.io/owning-gateway-name",
} as const;

/**
 * The monitoring contract: the cluster's one Prometheus and Alertmanager (kube-prometheus-stack) select every
 * environment's PrometheusRules, ServiceMonitors, PodMonitors and AlertmanagerConfigs carrying `includeLabel:
 * "true"`, in any namespace; Grafana's sidecar loads every ConfigMap carrying `dashboardLabel: "1"` into the
 * folder its `dashboardFolderAnnotation` names.
 */
export const MONITORING = {
  includeLabel: "monitoring.football-prediction.io/include",
  dashboardLabel: "grafana_dashboard",
  dashboardFolderAnnotation: "grafana_folder",
} as const;

const operator = z.strictObject({
  namespace: z.string(),
  /** The application version (what the CRDs belong to), e.g. `1.30.0`. */
  version: z.string(),
  chart: z.string(),
  chartVersion: z.string(),
});

const schema = z.strictObject({
  /** The cluster's short name. */
  cluster: z.string(),
  /** The environment stacks this cluster hosts; an environment stack refuses a platform that does not list it. */
  environments: z.array(z.string()),
  /** ClusterIssuer names. The ACME ones are absent on clusters Let's Encrypt cannot reach. */
  issuers: z.strictObject({
    selfSigned: z.string(),
    acmeStaging: z.string().optional(),
    acmeProduction: z.string().optional(),
  }),
  /** StorageClass names by purpose. */
  storageClasses: z.strictObject({ default: z.string(), database: z.string(), wal: z.string() }),
  /** The cluster facts environment NetworkPolicies need. */
  clusterNetwork: z.strictObject({
    dnsNamespace: z.string(),
    dnsPodLabels: z.record(z.string(), z.string()),
    apiServerCidrs: z.array(z.string()),
    apiServerPorts: z.array(z.number()),
  }),
  /** How to take part in log shipping: label the namespace (`shipLabel: "true"`, `indexLabel: <prefix>`). */
  logPipeline: z.strictObject({
    enabled: z.boolean(),
    namespace: z.string(),
    shipLabel: z.literal(LOG_PIPELINE.shipLabel),
    indexLabel: z.literal(LOG_PIPELINE.indexLabel),
    excludeAnnotation: z.literal(LOG_PIPELINE.excludeAnnotation),
  }),
  /** The Gateway API implementation: the GatewayClass environments' Gateways use and where their proxies run. */
  gateway: z.strictObject({
    className: z.string(),
    /** The namespace of the Envoy proxy pods (the controller's). */
    proxyNamespace: z.string(),
    gatewayName: z.literal(GATEWAY.name),
    ownerNamespaceLabel: z.literal(GATEWAY.ownerNamespaceLabel),
    ownerNameLabel: z.literal(GATEWAY.ownerNameLabel),
  }),
  /** The cluster's monitoring (kube-prometheus-stack and the shared Pushgateway) and how environments join it. */
  monitoring: z.strictObject({
    namespace: z.string(),
    includeLabel: z.literal(MONITORING.includeLabel),
    dashboardLabel: z.literal(MONITORING.dashboardLabel),
    dashboardFolderAnnotation: z.literal(MONITORING.dashboardFolderAnnotation),
    /** Labels of the Prometheus pods, which scrape the environments' metrics ports (NetworkPolicy ingress). */
    prometheusPodLabels: z.record(z.string(), z.string()),
    /** Where the backup and import jobs push, e.g. `http://pushgateway.monitoring.svc:9091`. */
    pushgatewayUrl: z.string(),
    /** Labels and port of the Pushgateway pods (NetworkPolicy egress of the jobs that push). */
    pushgatewayPodLabels: z.record(z.string(), z.string()),
    pushgatewayPort: z.number(),
    /** Grafana's address for people; undefined when it is reached only through `kubectl port-forward`. */
    grafanaUrl: z.string().optional(),
  }),
  operators: z.strictObject({
    certManager: operator,
    cloudnativePg: operator,
    /** The Barman Cloud plugin, plus the name a CloudNativePG Cluster's `spec.plugins[].name` uses for it. */
    barmanCloud: operator.extend({ pluginName: z.string() }),
    fluentBit: operator,
    envoyGateway: operator,
    prometheusOperator: operator,
  }),
});

export type PlatformOutputs = z.infer<typeof schema>;
export type PlatformOutputName = keyof PlatformOutputs;
export const PLATFORM_OUTPUT_NAMES = Object.keys(schema.shape) as PlatformOutputName[];

/** Thrown when a platform stack's outputs do not match this contract; names the stack and each output. */
export class PlatformOutputsError extends Error {
  override name = "PlatformOutputsError";
}

/** Checks a platform stack's outputs against the contract (what `pulumi stack output --json` prints). */
export function parsePlatformOutputs(stack: string, outputs: unknown): PlatformOutputs {
  const parsed = schema.safeParse(outputs);
  if (!parsed.success) {
    throw new PlatformOutputsError(
      parsed.error.issues
        .map((issue) => `platform stack "${stack}": output "${issue.path.map(String).join(".")}" ${issue.message}`)
        .join("\n"),
    );
  }
  return parsed.data;
}

/** The platform program's outputs, typed by the contract: a missing or extra output is a compile error. */
export function platformOutputs(outputs: { [K in PlatformOutputName]: pulumi.Input<PlatformOutputs[K]> }) {
  return outputs;
}

/** Every output of a platform stack, read through a StackReference and validated against the contract. */
export function readPlatformOutputs(ref: pulumi.StackReference): pulumi.Output<PlatformOutputs> {
  const values = PLATFORM_OUTPUT_NAMES.map((name) => ref.requireOutput(name));
  return pulumi.all([ref.name, ...values]).apply(([stack, ...read]) =>
    parsePlatformOutputs(
      String(stack),
      Object.fromEntries(PLATFORM_OUTPUT_NAMES.map((name, index) => [name, read[index]])),
    ),
  );
}
