import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config";
import { instanceLabels, selectorLabels, workloads, type Labels, type WorkloadKey } from "../labels";
import { metricsPorts } from "../observability";
import type { Platform } from "../platform";
import { APP_PORT, WEB_PORT } from "../ports";
import { TYPE_PREFIX, type StackContext } from "./context";
import { databasePorts } from "./database/names";

/** A peer inside the stack's namespace, chosen by pod labels. */
interface LocalPeer {
  local: string;
  selector: Labels;
}
/** Pods of another namespace: all of them (the CloudNativePG operator's), or those with these labels (the gateway's). */
interface NamespacePeer {
  namespace: string;
  pods?: Labels;
}
/** Addresses outside the cluster's pod network (the API server, the import sources, the backups' S3 endpoint). */
interface CidrPeer {
  cidrs: string[];
}
type Peer = LocalPeer | NamespacePeer | CidrPeer;

export interface Flow {
  from: Peer;
  to: Peer;
  ports: number[];
}

const ACME_SOLVER_PORT = 8089;
export const ports = {
  app: APP_PORT,
  web: WEB_PORT,
  postgres: databasePorts.postgres,
  redis: 6379,
  postgresExporter: metricsPorts.postgresExporter,
  redisExporter: metricsPorts.redisExporter,
} as const;

/** The port an endpoint URL is served on. */
function urlPort(url: string): number {
  const parsed = new URL(url);
  return parsed.port === "" ? (parsed.protocol === "https:" ? 443 : 80) : Number(parsed.port);
}

/**
 * Workloads that open no connection at all, so the namespace-wide DNS allowance leaves them out: a compromised pod
 * of these can neither resolve nor reach anything.
 */
export const NO_EGRESS: readonly WorkloadKey[] = ["web"];

function isLocal(peer: Peer): peer is LocalPeer {
  return "local" in peer;
}

/**
 * Every connection the stack allows, as one reviewable table; everything else meets the baseline's default deny.
 * Each flow opens both ends: egress on the client, ingress on the server.
 */
export function allowedFlows(settings: Settings, platform: Platform, instance: string): Flow[] {
  const w = (key: WorkloadKey): LocalPeer => ({ local: key, selector: selectorLabels(instance, workloads[key]) });
  // The Envoy pods of this stack's own Gateway, which the platform's controller runs in its namespace.
  const { gateway } = platform;
  const edgeProxies: NamespacePeer = {
    namespace: gateway.proxyNamespace,
    pods: { [gateway.ownerNamespaceLabel]: settings.namespace, [gateway.ownerNameLabel]: gateway.gatewayName },
  };
  const apiServer: CidrPeer = { cidrs: platform.clusterNetwork.apiServerCidrs };
  const apiServerPorts = platform.clusterNetwork.apiServerPorts;
  const flows: Flow[] = [
    { from: edgeProxies, to: w("api"), ports: [ports.app] },
    // The page's pods only answer: no flow leaves them, not even DNS (see NO_EGRESS).
    { from: edgeProxies, to: w("web"), ports: [ports.web] },
    // The API through PgBouncer; the clients whose statements outlast the pooled bound go to the primary directly.
    { from: w("api"), to: w("pooler"), ports: [ports.postgres] },
    ...(["pooler", "worker", "migration", "backup", "importer"] as const).map((client) => ({
      from: w(client),
      to: w("postgres"),
      ports: [ports.postgres],
    })),
    // CloudNativePG: the operator reaches each instance's status endpoint and PostgreSQL; instances stream WAL from
    // the primary (and pg_rewind a former one); instance managers and PgBouncer's watch their objects in the API.
    {
      from: { namespace: platform.operators.cloudnativePg.namespace },
      to: w("postgres"),
      ports: [databasePorts.instanceStatus, databasePorts.postgres],
    },
    { from: w("postgres"), to: w("postgres"), ports: [databasePorts.instanceStatus, databasePorts.postgres] },
    { from: w("postgres"), to: apiServer, ports: apiServerPorts },
    { from: w("pooler"), to: apiServer, ports: apiServerPorts },
    // The writers announce their writes on Redis (cached reads dropped, the worker nudged): the importer, and the
    // migration Job's `seed`, which runs beside the serving release.
    ...(["api", "worker", "importer", "migration"] as const).map((client) => ({
      from: w(client),
      to: w("redis"),
      ports: [ports.redis],
    })),
    { from: w("api"), to: w("rateLimitRedis"), ports: [ports.redis] },
    // The import CronJob fetches fixtures and results from its sources over HTTPS, and nowhere else.
    { from: w("importer"), to: { cidrs: settings.importer.egressCidrs }, ports: [443] },
  ];
  const s3 = settings.backups.s3;
  if (s3 !== undefined) {
    // The dumps, and the Barman Cloud sidecar in each instance (WAL archive, base backups, recovery).
    flows.push({ from: w("backup"), to: { cidrs: s3.cidrs }, ports: [urlPort(s3.endpoint)] });
    flows.push({ from: w("postgres"), to: { cidrs: s3.cidrs }, ports: [urlPort(s3.endpoint)] });
  }
  if (settings.ingress.tls.issuer !== "self-signed") {
    // cert-manager's HTTP-01 solver pods answer the ACME challenge through the Gateway's plain-HTTP listener.
    const solver = { local: "acme-http01-solver", selector: { "acme.cert-manager.io/http01-solver": "true" } };
    flows.push({ from: edgeProxies, to: solver, ports: [ACME_SOLVER_PORT] });
  }
  if (settings.monitoring.enabled) {
    // The cluster's Prometheus scrapes what this stack's ServiceMonitors and PodMonitors name, on those ports;
    // the jobs that run once push their metrics to the cluster's Pushgateway instead.
    const { monitoring } = platform;
    const prometheus: NamespacePeer = { namespace: monitoring.namespace, pods: monitoring.prometheusPodLabels };
    const pushgateway: NamespacePeer = { namespace: monitoring.namespace, pods: monitoring.pushgatewayPodLabels };
    const scrape = (target: WorkloadKey, port: number): Flow => ({ from: prometheus, to: w(target), ports: [port] });
    flows.push(
      scrape("api", metricsPorts.service),
      scrape("worker", metricsPorts.service),
      scrape("web", metricsPorts.service),
      scrape("postgresExporter", metricsPorts.postgresExporter),
      scrape("redisExporter", metricsPorts.redisExporter),
      // CloudNativePG's exporters: the instance manager's (cnpg_*) and PgBouncer's.
      scrape("postgres", databasePorts.instanceMetrics),
      scrape("pooler", databasePorts.poolerMetrics),
      { from: w("backup"), to: pushgateway, ports: [monitoring.pushgatewayPort] },
      { from: w("importer"), to: pushgateway, ports: [monitoring.pushgatewayPort] },
      { from: w("postgresExporter"), to: w("postgres"), ports: [ports.postgres] },
      { from: w("redisExporter"), to: w("redis"), ports: [ports.redis] },
    );
  }
  return flows;
}

function peerSpec(peer: Peer) {
  if (isLocal(peer)) {
    return [{ podSelector: { matchLabels: peer.selector } }];
  }
  if ("cidrs" in peer) {
    return peer.cidrs.map((cidr) => ({ ipBlock: { cidr } }));
  }
  const namespaceSelector = { matchLabels: { "kubernetes.io/metadata.name": peer.namespace } };
  return [peer.pods === undefined ? { namespaceSelector } : { namespaceSelector, podSelector: { matchLabels: peer.pods } }];
}

function portSpec(flow: Flow) {
  return flow.ports.map((port) => ({ protocol: "TCP", port }));
}

/**
 * Opens the namespace's default deny flow by flow: one NetworkPolicy per local workload holding everything that
 * may reach it and everything it may reach, plus DNS for every pod but those of NO_EGRESS.
 */
export class NetworkPolicies extends pulumi.ComponentResource {
  constructor(name: string, args: StackContext, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:NetworkPolicies`, name, {}, opts);
    const { settings, platform, namespace, instance } = args;
    const child = { parent: this };
    const labels = instanceLabels(instance, "network-policy");

    new k8s.networking.v1.NetworkPolicy(
      "allow-dns",
      {
        metadata: { name: "allow-dns", namespace, labels },
        spec: {
          podSelector: {
            matchExpressions: [
              {
                key: "app.kubernetes.io/component",
                operator: "NotIn",
                values: NO_EGRESS.map((key) => workloads[key].component),
              },
            ],
          },
          policyTypes: ["Egress"],
          egress: [dnsEgressRule(platform.clusterNetwork)],
        },
      },
      child,
    );

    const flows = allowedFlows(settings, platform, instance);
    const locals = new Map<string, LocalPeer>();
    for (const flow of flows) {
      for (const peer of [flow.from, flow.to]) {
        if (isLocal(peer)) {
          locals.set(peer.local, peer);
        }
      }
    }
    for (const peer of locals.values()) {
      const ingress = flows
        .filter((f) => isLocal(f.to) && f.to.local === peer.local)
        .map((f) => ({ from: peerSpec(f.from), ports: portSpec(f) }));
      const egress = flows
        .filter((f) => isLocal(f.from) && f.from.local === peer.local)
        .map((f) => ({ to: peerSpec(f.to), ports: portSpec(f) }));
      const policyName = `allow-${peer.local.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      new k8s.networking.v1.NetworkPolicy(
        policyName,
        {
          metadata: { name: policyName, namespace, labels },
          spec: {
            podSelector: { matchLabels: peer.selector },
            policyTypes: [...(ingress.length > 0 ? ["Ingress"] : []), ...(egress.length > 0 ? ["Egress"] : [])],
            ...(ingress.length > 0 ? { ingress } : {}),
            ...(egress.length > 0 ? { egress } : {}),
          },
        },
        child,
      );
    }

    this.registerOutputs({});
  }
}

/** Egress to the cluster's DNS pods: every pod needs it, and it is the only egress a pod gets without asking. */
export function dnsEgressRule(cluster: { dnsNamespace: string; dnsPodLabels: Record<string, string> }) {
  return {
    to: [
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": cluster.dnsNamespace } },
        podSelector: { matchLabels: cluster.dnsPodLabels },
      },
    ],
    ports: [
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ],
  };
}
