// The parts of Kubernetes objects the policies read, and helpers to find them in resource properties.
// Properties arrive as plain JSON (the engine's view of a resource's inputs), so every field is optional.

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Labels;
  annotations?: Record<string, string>;
}

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export interface SELinuxOptions {
  type?: string;
  user?: string;
  role?: string;
  level?: string;
}

export interface ProfileRef {
  type?: string;
  localhostProfile?: string;
}

export interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: ProfileRef;
  appArmorProfile?: ProfileRef;
  seLinuxOptions?: SELinuxOptions;
  windowsOptions?: { hostProcess?: boolean };
  runAsGroup?: number;
  ulimits?: unknown[];
  cgroupOptions?: { mountMode?: string };
}

export interface PodSecurityContext
  extends Omit<SecurityContext, "privileged" | "allowPrivilegeEscalation" | "procMount" | "capabilities" | "readOnlyRootFilesystem" | "ulimits" | "cgroupOptions"> {
  sysctls?: Array<{ name: string; value?: string }>;
}

export interface Handler {
  httpGet?: { host?: string; port?: number | string };
  tcpSocket?: { host?: string; port?: number | string };
  grpc?: { port?: number };
}

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  hostPort?: number;
  protocol?: string;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface Container {
  name?: string;
  image?: string;
  imagePullPolicy?: string;
  ports?: ContainerPort[];
  env?: EnvVar[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  livenessProbe?: Handler;
  readinessProbe?: Handler;
  startupProbe?: Handler;
  lifecycle?: { postStart?: Handler; preStop?: Handler };
  securityContext?: SecurityContext;
  restartPolicy?: string;
}

export interface Volume {
  name?: string;
  [source: string]: unknown;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: Volume[];
  securityContext?: PodSecurityContext;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  hostUsers?: boolean;
  os?: { name?: string };
  serviceAccountName?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  restartPolicy?: string;
  priorityClassName?: string;
  affinity?: { podAntiAffinity?: Record<string, unknown[] | undefined> };
  topologySpreadConstraints?: Array<{ topologyKey?: string; labelSelector?: LabelSelector }>;
  imagePullSecrets?: Array<{ name?: string }>;
}

export interface KubernetesObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** A Pulumi Kubernetes type token, `kubernetes:<group>/<version>:<Kind>`, split into its parts ("core" is the legacy group). */
export interface TypeToken {
  group: string;
  version: string;
  kind: string;
}

const TYPE_TOKEN = /^kubernetes:([^/:]+)\/([^/:]+):([A-Za-z0-9]+)$/;

export function parseTypeToken(type: string): TypeToken | undefined {
  const match = TYPE_TOKEN.exec(type);
  return match ? { group: match[1], version: match[2], kind: match[3] } : undefined;
}

/** The Pulumi type token for a manifest's apiVersion and kind: `apps/v1` + `Deployment` → `kubernetes:apps/v1:Deployment`. */
export function typeTokenFor(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/", 2) : ["core", apiVersion];
  return `kubernetes:${group}/${version}:${kind}`;
}

/** `group:Kind` for a type token of any API version, e.g. `apps:Deployment`; undefined for non-Kubernetes types. */
export function groupKind(type: string): string | undefined {
  const token = parseTypeToken(type);
  return token && `${token.group}:${token.kind}`;
}

/** Where each kind that holds a pod keeps it: the path of the object holding `metadata` and `spec` of the pod. */
const POD_TEMPLATE_PATHS: Record<string, string[]> = {
  "core:Pod": [],
  "core:PodTemplate": ["template"],
  "core:ReplicationController": ["spec", "template"],
  "apps:Deployment": ["spec", "template"],
  "apps:StatefulSet": ["spec", "template"],
  "apps:DaemonSet": ["spec", "template"],
  "apps:ReplicaSet": ["spec", "template"],
  "extensions:Deployment": ["spec", "template"],
  "extensions:DaemonSet": ["spec", "template"],
  "extensions:ReplicaSet": ["spec", "template"],
  "batch:Job": ["spec", "template"],
  "batch:CronJob": ["spec", "jobTemplate", "spec", "template"],
};

/** Kinds whose pods run until they are replaced, as opposed to run-to-completion Jobs. */
const LONG_RUNNING_KINDS = new Set([
  "core:ReplicationController",
  "apps:Deployment",
  "apps:StatefulSet",
  "apps:DaemonSet",
  "apps:ReplicaSet",
  "extensions:Deployment",
  "extensions:DaemonSet",
  "extensions:ReplicaSet",
]);

export const WORKLOAD_TYPE_DESCRIPTION = "Pod, PodTemplate, ReplicationController, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob";

export interface PodTemplate {
  /** `group:Kind` of the object holding the pod. */
  groupKind: string;
  kind: string;
  /** The holding object's own metadata. */
  object: ObjectMeta;
  /** The holding object's namespace; `default` when unset. */
  namespace: string;
  /** The pod's (or pod template's) metadata. */
  metadata: ObjectMeta;
  spec: PodSpec;
  /** Path of the pod spec inside the object, e.g. `spec.template.spec`. */
  specPath: string;
  /** True for pods that run until replaced (Deployments, StatefulSets, bare Pods that always restart, …). */
  longRunning: boolean;
}

/** Kinds that live outside namespaces, among those the policies read. */
const CLUSTER_SCOPED_KINDS = new Set([
  "core:Namespace",
  "core:Node",
  "core:PersistentVolume",
  "rbac.authorization.k8s.io:ClusterRole",
  "rbac.authorization.k8s.io:ClusterRoleBinding",
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED_KINDS.has(kind);
}

/** The namespace of a namespaced object; `default` when unset, as the API server does. */
export function namespaceOf(object: KubernetesObject): string {
  return object.metadata?.namespace || "default";
}

function childAt(value: unknown, path: string[]): Record<string, unknown> | undefined {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current !== null && typeof current === "object" ? (current as Record<string, unknown>) : undefined;
}

/** The pod held by a resource of the given type, or undefined when the type holds no pod or the template is absent. */
export function podTemplateOf(type: string, props: KubernetesObject): PodTemplate | undefined {
  const key = groupKind(type);
  const path = key === undefined ? undefined : POD_TEMPLATE_PATHS[key];
  if (key === undefined || path === undefined) {
    return undefined;
  }
  const holder = path.length === 0 ? props : childAt(props, path);
  const spec = holder?.spec as PodSpec | undefined;
  if (!holder || !spec || typeof spec !== "object") {
    return undefined;
  }
  const kind = key.split(":")[1];
  const alwaysRestarts = key === "core:Pod" && (spec.restartPolicy === undefined || spec.restartPolicy === "Always");
  return {
    groupKind: key,
    kind,
    object: props.metadata ?? {},
    namespace: namespaceOf(props),
    metadata: (holder.metadata as ObjectMeta | undefined) ?? {},
    spec,
    specPath: [...path, "spec"].join("."),
    longRunning: LONG_RUNNING_KINDS.has(key) || alwaysRestarts,
  };
}

export type ContainerRole = "container" | "init container" | "ephemeral container";

export interface ContainerRef {
  container: Container;
  role: ContainerRole;
  /** `container "api"`, `init container "migrate"`, … for messages. */
  label: string;
}

/** The entries of a list field that are objects; anything else (a wrong type) is kubernetes-schema's to report. */
export function objectsIn<T extends object>(list: T[] | undefined): T[] {
  return Array.isArray(list) ? list.filter((item): item is T => item !== null && typeof item === "object") : [];
}

function refs(containers: Container[] | undefined, role: ContainerRole): ContainerRef[] {
  return objectsIn(containers).map((container) => ({ container, role, label: `${role} "${container.name ?? "?"}"` }));
}

/** Every container of a pod in the order Pod Security Admission visits them: init, regular, ephemeral. */
export function allContainers(spec: PodSpec): ContainerRef[] {
  return [
    ...refs(spec.initContainers, "init container"),
    ...refs(spec.containers, "container"),
    ...refs(spec.ephemeralContainers, "ephemeral container"),
  ];
}

/** True when a pod is declared to run on Windows nodes (`spec.os.name: windows`). */
export function isWindowsPod(spec: PodSpec): boolean {
  return spec.os?.name === "windows";
}

function expressionMatches(expression: { key: string; operator: string; values?: string[] }, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, expression.key);
  const values = expression.values ?? [];
  switch (expression.operator) {
    case "In":
      return has && values.includes(labels[expression.key]);
    case "NotIn":
      return !has || !values.includes(labels[expression.key]);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    default:
      return false;
  }
}

/** Label selector semantics: an empty selector matches every set of labels. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) {
    return false;
  }
  const matchLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return matchLabels && (selector.matchExpressions ?? []).every((expression) => expressionMatches(expression, labels));
}

export function isEmptySelector(selector: LabelSelector | undefined): boolean {
  return Object.keys(selector?.matchLabels ?? {}).length === 0 && (selector?.matchExpressions ?? []).length === 0;
}

/**
 * True when a selector names no pod it wants, only pods it leaves out (no matchLabels, no `In` or `Exists`
 * expression): like an empty one, it selects every pod of a namespace but a few, new ones included.
 */
export function selectsAllExcept(selector: LabelSelector | undefined): boolean {
  return (
    Object.keys(selector?.matchLabels ?? {}).length === 0 &&
    (selector?.matchExpressions ?? []).every((expression) => expression.operator === "NotIn" || expression.operator === "DoesNotExist")
  );
}

/** The pod and containers that set a user or group ID to 0 (root), as messages asking for a non-zero one. */
export function rootIdProblems(pod: PodTemplate, field: "runAsUser" | "runAsGroup"): string[] {
  const id = field === "runAsUser" ? "UID" : "GID";
  return [
    ...(pod.spec.securityContext?.[field] === 0 ? [`pod sets ${pod.specPath}.securityContext.${field}=0; use a non-zero ${id}`] : []),
    ...allContainers(pod.spec)
      .filter(({ container }) => container.securityContext?.[field] === 0)
      .map(({ label }) => `${label} sets securityContext.${field}=0; use a non-zero ${id}`),
  ];
}

export function quoteList(values: Iterable<string>): string {
  return [...values].map((value) => `"${value}"`).join(", ");
}
