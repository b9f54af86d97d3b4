// Exposure through Gateway API: an HTTPRoute must be admitted by every Gateway listener it attaches to (a route the
// Gateway's allowedRoutes refuses is silently not served, and one in another namespace is exactly what allowedRoutes
// exists to refuse), and in production-like environments a plain-HTTP listener may only redirect to HTTPS.
import type { Policies } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { ExemptNamespacesConfig, stackPolicy } from "../lib/define";
import { isEmptySelector, LabelSelector, objectsIn, selectorMatches } from "../lib/k8s";
import { objectsOfKind, StackObject } from "../lib/stack";

const GATEWAY_GROUP = "gateway.networking.k8s.io";
const GATEWAY_KIND = `${GATEWAY_GROUP}:Gateway`;
const HTTP_ROUTE_KIND = `${GATEWAY_GROUP}:HTTPRoute`;

interface Listener {
  name?: string;
  protocol?: string;
  port?: number;
  allowedRoutes?: {
    namespaces?: { from?: "Same" | "All" | "Selector"; selector?: LabelSelector };
    kinds?: Array<{ group?: string; kind?: string }>;
  };
}

interface ParentRef {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  sectionName?: string;
  port?: number;
}

interface RouteRule {
  filters?: Array<{ type?: string; requestRedirect?: { scheme?: string } }>;
  backendRefs?: object[];
}

function listenersOf(gateway: StackObject): Listener[] {
  return objectsIn((gateway.object.spec as { listeners?: Listener[] } | undefined)?.listeners);
}

function parentRefsOf(route: StackObject): ParentRef[] {
  return objectsIn((route.object.spec as { parentRefs?: ParentRef[] } | undefined)?.parentRefs);
}

function isGatewayRef(ref: ParentRef): boolean {
  return (ref.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (ref.kind ?? "Gateway") === "Gateway";
}

/** The listeners a parentRef names: by sectionName or port when it gives them, else all of them. */
function listenersNamed(gateway: StackObject, ref: ParentRef): Listener[] {
  return listenersOf(gateway).filter(
    (listener) => (ref.sectionName === undefined || listener.name === ref.sectionName) && (ref.port === undefined || listener.port === ref.port),
  );
}

/** A namespace's labels as a selector sees them: its own, and the name label Kubernetes sets on every namespace. */
function namespaceLabels(namespace: string, namespaces: StackObject[]): Record<string, string> {
  const labels = namespaces.find((candidate) => candidate.name === namespace)?.object.metadata?.labels ?? {};
  return { ...labels, "kubernetes.io/metadata.name": namespace };
}

/** Why a listener refuses a route from this namespace, or undefined when it admits it (Gateway API's defaults). */
function refusal(listener: Listener, gatewayNamespace: string, routeNamespace: string, namespaces: StackObject[]): string | undefined {
  const kinds = listener.allowedRoutes?.kinds;
  if (kinds !== undefined && !kinds.some((k) => (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && k.kind === "HTTPRoute")) {
    return "its allowedRoutes.kinds leave out HTTPRoute";
  }
  const from = listener.allowedRoutes?.namespaces?.from ?? "Same";
  if (from === "All") {
    return undefined;
  }
  if (from === "Same") {
    return routeNamespace === gatewayNamespace ? undefined : `it admits routes from its own namespace "${gatewayNamespace}" only (allowedRoutes.namespaces.from: Same)`;
  }
  const selector = listener.allowedRoutes?.namespaces?.selector;
  const labels = namespaceLabels(routeNamespace, namespaces);
  return isEmptySelector(selector) || selectorMatches(selector, labels)
    ? undefined
    : `its allowedRoutes.namespaces.selector does not match namespace "${routeNamespace}"`;
}

const httpRouteAllowed = stackPolicy<ExemptNamespacesConfig>({
  name: "httproute-gateway-allowed",
  description: "An HTTPRoute must be admitted by every Gateway listener it attaches to: a route in another namespace needs the Gateway's allowedRoutes to admit its namespace (from: All, or a Selector matching the namespace's labels), and the Gateway must be in the stack so this can be checked.",
  severity: "high",
  counterparts: {},
  check: (args, { exemptNamespaces = [] }, reportViolation) => {
    const routes = objectsOfKind(args.resources, HTTP_ROUTE_KIND).filter((route) => !exemptNamespaces.includes(route.namespace));
    if (routes.length === 0) {
      return args.notApplicable("the stack has no HTTPRoutes");
    }
    const gateways = objectsOfKind(args.resources, GATEWAY_KIND);
    const namespaces = objectsOfKind(args.resources, "core:Namespace");
    for (const route of routes) {
      for (const ref of parentRefsOf(route).filter(isGatewayRef)) {
        const namespace = ref.namespace ?? route.namespace;
        const subject = `HTTPRoute "${route.name}" in namespace "${route.namespace}" attaches to Gateway "${namespace}/${ref.name}"`;
        const gateway = gateways.find((candidate) => candidate.namespace === namespace && candidate.name === ref.name);
        if (gateway === undefined) {
          reportViolation(`${subject}, which this stack does not define, so its allowedRoutes cannot be checked; attach to the stack's own Gateway`, route.resource.urn);
          continue;
        }
        const listeners = listenersNamed(gateway, ref);
        if (listeners.length === 0) {
          reportViolation(`${subject}, which has no listener ${ref.sectionName ?? ref.port ?? ""}; name one of its listeners in sectionName`, route.resource.urn);
          continue;
        }
        for (const listener of listeners) {
          const why = refusal(listener, namespace, route.namespace, namespaces);
          if (why !== undefined) {
            reportViolation(
              `${subject}, whose listener "${listener.name}" refuses it: ${why}; admit the route's namespace in that listener's allowedRoutes (a label Selector), or move the route`,
              route.resource.urn,
            );
          }
        }
      }
    }
  },
});

const productionSchema: PolicyConfigJSONSchema = {
  type: "boolean",
  default: false,
  description: "Set to true in staging and production; the policy checks nothing elsewhere.",
};

interface ProductionConfig extends ExemptNamespacesConfig {
  production?: boolean;
}

/** A rule that only redirects to HTTPS and sends nothing to a backend. */
function redirectsToHttps(rule: RouteRule): boolean {
  const filters = objectsIn(rule.filters);
  return (
    objectsIn(rule.backendRefs).length === 0 &&
    filters.length > 0 &&
    filters.every((filter) => filter.type === "RequestRedirect" && filter.requestRedirect?.scheme === "https")
  );
}

const plainHttpRedirectOnly = stackPolicy<ProductionConfig>({
  name: "gateway-plain-http-redirect-only",
  description: "In staging and production, a Gateway's plain-HTTP listener may only redirect to HTTPS: every HTTPRoute attached to an HTTP listener must consist of rules with a RequestRedirect filter to scheme https and no backendRefs.",
  severity: "high",
  counterparts: {},
  config: { production: productionSchema },
  check: (args, { production, exemptNamespaces = [] }, reportViolation) => {
    if (!production) {
      return args.notApplicable("not a staging or production environment (set production: true in this policy's config)");
    }
    const gateways = objectsOfKind(args.resources, GATEWAY_KIND).filter((gateway) => !exemptNamespaces.includes(gateway.namespace));
    const routes = objectsOfKind(args.resources, HTTP_ROUTE_KIND);
    for (const gateway of gateways) {
      for (const listener of listenersOf(gateway).filter((l) => l.protocol === "HTTP")) {
        const attached = routes.filter((route) =>
          parentRefsOf(route).some(
            (ref) =>
              isGatewayRef(ref) &&
              ref.name === gateway.name &&
              (ref.namespace ?? route.namespace) === gateway.namespace &&
              listenersNamed(gateway, ref).some((named) => named.name === listener.name),
          ),
        );
        for (const route of attached) {
          const rules = objectsIn((route.object.spec as { rules?: RouteRule[] } | undefined)?.rules);
          if (rules.length === 0 || !rules.every(redirectsToHttps)) {
            reportViolation(
              `HTTPRoute "${route.namespace}/${route.name}" serves plain HTTP on listener "${listener.name}" of Gateway "${gateway.namespace}/${gateway.name}"; attach it to the HTTPS listener, and on the HTTP listener only redirect (a RequestRedirect filter to scheme https, no backendRefs)`,
              route.resource.urn,
            );
          }
        }
      }
    }
  },
});

export const gatewayPolicies: Policies = [httpRouteAllowed, plainHttpRedirectOnly];
