// The Kubernetes types the pack knows, so a typo in apiVersion or kind is reported instead of passing every
// policy untouched: the built-in kinds kubernetes-models ships, the custom resources of the operators the
// platform uses, and the Pulumi Kubernetes provider's own resources. Add a CRD to CUSTOM_RESOURCES.
import { createRequire } from "module";
import { apiVersionOf, builtInModel } from "./schema";

interface CustomResources {
  project: string;
  group: string;
  /** Versions the CRD serves. */
  versions: string[];
  kinds: string[];
}

/**
 * The versions each project's CRD manifests serve: cert-manager 1.21, CloudNativePG 1.30 and its Barman Cloud
 * plugin 0.14, Prometheus Operator 0.93, Gateway API (standard channel), Envoy Gateway 1.6.
 */
export const CUSTOM_RESOURCES: CustomResources[] = [
  { project: "cert-manager", group: "cert-manager.io", versions: ["v1"], kinds: ["Certificate", "CertificateRequest", "Issuer", "ClusterIssuer"] },
  { project: "cert-manager", group: "acme.cert-manager.io", versions: ["v1"], kinds: ["Order", "Challenge"] },
  { project: "CloudNativePG", group: "postgresql.cnpg.io", versions: ["v1"], kinds: ["Cluster", "Pooler", "ScheduledBackup", "Backup", "Database"] },
  { project: "CloudNativePG Barman Cloud plugin", group: "barmancloud.cnpg.io", versions: ["v1"], kinds: ["ObjectStore"] },
  { project: "Prometheus Operator", group: "monitoring.coreos.com", versions: ["v1"], kinds: ["PrometheusRule", "ServiceMonitor", "PodMonitor", "Probe"] },
  { project: "Prometheus Operator", group: "monitoring.coreos.com", versions: ["v1alpha1", "v1beta1"], kinds: ["AlertmanagerConfig"] },
  { project: "Gateway API", group: "gateway.networking.k8s.io", versions: ["v1", "v1beta1"], kinds: ["GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant"] },
  { project: "Gateway API", group: "gateway.networking.k8s.io", versions: ["v1"], kinds: ["GRPCRoute", "BackendTLSPolicy", "ListenerSet"] },
  {
    project: "Envoy Gateway",
    group: "gateway.envoyproxy.io",
    versions: ["v1alpha1"],
    kinds: ["EnvoyProxy", "BackendTrafficPolicy", "ClientTrafficPolicy", "SecurityPolicy", "EnvoyExtensionPolicy", "Backend"],
  },
];

/** Built-in kinds that are GA but newer than kubernetes-models' schemas (known, without a schema to check). */
const NEWER_BUILT_INS: Array<{ apiVersion: string; kinds: string[] }> = [
  { apiVersion: "resource.k8s.io/v1", kinds: ["DeviceClass", "ResourceClaim", "ResourceClaimTemplate", "ResourceSlice"] },
];

/** The provider's resources that are no Kubernetes type: Helm releases and charts, YAML and kustomize groups. */
export const PULUMI_KUBERNETES_TYPES = [
  "kubernetes:helm.sh/v3:Release",
  "kubernetes:helm.sh/v3:Chart",
  "kubernetes:helm.sh/v4:Chart",
  "kubernetes:yaml:ConfigFile",
  "kubernetes:yaml:ConfigGroup",
  "kubernetes:yaml/v2:ConfigFile",
  "kubernetes:yaml/v2:ConfigGroup",
  "kubernetes:kustomize:Directory",
  "kubernetes:kustomize/v2:Directory",
];

function customKinds(apiVersion: string): string[] {
  return CUSTOM_RESOURCES.filter(({ group, versions }) => versions.some((version) => `${group}/${version}` === apiVersion)).flatMap(({ kinds }) => kinds);
}

/** True for an apiVersion and kind the pack knows; `Patch` variants (`DeploymentPatch`) count as their kind. */
export function isKnownKind(apiVersion: string, kind: string): boolean {
  const base = kind.endsWith("Patch") && kind !== "Patch" ? kind.slice(0, -"Patch".length) : kind;
  return (
    builtInModel(apiVersion, base) !== undefined ||
    customKinds(apiVersion).includes(base) ||
    NEWER_BUILT_INS.some((entry) => entry.apiVersion === apiVersion && entry.kinds.includes(base)) ||
    DEPRECATED_API_VERSIONS.some((entry) => entry.apiVersion === apiVersion && entry.kinds?.includes(base))
  );
}

/** True for a Pulumi Kubernetes type token the pack knows; false for `kubernetes:apps/v1beta3:Deployment`. */
export function isKnownType(type: string): boolean {
  const apiVersion = apiVersionOf(type);
  return PULUMI_KUBERNETES_TYPES.includes(type) || (apiVersion !== undefined && isKnownKind(apiVersion, type.split(":").at(-1) ?? ""));
}

const load = createRequire(__filename);
let builtInApiVersions: string[] | undefined;

/** The group versions kubernetes-models ships, from its package exports (`./apps/v1` → `apps/v1`). */
function allBuiltInApiVersions(): string[] {
  builtInApiVersions ??= Object.keys((load("kubernetes-models/package.json") as { exports: Record<string, unknown> }).exports)
    .map((key) => key.replace(/^\.\//, ""))
    .filter((key) => /^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(key));
  return builtInApiVersions;
}

/** The apiVersions under which a kind exists (matching the kind case-insensitively), for "did you mean" hints. */
export function apiVersionsOfKind(kind: string): Array<{ apiVersion: string; kind: string }> {
  const wanted = kind.toLowerCase();
  const builtIn = allBuiltInApiVersions().flatMap((apiVersion) => {
    const candidates = [kind, kind.charAt(0).toUpperCase() + kind.slice(1)];
    const model = candidates.map((candidate) => builtInModel(apiVersion, candidate)).find((found) => found !== undefined);
    return model?.kind?.toLowerCase() === wanted ? [{ apiVersion, kind: model.kind }] : [];
  });
  const custom = CUSTOM_RESOURCES.flatMap(({ group, versions, kinds }) =>
    kinds.filter((candidate) => candidate.toLowerCase() === wanted).flatMap((found) => versions.map((version) => ({ apiVersion: `${group}/${version}`, kind: found }))),
  );
  return [...builtIn, ...custom];
}

interface Deprecation {
  apiVersion: string;
  /** The kinds concerned; all kinds of the apiVersion when unset. */
  kinds?: string[];
  /** The release that stopped serving it, or undefined while it is still served with a warning. */
  removedIn?: string;
  replacement: string;
}

/** Kubernetes' deprecated API versions (kubernetes.io/docs/reference/using-api/deprecation-guide). */
export const DEPRECATED_API_VERSIONS: Deprecation[] = [
  { apiVersion: "extensions/v1beta1", kinds: ["Deployment", "DaemonSet", "ReplicaSet"], removedIn: "1.16", replacement: "apps/v1" },
  { apiVersion: "extensions/v1beta1", kinds: ["NetworkPolicy"], removedIn: "1.16", replacement: "networking.k8s.io/v1" },
  { apiVersion: "extensions/v1beta1", kinds: ["Ingress"], removedIn: "1.22", replacement: "networking.k8s.io/v1" },
  { apiVersion: "extensions/v1beta1", kinds: ["PodSecurityPolicy"], removedIn: "1.16", replacement: "Pod Security Admission (namespace labels)" },
  { apiVersion: "apps/v1beta1", removedIn: "1.16", replacement: "apps/v1" },
  { apiVersion: "apps/v1beta2", removedIn: "1.16", replacement: "apps/v1" },
  { apiVersion: "networking.k8s.io/v1beta1", removedIn: "1.22", replacement: "networking.k8s.io/v1" },
  { apiVersion: "rbac.authorization.k8s.io/v1beta1", removedIn: "1.22", replacement: "rbac.authorization.k8s.io/v1" },
  { apiVersion: "admissionregistration.k8s.io/v1beta1", kinds: ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"], removedIn: "1.22", replacement: "admissionregistration.k8s.io/v1" },
  { apiVersion: "apiextensions.k8s.io/v1beta1", removedIn: "1.22", replacement: "apiextensions.k8s.io/v1" },
  { apiVersion: "apiregistration.k8s.io/v1beta1", removedIn: "1.22", replacement: "apiregistration.k8s.io/v1" },
  { apiVersion: "authentication.k8s.io/v1beta1", removedIn: "1.22", replacement: "authentication.k8s.io/v1" },
  { apiVersion: "authorization.k8s.io/v1beta1", removedIn: "1.22", replacement: "authorization.k8s.io/v1" },
  { apiVersion: "certificates.k8s.io/v1beta1", kinds: ["CertificateSigningRequest"], removedIn: "1.22", replacement: "certificates.k8s.io/v1" },
  { apiVersion: "coordination.k8s.io/v1beta1", kinds: ["Lease"], removedIn: "1.22", replacement: "coordination.k8s.io/v1" },
  { apiVersion: "scheduling.k8s.io/v1beta1", removedIn: "1.22", replacement: "scheduling.k8s.io/v1" },
  { apiVersion: "storage.k8s.io/v1beta1", kinds: ["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"], removedIn: "1.22", replacement: "storage.k8s.io/v1" },
  { apiVersion: "storage.k8s.io/v1beta1", kinds: ["CSIStorageCapacity"], removedIn: "1.27", replacement: "storage.k8s.io/v1" },
  { apiVersion: "batch/v1beta1", removedIn: "1.25", replacement: "batch/v1" },
  { apiVersion: "discovery.k8s.io/v1beta1", removedIn: "1.25", replacement: "discovery.k8s.io/v1" },
  { apiVersion: "events.k8s.io/v1beta1", removedIn: "1.25", replacement: "events.k8s.io/v1" },
  { apiVersion: "autoscaling/v2beta1", removedIn: "1.25", replacement: "autoscaling/v2" },
  { apiVersion: "autoscaling/v2beta2", removedIn: "1.26", replacement: "autoscaling/v2" },
  { apiVersion: "policy/v1beta1", kinds: ["PodDisruptionBudget"], removedIn: "1.25", replacement: "policy/v1" },
  { apiVersion: "policy/v1beta1", kinds: ["PodSecurityPolicy"], removedIn: "1.25", replacement: "Pod Security Admission (namespace labels)" },
  { apiVersion: "node.k8s.io/v1beta1", removedIn: "1.25", replacement: "node.k8s.io/v1" },
  { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta1", removedIn: "1.26", replacement: "flowcontrol.apiserver.k8s.io/v1" },
  { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta2", removedIn: "1.29", replacement: "flowcontrol.apiserver.k8s.io/v1" },
  { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3", removedIn: "1.32", replacement: "flowcontrol.apiserver.k8s.io/v1" },
  { apiVersion: "v1", kinds: ["Endpoints"], replacement: "discovery.k8s.io/v1 EndpointSlice" },
];

export function deprecationOf(apiVersion: string, kind: string): Deprecation | undefined {
  return DEPRECATED_API_VERSIONS.find((entry) => entry.apiVersion === apiVersion && (entry.kinds === undefined || entry.kinds.includes(kind)));
}

