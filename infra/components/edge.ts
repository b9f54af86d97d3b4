import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY } from "../../platform/outputs";
import type { Colour } from "../config";
import { EDGE_SECURITY_HEADERS, meta } from "../k8s";
import { instanceLabels, type Labels } from "../labels";
import { APP_PORT, WEB_PORT } from "../ports";
import { TYPE_PREFIX, type StackContext } from "./context";

export interface EdgeArgs extends StackContext {
  /** The platform's ClusterIssuer that signs the host's certificate (`ingress.tls.issuer`). */
  issuerName: string;
  /** Each colour's Service per tier: the routes send traffic to the active colour's (`blueGreen.active`). */
  backends: Record<"api" | "web", Record<Colour, pulumi.Output<string>>>;
}

/** The Secret cert-manager keeps the host's certificate in, from the Gateway's HTTPS listener. */
export const EDGE_TLS_SECRET = "edge-tls";
const GATEWAY_GROUP = "gateway.networking.k8s.io";

/** Path prefixes: `/api` to the API; the page takes every other path (the longest matching prefix wins). */
export const EDGE_PATHS = { api: "/api", web: "/" } as const;

/**
 * The largest request body the edge accepts per route. The API takes small JSON bodies; the page only reads, so
 * anything it receives with a body is refused at the edge.
 */
export const BODY_LIMITS = { api: "1Mi", web: "1Ki" } as const;

/**
 * The API's CSP at the edge: it serves JSON only, so nothing may load from a response. The `/api` route only: the
 * page sets its own CSP, which allows its scripts and styles, and the edge must not replace it.
 */
const API_HEADERS: Readonly<Record<string, string>> = {
  ...EDGE_SECURITY_HEADERS,
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
};

/** `set` replaces what a backend sent, so these are the headers of every response, the service's errors included. */
function securityHeaders(headers: Readonly<Record<string, string>>) {
  return {
    type: "ResponseHeaderModifier",
    responseHeaderModifier: { set: Object.entries(headers).map(([name, value]) => ({ name, value })) },
  };
}

/**
 * The Gateway of one environment, in its own namespace: HTTPS for the stack's host with the certificate cert-manager
 * issues for the listener (the annotation names the ClusterIssuer), and plain HTTP for the same host, which carries
 * only the redirect and cert-manager's HTTP-01 challenge routes. Routes attach from this namespace only.
 */
export function gatewaySpec(args: { className: string; host: string }) {
  const sameNamespace = { namespaces: { from: "Same" }, kinds: [{ group: GATEWAY_GROUP, kind: "HTTPRoute" }] };
  return {
    gatewayClassName: args.className,
    listeners: [
      {
        name: GATEWAY.httpsListener,
        protocol: "HTTPS",
        port: 443,
        hostname: args.host,
        tls: { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: EDGE_TLS_SECRET }] },
        allowedRoutes: sameNamespace,
      },
      { name: GATEWAY.httpListener, protocol: "HTTP", port: 80, hostname: args.host, allowedRoutes: sameNamespace },
    ],
  };
}

function parentRef(listener: string) {
  return { group: GATEWAY_GROUP, kind: "Gateway", name: GATEWAY.name, sectionName: listener };
}

/** Every plain-HTTP request to the host is answered with a permanent redirect to the same URL over HTTPS. */
export function redirectRouteSpec(host: string) {
  return {
    parentRefs: [parentRef(GATEWAY.httpListener)],
    hostnames: [host],
    rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
  };
}

/** One path prefix of the host, over HTTPS, to one Service, with the edge's response headers. */
export function routeSpec(args: {
  host: string;
  pathPrefix: string;
  service: pulumi.Input<string>;
  port: number;
  headers: Readonly<Record<string, string>>;
}) {
  return {
    parentRefs: [parentRef(GATEWAY.httpsListener)],
    hostnames: [args.host],
    rules: [
      {
        matches: [{ path: { type: "PathPrefix", value: args.pathPrefix } }],
        filters: [securityHeaders(args.headers)],
        backendRefs: [{ group: "", kind: "Service", name: args.service, port: args.port }],
      },
    ],
  };
}

/**
 * Envoy Gateway's traffic policy of one route: the per-client rate limit (each distinct source address its own
 * bucket; the load balancer keeps client addresses, see the platform's EnvoyProxy) at the service's own limit
 * (`api.rateLimitPerMinute`), and the request body limit. Envoy's local limit counts per proxy replica, so a client
 * spread over N replicas gets up to N times the limit here; the service's own limit, kept in Redis, stays exact.
 * `npm run validate` checks it with Envoy Gateway's typed models (validate/models.ts).
 */
export function trafficPolicy(args: {
  name: string;
  namespace: pulumi.Input<string>;
  labels: Labels;
  route: string;
  perMinute: number;
  bodyLimit: string;
}) {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "BackendTrafficPolicy",
    metadata: { name: args.name, namespace: args.namespace, labels: args.labels },
    spec: {
      targetRefs: [{ group: GATEWAY_GROUP, kind: "HTTPRoute", name: args.route }],
      rateLimit: {
        type: "Local",
        local: {
          // One rule per address family: a rule's selectors must all match, and each range covers one family.
          rules: ["0.0.0.0/0", "::/0"].map((range) => ({
            clientSelectors: [{ sourceCIDR: { type: "Distinct", value: range } }],
            limit: { requests: args.perMinute, unit: "Minute" },
          })),
        },
      },
      requestBuffer: { limit: args.bodyLimit },
    },
  };
}

/**
 * The stack's public edge on Gateway API: its Gateway, the redirect, the `/api` and `/` routes and their traffic
 * policies. The blue/green switch is the routes' backendRefs: they name the active colour's Services, so changing
 * `blueGreen.active` moves public traffic in one route update.
 */
export class Edge extends pulumi.ComponentResource {
  public readonly gatewayName = GATEWAY.name;

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:Edge`, name, {}, opts);
    const { settings, platform, namespace, instance } = args;
    const child = { parent: this };
    const labels = instanceLabels(instance, "edge");
    const host = settings.ingress.host;
    const active = settings.blueGreen.active;

    const gateway = new k8s.apiextensions.CustomResource(
      "gateway",
      {
        apiVersion: `${GATEWAY_GROUP}/v1`,
        kind: "Gateway",
        metadata: {
          ...meta(GATEWAY.name, namespace, labels),
          annotations: {
            "cert-manager.io/cluster-issuer": args.issuerName,
            "cert-manager.io/private-key-algorithm": "ECDSA",
            "cert-manager.io/private-key-size": "256",
            "cert-manager.io/private-key-rotation-policy": "Always",
          },
        },
        spec: gatewaySpec({ className: platform.gateway.className, host }),
      },
      child,
    );
    const routeOpts = { parent: this, dependsOn: [gateway] };
    const route = (routeName: string, spec: Record<string, unknown>) =>
      new k8s.apiextensions.CustomResource(
        `route-${routeName}`,
        { apiVersion: `${GATEWAY_GROUP}/v1`, kind: "HTTPRoute", metadata: meta(routeName, namespace, labels), spec },
        routeOpts,
      );

    route("http-redirect", redirectRouteSpec(host));
    const tiers = [
      { tier: "api", port: APP_PORT, headers: API_HEADERS },
      { tier: "web", port: WEB_PORT, headers: EDGE_SECURITY_HEADERS },
    ] as const;
    for (const { tier, port, headers } of tiers) {
      const httpRoute = route(
        tier,
        routeSpec({ host, pathPrefix: EDGE_PATHS[tier], service: args.backends[tier][active], port, headers }),
      );
      new k8s.apiextensions.CustomResource(
        `traffic-policy-${tier}`,
        trafficPolicy({
          name: tier,
          namespace,
          labels,
          route: tier,
          perMinute: settings.api.rateLimitPerMinute,
          bodyLimit: BODY_LIMITS[tier],
        }),
        { parent: this, dependsOn: [httpRoute] },
      );
    }
    this.registerOutputs({});
  }
}
