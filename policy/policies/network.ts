// Network and exposure: TLS on Ingresses, no Services exposed on nodes or load balancers unless allowed, and
// NetworkPolicies that deny by default and let each workload receive or send only what it is allowed to.
import type { PolicyResource, Policies } from "@pulumi/policy";
import { ExemptNamespacesConfig, objectPolicy, stackPolicy } from "../lib/define";
import { isEmptySelector, KubernetesObject, LabelSelector, objectsIn, selectorMatches, selectsAllExcept } from "../lib/k8s";
import { describeLabels, objectsOfKind, StackObject, workloadsOf } from "../lib/stack";

interface IngressSpec {
  tls?: Array<{ hosts?: string[]; secretName?: string }>;
  rules?: Array<{ host?: string }>;
}

/** A TLS host covers a rule's host when equal, or as `*.example.com` for exactly one more leading label. */
function hostCovered(host: string, tlsHosts: string[]): boolean {
  return tlsHosts.some((tlsHost) => {
    if (!tlsHost.startsWith("*.")) {
      return tlsHost === host;
    }
    const suffix = tlsHost.slice(1);
    const label = host.slice(0, host.length - suffix.length);
    return host.endsWith(suffix) && label !== "" && !label.includes(".");
  });
}

function ingressProblems(ingress: KubernetesObject): string[] {
  const spec = (ingress.spec ?? {}) as IngressSpec;
  if (objectsIn(spec.tls).length === 0) {
    return ["Ingress has no spec.tls; add a tls entry with the certificate Secret for its hosts"];
  }
  const tlsHosts = objectsIn(spec.tls).flatMap((entry) => entry.hosts ?? []);
  return objectsIn(spec.rules)
    .map((rule) => rule.host)
    .filter((host): host is string => typeof host === "string" && host !== "" && !hostCovered(host, tlsHosts))
    .map((host) => `Ingress host "${host}" is not covered by spec.tls; add it to the hosts of a tls entry`);
}

const ingressTls = objectPolicy({
  name: "ingress-tls",
  description: "Ingresses must terminate TLS for every host: add spec.tls entries whose hosts cover every rule's host.",
  severity: "high",
  counterparts: { polaris: ["tlsSettingsMissing"] },
  kinds: ["networking.k8s.io:Ingress", "extensions:Ingress"],
  check: ingressProblems,
});

const EXPOSING_SERVICE_TYPES = ["NodePort", "LoadBalancer"];

interface ServiceTypeConfig extends ExemptNamespacesConfig {
  allowedTypes?: string[];
}

const serviceTypeAllowed = objectPolicy<ServiceTypeConfig>({
  name: "service-type-allowed",
  description: "Services must not be exposed on node ports or cloud load balancers: use type ClusterIP behind the Ingress, or allow the type in this policy's allowedTypes config.",
  severity: "high",
  counterparts: { kubeLinter: ["exposed-services"], kubeScore: ["service-type"] },
  kinds: ["core:Service"],
  config: {
    allowedTypes: {
      type: "array",
      items: { type: "string", enum: EXPOSING_SERVICE_TYPES },
      uniqueItems: true,
      default: [],
      description: "Exposing Service types allowed in this environment: NodePort, LoadBalancer.",
    },
  },
  check: (service, { allowedTypes = [] }) => {
    const type = (service.spec as { type?: string } | undefined)?.type;
    return type && EXPOSING_SERVICE_TYPES.includes(type) && !allowedTypes.includes(type)
      ? [`Service type ${type} exposes it outside the cluster; use type ClusterIP behind the Ingress, or add ${type} to allowedTypes in this policy's config`]
      : [];
  },
});

interface NetworkPolicySpec {
  podSelector?: LabelSelector;
  policyTypes?: string[];
  ingress?: unknown[];
  egress?: unknown[];
}

function specOf(policy: StackObject): NetworkPolicySpec {
  return (policy.object.spec ?? {}) as NetworkPolicySpec;
}

/** The directions a NetworkPolicy governs; when policyTypes is unset, Ingress, plus Egress if it has egress rules. */
function policyTypes(spec: NetworkPolicySpec): string[] {
  return spec.policyTypes ?? ["Ingress", ...((spec.egress ?? []).length > 0 ? ["Egress"] : [])];
}

function deniesByDefault(spec: NetworkPolicySpec, direction: "Ingress" | "Egress"): boolean {
  const rules = direction === "Ingress" ? spec.ingress : spec.egress;
  return isEmptySelector(spec.podSelector) && policyTypes(spec).includes(direction) && (rules ?? []).length === 0;
}

function networkPolicies(resources: PolicyResource[]): StackObject[] {
  return objectsOfKind(resources, "networking.k8s.io:NetworkPolicy", "extensions:NetworkPolicy");
}

interface DefaultDenyConfig extends ExemptNamespacesConfig {
  requireEgress?: boolean;
}

function missingDefaultDeny(namespace: string, policies: StackObject[], directions: Array<"Ingress" | "Egress">): Array<"Ingress" | "Egress"> {
  const inNamespace = policies.filter((policy) => policy.namespace === namespace).map(specOf);
  return directions.filter((direction) => !inNamespace.some((spec) => deniesByDefault(spec, direction)));
}

const namespaceDefaultDeny = stackPolicy<DefaultDenyConfig>({
  name: "namespace-default-deny",
  description: "Every namespace that runs workloads must have a default-deny NetworkPolicy: add a NetworkPolicy with podSelector: {}, policyTypes: [Ingress] (and Egress when requireEgress is set) and no rules.",
  severity: "high",
  counterparts: {},
  config: {
    requireEgress: {
      type: "boolean",
      default: false,
      description: "Also require egress to be denied by default.",
    },
  },
  check: (args, { requireEgress = false }, reportViolation) => {
    const workloads = workloadsOf(args);
    if (workloads.length === 0) {
      return args.notApplicable("the stack runs no workloads");
    }
    const directions: Array<"Ingress" | "Egress"> = requireEgress ? ["Ingress", "Egress"] : ["Ingress"];
    const policies = networkPolicies(args.resources);
    const namespaces = objectsOfKind(args.resources, "core:Namespace");
    for (const namespace of new Set(workloads.map((workload) => workload.namespace))) {
      const missing = missingDefaultDeny(namespace, policies, directions);
      if (missing.length > 0) {
        reportViolation(
          `namespace "${namespace}" runs workloads but no NetworkPolicy denies ${missing.join(" and ").toLowerCase()} traffic by default; add a NetworkPolicy with podSelector: {}, policyTypes: [${missing.join(", ")}] and no rules`,
          namespaces.find((candidate) => candidate.name === namespace)?.resource.urn,
        );
      }
    }
  },
});

/**
 * A policy written for particular pods (not a namespace-wide baseline such as DNS egress, even one that leaves a
 * few pods out) that allows some traffic.
 */
function allowsTrafficFor(spec: NetworkPolicySpec): boolean {
  return !selectsAllExcept(spec.podSelector) && ((spec.ingress ?? []).length > 0 || (spec.egress ?? []).length > 0);
}

const workloadNetworkPolicy = stackPolicy({
  name: "workload-network-policy",
  description: "Every workload must be selected by a NetworkPolicy written for it that allows its traffic: add a NetworkPolicy in its namespace whose podSelector matches its pod labels (an empty podSelector, or one that only excludes pods, does not count) and whose ingress or egress rules allow what it needs.",
  severity: "high",
  counterparts: { polaris: ["missingNetworkPolicy"], kubeLinter: ["non-isolated-pod"] },
  check: (args, _config, reportViolation) => {
    const workloads = workloadsOf(args);
    if (workloads.length === 0) {
      return args.notApplicable("the stack runs no workloads");
    }
    const allowPolicies = networkPolicies(args.resources).filter((policy) => allowsTrafficFor(specOf(policy)));
    for (const { pod, name, namespace, resource } of workloads) {
      const labels = pod.metadata.labels ?? {};
      const selected = allowPolicies.some((policy) => policy.namespace === namespace && selectorMatches(specOf(policy).podSelector, labels));
      if (!selected) {
        reportViolation(
          `${pod.kind} "${name}" in namespace "${namespace}" is not selected by any NetworkPolicy that allows traffic; add a NetworkPolicy whose podSelector matches its pod labels (${describeLabels(labels)}) and allows the traffic it needs`,
          resource.urn,
        );
      }
    }
  },
});

/** An empty podSelector selects every pod of the namespace; `selectorMatches` treats a missing one as none. */
function podSelectorMatches(spec: NetworkPolicySpec, labels: Record<string, string>): boolean {
  return isEmptySelector(spec.podSelector) || selectorMatches(spec.podSelector, labels);
}

const networkPolicyDirections = stackPolicy({
  name: "network-policy-directions",
  description: "Every workload's pods must be isolated in both directions: make sure NetworkPolicies selecting them (a namespace-wide default deny counts) include both Ingress and Egress in their policyTypes.",
  severity: "high",
  counterparts: { polaris: ["missingNetworkPolicy"], kubeScore: ["pod-networkpolicy"] },
  check: (args, _config, reportViolation) => {
    const policies = networkPolicies(args.resources);
    for (const { pod, name, namespace, resource } of workloadsOf(args)) {
      const labels = pod.metadata.labels ?? {};
      const governing = policies.filter((policy) => policy.namespace === namespace && podSelectorMatches(specOf(policy), labels)).map(specOf);
      const missing = (["Ingress", "Egress"] as const).filter((direction) => !governing.some((spec) => policyTypes(spec).includes(direction)));
      if (missing.length > 0) {
        reportViolation(
          `${pod.kind} "${name}" in namespace "${namespace}" is not isolated for ${missing.join(" or ").toLowerCase()}: no NetworkPolicy selecting its pods (${describeLabels(labels)}) has ${missing.join(" and ")} in policyTypes; add ${missing.length === 1 ? "it" : "them"} to a policy that selects them, or a default deny`,
          resource.urn,
        );
      }
    }
  },
});

export const networkExposurePolicies: Policies = [ingressTls, serviceTypeAllowed, namespaceDefaultDeny, workloadNetworkPolicy, networkPolicyDirections];
